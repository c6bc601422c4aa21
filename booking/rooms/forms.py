"""The find-a-room form: a GET form, so it needs no CSRF token."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from booking.fields import ChoiceField, ChoiceRadioField, DayField
from booking.rooms.models import Ward


class FindForm(FlaskForm):
    class Meta:
        csrf = False

    day = DayField(_l("利用日"), format=["%Y-%m-%d", "%Y/%m/%d"], validators=[Optional()])
    part = ChoiceRadioField(
        _l("時間帯"),
        choices=[
            SelectChoice("", _l("いつでも")),
            SelectChoice("morning", _l("午前（12時まで）")),
            SelectChoice("afternoon", _l("午後（12時〜17時）")),
            SelectChoice("evening", _l("夕方・夜（17時から）")),
        ],
        default="",
        validators=[Optional()],
    )
    ward = ChoiceField(_l("区"), validators=[Optional()])
    evening_or_weekend = BooleanField(_l("夜間か土日も開いている施設だけ"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ward.choices = [SelectChoice("", _l("すべての区"))] + [
            SelectChoice(ward.value, ward.label) for ward in Ward
        ]


class HomeWardForm(FlaskForm):
    """The officer's own ward: a POST, so it carries a CSRF token."""

    home_ward = ChoiceField(_l("いつも使う区"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.home_ward.choices = [SelectChoice("", _l("決めない"))] + [
            SelectChoice(ward.value, ward.label) for ward in Ward
        ]
