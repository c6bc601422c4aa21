"""Time: UTC inside, Asia/Tokyo at the edges, and Japan's national holidays."""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

TOKYO = ZoneInfo("Asia/Tokyo")


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and gives them back aware, in UTC, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: give an aware datetime")
        value = value.astimezone(UTC)
        # SQLite has no time zones: keep UTC wall time so that text comparison orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Tests set this to stop the clock; it stays None in the running application.
frozen_now: datetime | None = None


def now_utc() -> datetime:
    """The current time, aware, in UTC."""
    return frozen_now or datetime.now(UTC)


def today_tokyo() -> date:
    """Today's date in Sapporo."""
    return now_utc().astimezone(TOKYO).date()


def tokyo(moment: datetime) -> datetime:
    """``moment`` as Sapporo wall time."""
    return moment.astimezone(TOKYO)


def at_tokyo(day: date, clock: time) -> datetime:
    """The UTC instant of a Sapporo wall-clock time on ``day``."""
    return datetime.combine(day, clock, tzinfo=TOKYO).astimezone(UTC)


def tokyo_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The half-open UTC interval covering Sapporo's ``day``."""
    return at_tokyo(day, time()), at_tokyo(day + timedelta(days=1), time())


@cache
def _japanese_holidays(language: str) -> holidays.HolidayBase:
    return holidays.country_holidays("JP", language=language)


def national_holiday(day: date, language: str = "ja") -> str | None:
    """The name of the national holiday on ``day``, or None on an ordinary day."""
    return _japanese_holidays("en_US" if language == "en" else "ja").get(day)


def is_year_end(day: date) -> bool:
    """True from 29 December to 3 January, when the city's buildings close."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
