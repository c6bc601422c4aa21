"""The shape of a report's query string: which period, which facility, which trial."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from booking.errors import InvalidInput
from booking.reports.periods import Period, month, parse_fiscal_year, parse_month
from booking.timeutil import today_tokyo

TABLES = ("facilities", "rooms", "wards", "months", "heatmap", "leadtime")


def chosen_period(args: MultiDict) -> Period:
    """``year=2025`` (a fiscal year) or ``month=2025-04``; this month when neither is given."""
    if args.get("year"):
        return parse_fiscal_year(args["year"])
    if args.get("month"):
        return parse_month(args["month"])
    today = today_tokyo()
    return month(today.year, today.month)


def whole_number(text: str | None, message: str) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise InvalidInput(message)
    return int(text)


def chosen_facility_id(args: MultiDict) -> int | None:
    return whole_number(args.get("facility"), _("施設の指定が正しくありません。"))


def chosen_table(args: MultiDict) -> str | None:
    table = args.get("table")
    if table and table not in TABLES:
        raise InvalidInput(_("表の指定が正しくありません。"))
    return table


@dataclass(frozen=True)
class TrialQuery:
    facility_id: int
    split: date
    days: int


def trial_query(args: MultiDict, default_split: date) -> TrialQuery | None:
    """The facility, the date the trial began and how many days on each side (7 to 366)."""
    facility_id = chosen_facility_id(args)
    if facility_id is None:
        return None
    try:
        split = date.fromisoformat(args.get("date") or default_split.isoformat())
    except ValueError:
        raise InvalidInput(_("日付は 2025-06-01 のように指定してください。")) from None
    days = whole_number(args.get("days"), _("日数は7から366までの数字で指定してください。"))
    if days is not None and not 7 <= days <= 366:
        raise InvalidInput(_("日数は7から366までの数字で指定してください。"))
    return TrialQuery(facility_id, split, days or 90)
