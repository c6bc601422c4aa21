"""Forms of the desk: closures, booking on an officer's behalf, the desk's contacts."""

from datetime import time

import phonenumbers
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from booking import templating
from booking.fields import ChoiceField, ChoiceRadioField, ClockField, DayField, normalized
from booking.inputs import no_control_characters
from booking.reservations.forms import ReservationForm
from booking.rooms.models import Closure, Facility
from booking.safety.models import NOTE_MAX, AlarmKind, Outcome
from booking.timeutil import at_tokyo, tokyo_day_bounds

DAY_FORMATS = ["%Y-%m-%d", "%Y/%m/%d"]


class ClosureForm(FlaskForm):
    room = ChoiceField(_l("対象"), validators=[Optional()])
    first_day = DayField(
        _l("休館の始まりの日"),
        format=DAY_FORMATS,
        validators=[InputRequired(_l("始まりの日を入力してください。"))],
    )
    first_time = ClockField(_l("始まりの時刻"), format=["%H:%M"], validators=[Optional()])
    last_day = DayField(
        _l("休館の終わりの日"),
        format=DAY_FORMATS,
        validators=[InputRequired(_l("終わりの日を入力してください。"))],
    )
    last_time = ClockField(_l("終わりの時刻"), format=["%H:%M"], validators=[Optional()])
    reason = StringField(
        _l("理由（利用者に表示されます）"),
        validators=[
            DataRequired(_l("理由を入力してください。")),
            Length(max=200, message=_l("200文字以内にしてください。")),
            no_control_characters,
        ],
    )
    confirm = HiddenField()

    def __init__(self, facility: Facility, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.room.choices = [SelectChoice("", _l("施設全体"))] + [
            SelectChoice(str(room.id), room.name_ja) for room in facility.rooms if room.active
        ]

    def closure(self, facility: Facility) -> Closure:
        """The closure as entered: a missing start time means from opening, end until close."""
        room_id = next(
            (r.id for r in facility.rooms if r.active and str(r.id) == self.room.data), None
        )
        starts = at_tokyo(self.first_day.data, self.first_time.data or time())
        if self.last_time.data:
            ends = at_tokyo(self.last_day.data, self.last_time.data)
        else:
            ends = tokyo_day_bounds(self.last_day.data)[1]
        return Closure(
            facility_id=facility.id,
            room_id=room_id,
            starts_at=starts,
            ends_at=ends,
            reason=self.reason.data,
        )


class StaffBookingForm(ReservationForm):
    officer = ChoiceField(
        _l("保護司"), coerce=int, validators=[InputRequired(_l("保護司を選んでください。"))]
    )
    room = ChoiceField(
        _l("部屋"), coerce=int, validators=[InputRequired(_l("部屋を選んでください。"))]
    )

    def __init__(self, facility: Facility, officers, *args, **kwargs):
        rooms = [room for room in facility.rooms if room.active] or facility.rooms
        super().__init__(rooms[0], *args, **kwargs)
        self.officer.choices = [SelectChoice(o.id, officer_label(o)) for o in officers]
        self.room.choices = [SelectChoice(r.id, r.name_ja) for r in rooms if r.active]


def officer_label(officer) -> str:
    """保護司 一郎（ホゴシ イチロウ）090-1234-5678: enough to tell two of a name apart
    (the e-mail address, or the login id of an officer without one, when there is no phone)."""
    reading = f"（{officer.name_kana}）" if officer.name_kana else ""
    contact = templating.phone(officer.phone) or officer.email or officer.login_id
    return f"{officer.name}{reading} {contact}"


def japanese_phone(_form, field) -> None:
    try:
        valid = phonenumbers.is_valid_number(phonenumbers.parse(field.data, "JP"))
    except phonenumbers.NumberParseException:
        valid = False
    if not valid:
        raise ValidationError(_l("電話番号は 011-211-2345 のように入力してください。"))


class DeskForm(FlaskForm):
    """How officers (the emergency card) and the overdue alerts reach a facility's desk."""

    desk_phone = StringField(
        _l("窓口の電話番号"),
        filters=[normalized],
        validators=[Optional(), japanese_phone],
        render_kw={"type": "tel", "autocomplete": "tel"},
    )
    desk_location = StringField(
        _l("窓口の場所"),
        filters=[normalized],
        validators=[
            Optional(),
            Length(max=300, message=_l("300文字以内にしてください。")),
            no_control_characters,
        ],
    )
    desk_email = StringField(
        _l("見守りのお知らせを受けるメールアドレス"),
        filters=[normalized],
        validators=[
            Optional(),
            Length(max=254, message=_l("メールアドレスが長すぎます。")),
            Email(_l("メールアドレスは desk@example.jp のように入力してください。")),
        ],
        render_kw={"type": "email", "autocomplete": "email"},
    )

    def values(self) -> dict:
        return {
            "desk_phone": templating.phone(self.desk_phone.data) or None,  # as 011-211-2345
            "desk_location": self.desk_location.data or "",
            "desk_email": self.desk_email.data or None,
        }


def one_line(_form, field) -> None:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in field.data or ""):
        raise ValidationError(_l("改行や使えない文字を含めずに書いてください。"))


class AcknowledgeForm(FlaskForm):
    """What the desk found out about a red card; a free-text outcome is one short line."""

    kind = HiddenField(validators=[AnyOf([k.value for k in AlarmKind])])
    outcome = ChoiceRadioField(
        _l("確認した結果"),
        choices=[SelectChoice(o.value, o.label) for o in Outcome],
        validators=[InputRequired(_l("確認した結果を選んでください。"))],
    )
    note = StringField(
        _l("その他の結果（「その他」を選んだ時）"),
        filters=[lambda value: value.strip() if value else value],
        validators=[
            Length(max=NOTE_MAX, message=_l("%(n)d文字以内にしてください。", n=NOTE_MAX)),
            one_line,
        ],
    )

    def validate_note(self, field) -> None:
        if self.outcome.data == Outcome.OTHER.value and not field.data:
            raise ValidationError(_l("「その他」を選んだ時は、結果を短く書いてください。"))

    def values(self) -> dict:
        outcome = Outcome(self.outcome.data)
        note = self.note.data if outcome is Outcome.OTHER else ""
        return {"kind": AlarmKind(self.kind.data), "outcome": outcome, "note": note}
