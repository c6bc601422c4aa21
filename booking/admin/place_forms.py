"""Forms of the admin's place pages: facilities, weekly hours, rooms, city-wide closures."""

import re
from datetime import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from booking import templating
from booking.fields import ChoiceField, ClockField, DayField, NormalizedMixin, normalized
from booking.inputs import database_id, no_control_characters
from booking.manage.forms import DAY_FORMATS, japanese_phone
from booking.rooms.models import FacilityKind, FeeBasis, Ward
from booking.timeutil import at_tokyo, tokyo_day_bounds

WEEKDAY_KEYS = range(7)
STEP_MINUTES = 15  # opening and staffed hours are on the quarter hour, as bookings are


class Number(NormalizedMixin, IntegerField):
    plain_message = _l("半角か全角の数字で入力してください。")


def text(label, size: int, required: bool = True, **kwargs) -> StringField:
    need = [DataRequired(_l("入力してください。"))] if required else [Optional()]
    return StringField(
        label,
        validators=[
            *need,
            Length(max=size, message=_l("%(n)d文字以内にしてください。", n=size)),
            no_control_characters,
        ],
        **kwargs,
    )


def number(label, low: int, high: int) -> Number:
    return Number(
        label,
        validators=[
            InputRequired(_l("数字を入力してください。")),
            NumberRange(
                low,
                high,
                message=_l("%(low)dから%(high)dまでの数にしてください。", low=low, high=high),
            ),
        ],
    )


def confirmed_ids(text: str | None) -> frozenset[int]:
    """The reservation ids a confirmation page listed ("12 15 20"); anything else is ignored."""
    return frozenset(database_id(part) for part in (text or "").split()[:10000]) - {None}


class Confirmable:
    def confirmed(self) -> frozenset[int]:
        return confirmed_ids(self.confirm.data)


class WeeklyHoursForm(Confirmable, FlaskForm):
    """Seven weekdays, each with an opening and a closing time, or both empty when closed."""

    def weekly(self) -> dict[int, tuple[time, time] | None]:
        hours = {}
        for day in WEEKDAY_KEYS:
            opens, closes = self[f"opens_{day}"].data, self[f"closes_{day}"].data
            hours[day] = (opens, closes) if opens and closes else None
        return hours

    def day_fields(self):
        """(weekday name, opening field, closing field) for the template."""
        return [
            (templating.weekday_name(day), self[f"opens_{day}"], self[f"closes_{day}"])
            for day in WEEKDAY_KEYS
        ]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for day in WEEKDAY_KEYS:
            valid &= check_day(self[f"opens_{day}"], self[f"closes_{day}"])
        return valid

    def fill_hours(self, rows) -> None:
        for row in rows:
            self[f"opens_{row.weekday}"].data = row.opens
            self[f"closes_{row.weekday}"].data = row.closes


def check_day(opens, closes) -> bool:
    """Both times or neither; on the quarter hour; opening before closing."""
    if opens.errors or closes.errors:
        return False
    if bool(opens.data) != bool(closes.data):
        missing = closes if opens.data else opens
        missing.errors = [_l("開く時刻と閉じる時刻の両方を入力するか、両方を空けてください。")]
        return False
    for field in (opens, closes):
        if field.data and field.data.minute % STEP_MINUTES:
            field.errors = [_l("時刻は15分単位（00分・15分・30分・45分）にしてください。")]
            return False
    if opens.data and opens.data >= closes.data:
        closes.errors = [_l("閉じる時刻は開く時刻より後にしてください。")]
        return False
    return True


def add_weekly_fields(form_class, opens_label, closes_label) -> None:
    """Seven pairs of clock fields, opens_0..opens_6 and closes_0..closes_6."""
    for day in WEEKDAY_KEYS:
        setattr(form_class, f"opens_{day}", ClockField(opens_label, validators=[Optional()]))
        setattr(form_class, f"closes_{day}", ClockField(closes_label, validators=[Optional()]))


class FacilityForm(WeeklyHoursForm):
    name_ja = text(_l("施設名"), 200)
    name_en = text(_l("施設名（英語）"), 200, required=False)
    address = text(_l("住所"), 300)
    phone = StringField(
        _l("代表電話"),
        filters=[normalized],
        validators=[Optional(), japanese_phone],
        render_kw={"type": "tel", "autocomplete": "off"},
    )
    kind = ChoiceField(_l("種類"), choices=[SelectChoice(k.value, k.label) for k in FacilityKind])
    fee_basis = ChoiceField(
        _l("使用料"), choices=[SelectChoice(f.value, f.label) for f in FeeBasis]
    )
    bookable_from = DayField(
        _l("予約を受け付ける最初の日"),
        format=DAY_FORMATS,
        validators=[InputRequired(_l("日付を入力してください。"))],
    )
    bookable_until = DayField(
        _l("予約を受け付ける最後の日"), format=DAY_FORMATS, validators=[Optional()]
    )
    closes_on_holidays = BooleanField(_l("祝日は休館"))
    closes_year_end = BooleanField(_l("年末年始（12月29日〜1月3日）は休館"))
    desk_email = StringField(
        _l("窓口のメールアドレス（見守りのお知らせ）"),
        filters=[normalized],
        validators=[
            Optional(),
            Length(max=254, message=_l("メールアドレスが長すぎます。")),
            Email(_l("メールアドレスは desk@example.jp のように入力してください。")),
        ],
        render_kw={"type": "email", "autocomplete": "off"},
    )
    confirm = HiddenField()

    def validate_bookable_until(self, field) -> None:
        if field.data and self.bookable_from.data and field.data < self.bookable_from.data:
            raise ValidationError(_l("最後の日は最初の日より後にしてください。"))

    def values(self) -> dict:
        return {
            "name_ja": self.name_ja.data.strip(),
            "name_en": (self.name_en.data or "").strip(),
            "address": self.address.data.strip(),
            "phone": templating.phone(self.phone.data) or None,
            "kind": FacilityKind(self.kind.data),
            "fee_basis": FeeBasis(self.fee_basis.data),
            "bookable_from": self.bookable_from.data,
            "bookable_until": self.bookable_until.data,
            "closes_on_holidays": self.closes_on_holidays.data,
            "closes_year_end": self.closes_year_end.data,
            "desk_email": self.desk_email.data or None,
        }


