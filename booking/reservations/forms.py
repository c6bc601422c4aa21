"""Booking forms: they check the shape of the input; the services check the world."""

import uuid
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from booking.errors import DomainError
from booking.fields import ChoiceField, ChoiceRadioField, ClockField, DayField
from booking.inputs import no_control_characters
from booking.reservations.models import ProbationOfficer, Repeat
from booking.reservations.series import Plan
from booking.reservations.services import DESK_NOTE_MAX, SafetyDetails, Slot
from booking.rooms.models import Room
from booking.timeutil import at_tokyo

DURATIONS = (30, 45, 60, 90, 120, 150, 180)
INTERVALS = ((1, _l("毎週")), (2, _l("2週ごと")), (3, _l("3週ごと")), (4, _l("4週ごと")))


class ReservationForm(FlaskForm):
    day = DayField(
        _l("利用日"),
        format=["%Y-%m-%d", "%Y/%m/%d"],
        validators=[InputRequired(_l("利用日を入力してください（例：2025-04-10）。"))],
    )
    start = ClockField(
        _l("開始時刻"),
        format=["%H:%M", "%H:%M:%S"],
        validators=[InputRequired(_l("開始時刻を入力してください（例：18:00）。"))],
        render_kw={"step": 900},
    )
    minutes = ChoiceField(
        _l("利用時間"),
        coerce=int,
        default=60,
        validators=[DataRequired(_l("利用時間を選んでください。"))],
    )
    second_officer = BooleanField(_l("もう一人の保護司が同席する"))
    probation_officer = ChoiceRadioField(
        _l("保護観察官（保護観察所の職員）の参加"),
        choices=[SelectChoice(p.value, p.label) for p in ProbationOfficer],
        default=ProbationOfficer.NONE.value,
    )
    notify_desk = BooleanField(_l("来館したことを窓口に伝えてほしい"))
    caution = BooleanField(_l("職員に特に気をつけて見守ってほしい（理由は書きません）"))
    desk_note = TextAreaField(
        _l("窓口へのメモ"),
        validators=[
            Optional(),
            Length(max=DESK_NOTE_MAX, message=_l("200文字以内にしてください。")),
            no_control_characters,
        ],
        render_kw={"maxlength": DESK_NOTE_MAX, "rows": 3},
    )
    repeat = ChoiceRadioField(
        _l("繰り返し"),
        choices=[
            SelectChoice("", _l("繰り返さない")),
            SelectChoice(Repeat.WEEKLY.value, _l("毎週または隔週の同じ曜日")),
            SelectChoice(Repeat.MONTHLY_NTH.value, _l("毎月の同じ週の同じ曜日（例：第2木曜日）")),
        ],
        default="",
        validate_choice=True,
    )
    interval_weeks = ChoiceField(
        _l("間隔"),
        coerce=int,
        choices=[SelectChoice(n, label) for n, label in INTERVALS],
        default=1,
    )
    repeat_until = DayField(
        _l("繰り返しの最終日"), format=["%Y-%m-%d", "%Y/%m/%d"], validators=[Optional()]
    )
    idempotency_key = HiddenField()

    def __init__(self, room: Room, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.minutes.choices = [
            SelectChoice(m, self.length_label(m))
            for m in DURATIONS
            if room.min_minutes <= m <= room.max_minutes
        ]
        if not self.idempotency_key.data:
            self.idempotency_key.data = uuid.uuid4().hex

    def length_label(self, minutes: int) -> str:
        """60分, or 60分（15:00まで） once the start is known, so the end needs no sums."""
        if not isinstance(self.start.data, time):
            return _l("%(n)d分", n=minutes)
        end = datetime.combine(date.min, self.start.data) + timedelta(minutes=minutes)
        return _l("%(n)d分（%(end)sまで）", n=minutes, end=f"{end.hour}:{end.minute:02d}")

    def span(self) -> tuple[time, time] | None:
        """The start and end the officer chose (14:00〜15:00), when both are given."""
        if not isinstance(self.start.data, time) or not isinstance(self.minutes.data, int):
            return None
        end = datetime.combine(date.min, self.start.data) + timedelta(minutes=self.minutes.data)
        return self.start.data, end.time()

    def validate_idempotency_key(self, field) -> None:
        if field.data and not (len(field.data) <= 64 and field.data.isalnum()):
            raise ValidationError(_l("送信内容が正しくありません。"))

    def slot(self, room: Room) -> Slot:
        starts_at = at_tokyo(self.day.data, self.start.data)
        return Slot(room, starts_at, starts_at + timedelta(minutes=self.minutes.data))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.repeat.data and not self.repeat_until.data and not self.repeat_until.errors:
            self.repeat_until.errors.append(_l("繰り返しの最終日を入力してください。"))
            return False
        return valid

    def plan(self, room: Room) -> Plan:
        return Plan(
            room=room,
            first_day=self.day.data,
            starts=self.start.data,
            minutes=self.minutes.data,
            repeat=Repeat(self.repeat.data),
            last_day=self.repeat_until.data,
            interval_weeks=self.interval_weeks.data,
        )

    def safety(self) -> SafetyDetails:
        return SafetyDetails(
            second_officer=self.second_officer.data,
            probation_officer=ProbationOfficer(self.probation_officer.data),
            notify_desk=self.notify_desk.data,
            caution=self.caution.data,
            # Browsers send a textarea's line breaks as CRLF.
            desk_note=(self.desk_note.data or "").replace("\r\n", "\n").strip(),
        )

    def attach(self, error: DomainError) -> None:
        """Show a service error next to the field it concerns, or above the form."""
        target = getattr(self, error.field, None) if error.field else None
        if target is not None:
            target.errors = [*target.errors, error.message]
        else:
            self.form_errors.append(error.message)
