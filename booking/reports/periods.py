"""Months and fiscal years (April to March), as Sapporo days and UTC bounds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _

from booking.errors import InvalidInput
from booking.timeutil import tokyo_day_bounds

MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class Period:
    """Sapporo days ``first`` to ``last`` inclusive, with a label people read."""

    first: date
    last: date
    label: str

    @property
    def starts_at(self) -> datetime:
        return tokyo_day_bounds(self.first)[0]

    @property
    def ends_at(self) -> datetime:
        return tokyo_day_bounds(self.last)[1]

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month(year: int, number: int) -> Period:
    first = date(year, number, 1)
    return Period(
        first, next_month(first) - timedelta(days=1), _("%(y)d年%(m)d月", y=year, m=number)
    )


def parse_month(text: str | None) -> Period:
    """``2025-04`` as a Period; a clear message for anything else."""
    found = MONTH.match((text or "").strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise InvalidInput(_("月は 2025-04 のように年と月で指定してください。"))
    return month(int(found.group(1)), int(found.group(2)))


def fiscal_year(year: int) -> Period:
    """April ``year`` to March of the next year: FY2025 is 2025-04-01 to 2026-03-31."""
    return Period(date(year, 4, 1), date(year + 1, 3, 31), _("%(y)d年度", y=year))


def parse_fiscal_year(text: str | None) -> Period:
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise InvalidInput(_("年度は 2025 のように西暦の4桁で指定してください。"))
    return fiscal_year(int(text))


def fiscal_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def months_of(period: Period) -> list[Period]:
    """The calendar months a period touches, in order."""
    months, first = [], period.first.replace(day=1)
    while first <= period.last:
        months.append(month(first.year, first.month))
        first = next_month(first)
    return months