add_weekly_fields(FacilityForm, _l("開館"), _l("閉館"))

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
CODE_MESSAGE = _l("コードは半角の小文字英数字とハイフンで、64文字以内にしてください。")


class NewFacilityForm(FacilityForm):
    code = StringField(
        _l("施設コード（半角英数字、後から変えられません）"),
        filters=[normalized],
        validators=[InputRequired(_l("入力してください。")), Regexp(CODE, message=CODE_MESSAGE)],
    )
    ward = ChoiceField(_l("区"), choices=[SelectChoice(w.value, w.label) for w in Ward])

    def values(self) -> dict:
        return {**super().values(), "code": self.code.data, "ward": Ward(self.ward.data)}


SLOT_CHOICES = (15, 30, 60)


class RoomForm(WeeklyHoursForm):
    name_ja = text(_l("部屋の名前"), 200)
    name_en = text(_l("部屋の名前（英語）"), 200, required=False)
    floor = text(_l("階"), 16, required=False)
    capacity = number(_l("定員（人）"), 1, 200)
    buffer_minutes = number(_l("予約と予約の間に空ける時間（分）"), 0, 120)
    min_minutes = number(_l("いちばん短い予約（分）"), 15, 720)
    max_minutes = number(_l("いちばん長い予約（分）"), 15, 720)
    slot_minutes = ChoiceField(
        _l("予約の時刻の刻み"),
        coerce=int,
        choices=[SelectChoice(n, _l("%(n)d分", n=n)) for n in SLOT_CHOICES],
    )
    window_days = number(_l("何日先まで予約できるか（日）"), 1, 400)
    near_desk = BooleanField(_l("職員の窓口の近く"))
    second_exit = BooleanField(_l("出入口が二つある"))
    alarm_button = BooleanField(_l("非常ボタンがある"))
    confirm = HiddenField()

    def validate_max_minutes(self, field) -> None:
        if field.data is not None and self.min_minutes.data and field.data < self.min_minutes.data:
            raise ValidationError(_l("いちばん長い予約は、いちばん短い予約以上にしてください。"))

    def validate_min_minutes(self, field) -> None:
        step = self.slot_minutes.data
        if field.data and step in SLOT_CHOICES and field.data % step:
            raise ValidationError(_l("予約の長さは時刻の刻みの倍数にしてください。"))

    def values(self) -> dict:
        names = ("capacity", "buffer_minutes", "min_minutes", "max_minutes", "window_days")
        return {
            "name_ja": self.name_ja.data.strip(),
            "name_en": (self.name_en.data or "").strip(),
            "floor": (self.floor.data or "").strip(),
            "slot_minutes": self.slot_minutes.data,
            "near_desk": self.near_desk.data,
            "second_exit": self.second_exit.data,
            "alarm_button": self.alarm_button.data,
            **{name: self[name].data for name in names},
        }


add_weekly_fields(RoomForm, _l("職員がいる時間の始まり"), _l("職員がいる時間の終わり"))


class NewRoomForm(RoomForm):
    code = StringField(
        _l("部屋コード（半角英数字、後から変えられません）"),
        filters=[normalized],
        validators=[InputRequired(_l("入力してください。")), Regexp(CODE, message=CODE_MESSAGE)],
    )

    def values(self) -> dict:
        return {**super().values(), "code": self.code.data}


class ConfirmForm(Confirmable, FlaskForm):
    """A button that carries only its CSRF token and the confirmation."""

    confirm = HiddenField()


class CityClosureForm(Confirmable, FlaskForm):
    ward = ChoiceField(_l("対象"), validators=[Optional()])
    first_day = DayField(
        _l("休館の始まりの日"),
        format=DAY_FORMATS,
        validators=[InputRequired(_l("始まりの日を入力してください。"))],
    )
    last_day = DayField(
        _l("休館の終わりの日"),
        format=DAY_FORMATS,
        validators=[InputRequired(_l("終わりの日を入力してください。"))],
    )
    reason = text(_l("理由（利用者に表示されます）"), 200)
    confirm = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ward.choices = [SelectChoice("", _l("市内のすべての施設"))] + [
            SelectChoice(w.value, w.label) for w in Ward
        ]

    def validate_last_day(self, field) -> None:
        if field.data and self.first_day.data and field.data < self.first_day.data:
            raise ValidationError(_l("終わりの日は始まりの日と同じか後にしてください。"))

    def values(self) -> dict:
        return {
            "ward": Ward(self.ward.data) if self.ward.data else None,
            "starts_at": at_tokyo(self.first_day.data, time()),
            "ends_at": tokyo_day_bounds(self.last_day.data)[1],
            "reason": self.reason.data.strip(),
        }
