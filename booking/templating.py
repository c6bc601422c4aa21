"""Filters and globals the templates share: Japanese dates, Tokyo times, phone numbers."""

from datetime import date, datetime, time
from itertools import groupby

import phonenumbers
from babel.dates import get_day_names
from flask import Flask
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from booking.fields import date_example
from booking.timeutil import tokyo

DATE_PATTERNS = {"ja": "y年M月d日(E)", "en": "EEE d MMMM y"}


def locale_code() -> str:
    return str(get_locale() or "ja")


def long_date(day: date | datetime) -> str:
    """2025年4月10日(木), or Thu 10 April 2025 in English."""
    if isinstance(day, datetime):
        day = tokyo(day).date()
    return format_date(day, DATE_PATTERNS.get(locale_code(), DATE_PATTERNS["ja"]))


def reiwa(day: date | datetime) -> str:
    """The Japanese era year the city also writes (令和7年), or '' before the Reiwa era."""
    if isinstance(day, datetime):
        day = tokyo(day).date()
    if locale_code() != "ja" or day < date(2019, 5, 1):
        return ""
    year = day.year - 2018
    return f"令和{'元' if year == 1 else year}年"


def clock(moment: time | datetime) -> str:
    """A 24-hour clock time as 8:45 or 18:00, in Tokyo."""
    if isinstance(moment, datetime):
        moment = tokyo(moment).time()
    return f"{moment.hour}:{moment.minute:02d}"


def clock24(moment: datetime) -> str:
    """A Tokyo time as 09:00, the value a time input expects."""
    return tokyo(moment).strftime("%H:%M")


def weekday_name(weekday: int) -> str:
    return get_day_names("abbreviated", locale=locale_code())[weekday]


def weekly_hours(intervals) -> str:
    """Group a week of intervals: 月〜金 8:45〜17:15, or 毎日 9:00〜21:00."""
    by_day = {i.weekday: (i.opens, i.closes) for i in intervals}
    if not by_day:
        return _("なし")
    if len(by_day) == 7 and len(set(by_day.values())) == 1:
        opens, closes = by_day[0]
        return _("毎日") + f" {clock(opens)}〜{clock(closes)}"
    runs = []
    days = sorted(by_day)
    chunks = groupby(enumerate(days), key=lambda pair: (pair[1] - pair[0], by_day[pair[1]]))
    for (_offset, (opens, closes)), members in chunks:
        run = [day for _index, day in members]
        label = weekday_name(run[0])
        if len(run) > 1:
            label += "〜" + weekday_name(run[-1])
        runs.append(f"{label} {clock(opens)}〜{clock(closes)}")
    return "、".join(runs)


def phone(number: str | None) -> str:
    """A Japanese phone number written as 011-211-2345."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, "JP")
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def tel_uri(number: str | None) -> str:
    try:
        parsed = phonenumbers.parse(number or "", "JP")
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.RFC3966)


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(
        long_date=long_date,
        reiwa=reiwa,
        clock=clock,
        clock24=clock24,
        weekly_hours=weekly_hours,
        phone=phone,
        tel=tel_uri,
    )
    app.jinja_env.globals.update(
        locale_code=locale_code, date_example=date_example, weekday_name=weekday_name
    )
