"""The administrators' account forms: the shape of what they type."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from booking import templating
from booking.admin.accounts import Details, Search, Status
from booking.auth.models import Role
from booking.fields import ChoiceField, ChoiceRadioField, PlainMessages, normalized
from booking.inputs import database_id, no_control_characters
from booking.manage.forms import japanese_phone
from booking.rooms.models import Ward


def one_line(value: str | None) -> str | None:
    """Names are kept as typed, but trimmed and with their spaces made single."""
    return " ".join(value.split()) if value else value


class SearchForm(FlaskForm):
    """The list's search box and filters, read from the query string."""

    class Meta:
        csrf = False  # a GET that changes nothing

    q = StringField(
        _l("検索"),
        filters=[normalized],
        validators=[
            Optional(),
            Length(max=100, message=_l("100文字以内にしてください。")),
            no_control_characters,  # PostgreSQL refuses a NUL even in a LIKE pattern
        ],
        render_kw={"type": "search"},
    )
    role = ChoiceField(_l("役割"), validators=[Optional()])
    facility = ChoiceField(_l("担当施設"), validators=[Optional()])
    status = ChoiceField(_l("状態"), validators=[Optional()])

    def __init__(self, facilities, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice("", _l("すべて"))] + [
            SelectChoice(role.value, role.label) for role in Role
        ]
        self.facility.choices = [SelectChoice("", _l("すべて"))] + [
            SelectChoice(str(f.id), f.name_ja) for f in facilities
        ]
        self.status.choices = [SelectChoice("", _l("すべて"))] + [
            SelectChoice(status.value, status.label) for status in Status
        ]

    def search(self) -> Search:
        """What to look for; a filter that is not one of the choices is ignored."""
        valid = self.validate()
        return Search(
            text=(self.q.data or "") if not self.q.errors else "",
            role=Role(self.role.data) if valid and self.role.data else None,
            facility_id=database_id(self.facility.data) if valid else None,
            status=Status(self.status.data) if valid and self.status.data else None,
        )


class CheckboxesField(PlainMessages, SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def kana_only(_form, field) -> None:
    """A reading in kana: katakana or hiragana, spaces and the long-vowel mark."""
    text = (field.data or "").replace(" ", "")
    if not all("ぁ" <= c <= "ゖ" or "ァ" <= c <= "ヺ" or c in "ー・ヽヾゝゞ" for c in text):
        raise ValidationError(_l("ふりがなは、ひらがなかカタカナで入力してください。"))


class AccountForm(FlaskForm):
    """Create or edit an account: no password; the person chooses one."""

    name = StringField(
        _l("氏名"),
        filters=[one_line],
        validators=[
            DataRequired(_l("氏名を入力してください。")),
            Length(max=100, message=_l("100文字以内にしてください。")),
            no_control_characters,
        ],
        render_kw={"autocomplete": "off"},
    )
    name_kana = StringField(
        _l("ふりがな"),
        filters=[normalized, one_line],
        validators=[
            Optional(),
            Length(max=100, message=_l("100文字以内にしてください。")),
            kana_only,
        ],
        render_kw={"autocomplete": "off"},
    )
    email = StringField(
        _l("メールアドレス"),
        filters=[normalized],
        validators=[
            Optional(),
            Length(max=254, message=_l("メールアドレスが長すぎます。")),
            Email(_l("メールアドレスは hogoshi@example.jp のように入力してください。")),
        ],
        render_kw={"type": "email", "autocomplete": "off", "inputmode": "email"},
    )
    phone = StringField(
        _l("電話番号"),
        filters=[normalized],
        validators=[Optional(), Length(max=32, message=_l("長すぎます。")), japanese_phone],
        render_kw={"type": "tel", "autocomplete": "off"},
    )
    role = ChoiceRadioField(
        _l("役割"),
        choices=[SelectChoice(role.value, role.label) for role in Role],
        default=Role.OFFICER.value,
    )
    facilities = CheckboxesField(_l("担当する施設（施設職員のみ）"), choices=[], coerce=str)
    home_ward = ChoiceField(_l("住まいの区（部屋探しでこの区を先に表示します）"), default="")

    def __init__(self, facilities, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice(role.value, role.label) for role in Role]
        self.facilities.choices = [(str(f.id), f.name_ja) for f in facilities]
        self.home_ward.choices = [SelectChoice("", _l("指定しない"))] + [
            SelectChoice(ward.value, ward.label) for ward in Ward
        ]
        if self.home_ward.data is None:  # an account without one, or a form that left it out
            self.home_ward.data = ""

    @classmethod
    def of(cls, user, facilities) -> "AccountForm":
        """The form filled with ``user``'s details, for the edit page."""
        form = cls(facilities, obj=user)
        if not form.is_submitted():
            form.role.data = user.role.value
            form.facilities.data = [str(f.id) for f in user.facilities]
            form.home_ward.data = user.home_ward or ""
        return form

    def details(self) -> Details:
        return Details(
            name=self.name.data,
            name_kana=self.name_kana.data or None,
            email=self.email.data or None,
            phone=templating.phone(self.phone.data) or None,  # as 011-211-2345
            role=Role(self.role.data),
            facility_ids=[int(v) for v in self.facilities.data or []],
            home_ward=self.home_ward.data or None,
        )

    def attach(self, error) -> None:
        """Show a service error next to the field it concerns, or above the form."""
        target = getattr(self, error.field, None) if error.field else None
        if target is not None:
            target.errors = [*target.errors, error.message]
        else:
            self.form_errors.append(error.message)
