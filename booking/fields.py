"""Form field types every feature uses: dates as people write them, clock times, plain messages."""

import re
import unicodedata
from datetime import date, timedelta

import phonenumbers
from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, TimeField
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput

from booking.timeutil import today_tokyo


class PlainMessages:
    """WTForms' own messages (無効な日付型です) mean nothing to an officer: say what to do."""

    plain_message = _l("一覧から選んでください。")

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.plain_message) from None

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(self.plain_message) from None


def normalized(value: str | None) -> str | None:
    """Full-width digits and signs (２０２５／４／１０, ｄｅｓｋ＠...) as ASCII, trimmed."""
    return unicodedata.normalize("NFKC", value).strip() if value else value


class NormalizedMixin(PlainMessages):
    """Accept full-width digits and separators (２０２５／４／１０, １８：００)."""

    def process_formdata(self, valuelist):
        super().process_formdata([normalized(v) for v in valuelist])


# The eras a date may be written in: the year before each one's first and its first day.
ERAS = {
    "令和": (2018, date(2019, 5, 1)),
    "R": (2018, date(2019, 5, 1)),
    "平成": (1988, date(1989, 1, 8)),
    "H": (1988, date(1989, 1, 8)),
}
WRITTEN_DATE = re.compile(
    r"(?P<era>令和|平成|R|H)?\s*(?P<year>元|\d{1,4})\s*[年./-]\s*(?P<month>\d{1,2})\s*[月./-]"
    r"\s*(?P<day>\d{1,2})\s*日?\s*(?:\([^)]{1,3}\))?",  # a weekday copied along: (火)
    re.IGNORECASE,
)


def parse_written_date(text: str | None) -> date | None:
    """2025-04-08, 2025/4/8, 2025年4月8日, 令和7年4月8日 or R7.4.8 (full-width too), or None."""
    found = WRITTEN_DATE.fullmatch(normalized(text) or "")
    if not found:
        return None
    year = 1 if found["year"] == "元" else int(found["year"])
    era = ERAS.get((found["era"] or "").upper())
    if era:
        year += era[0]
    elif len(found["year"]) != 4:  # 7.4.8 could be any era: ask again
        return None
    try:
        day = date(year, int(found["month"]), int(found["day"]))
    except (ValueError, OverflowError):  # 2月30日, or a year no calendar has
        return None
    return None if era and day < era[1] else day


class DayField(PlainMessages, DateField):
    """A typed date in any of the ways the city writes one; a text box, since a phone's date
    picker cannot take 令和."""

    widget = TextInput()
    plain_message = _l("日付は 令和7年4月10日 か 2025-04-10 のように入力してください。")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%d"])
        kwargs.setdefault("render_kw", {"autocomplete": "off"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not (valuelist[0] or "").strip():
            self.data = None
            return
        self.data = parse_written_date(valuelist[0])
        if self.data is None:
            raise ValueError(self.plain_message)
        if not 2000 <= self.data.year <= 2100:
            self.data = None
            raise ValueError(_l("2000年から2100年までの日付を入力してください。"))


def date_example(days_ahead: int = 7) -> date:
    """A date for hints that is never in a past year: a week from today."""
    return today_tokyo() + timedelta(days=days_ahead)


class ClockField(NormalizedMixin, TimeField):
    plain_message = _l("時刻は 18:00 のように、24時間制で入力してください。")


class ChoiceField(PlainMessages, SelectField):
    pass


class ChoiceRadioField(PlainMessages, RadioField):
    pass


def national_phone(text: str | None) -> str | None:
    """A Japanese number as 090-1234-5678, from any common way of writing it (０９０…,
    011(211)2000, +81 90 ...); None when it is not a valid number in Japan."""
    plain = normalized(text) or ""
    try:
        parsed = phonenumbers.parse(plain, "JP")
    except phonenumbers.NumberParseException:
        return None
    if parsed.country_code != 81 or not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


# One @, a dot in the domain, no spaces: Japanese carriers' older addresses (a..b@, a.@)
# break the RFC yet receive mail, so nothing stricter.
EMAIL_SHAPE = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+")


def plausible_email(text: str | None) -> str | None:
    """The address in lower case if it has the shape of one (full-width letters allowed)."""
    plain = (normalized(text) or "").lower()
    if len(plain) > 254 or not plain.isascii() or not EMAIL_SHAPE.fullmatch(plain):
        return None
    return plain


# Hiragana, katakana, the long-vowel mark and spaces (half-width kana become full-width).
KANA = re.compile(r"[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30fe\u3000 ・]+")


def kana_reading(text: str | None) -> str | None:
    """A name's reading in kana, spaces tidied; None when it holds other characters."""
    plain = " ".join((normalized(text) or "").split())
    return plain if plain and KANA.fullmatch(plain) else None
