"""When rooms are open: weekly hours, national holidays, the year end and closures."""

import calendar
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from booking.auth.models import User
from booking.extensions import db
from booking.rooms.models import NEIGHBOURS, Closure, Facility, Room, Ward
from booking.timeutil import at_tokyo, is_year_end, national_holiday, tokyo_day_bounds


def listed_rooms(today: date, wards: Iterable[Ward] | None = None) -> list[Room]:
    """Active rooms of facilities lent today or later (in ``wards`` when given), with
    everything the list shows."""
    query = select(Room).join(Room.facility).where(*lent_rooms(today))
    if wards is not None:
        query = query.where(Facility.ward.in_(list(wards)))
    return list(
        db.session.scalars(
            query.options(
                selectinload(Room.facility).selectinload(Facility.opening_hours),
                selectinload(Room.staffed_hours),
            ).order_by(Facility.id, Room.id)
        )
    )


def lent_rooms(today: date) -> tuple:
    return (Room.active, or_(Facility.bookable_until.is_(None), Facility.bookable_until >= today))


def closures_between(starts_at: datetime, ends_at: datetime) -> list[Closure]:
    """Every closure overlapping the half-open interval [starts_at, ends_at)."""
    return list(
        db.session.scalars(
            select(Closure).where(Closure.starts_at < ends_at, Closure.ends_at > starts_at)
        )
    )


def closures_on(day: date) -> list[Closure]:
    return closures_between(*tokyo_day_bounds(day))


def closed_reason(room: Room, day: date, closures: Iterable[Closure], locale="ja") -> str | None:
    """Why ``room`` is closed for the whole of Sapporo's ``day``, or None when it opens."""
    hours = room.facility.hours_on(day.weekday())
    reason = closed_day_reason(room.facility, day, hours is not None, locale)
    if reason:
        return reason
    opens, closes = at_tokyo(day, hours.opens), at_tokyo(day, hours.closes)
    for closure in closures:
        if closure.applies_to(room) and closure.starts_at <= opens and closes <= closure.ends_at:
            return _("臨時休館：%(reason)s", reason=closure.reason)
    return None


def closed_day_reason(
    facility: Facility, day: date, opens_that_weekday: bool, locale="ja"
) -> str | None:
    """Why ``facility`` does not open on ``day`` at all, or None."""
    if not facility.is_bookable_on(day):
        return _("施設の利用期間外です")
    if facility.closes_year_end and is_year_end(day):
        return _("年末年始（12月29日〜1月3日）は休館です")
    holiday = national_holiday(day, locale)
    if facility.closes_on_holidays and holiday:
        return _("祝日（%(name)s）は休館です", name=holiday)
    if not opens_that_weekday:
        return _("この曜日は休館です")
    return None


def findable_rooms(
    today: date, evening_or_weekend: bool, *, near: Ward | None, all_up_to: int
) -> tuple[list[Room], frozenset[Ward] | None]:
    """The rooms the find page considers, and the wards it kept to (None: every ward).

    Officers travel, so every ward is searched while there are at most ``all_up_to`` rooms
    (Sapporo has 15). Beyond that (a national service, thousands of rooms) the search keeps
    to the ward ``near``, and to nothing until a ward is known; the page offers the others.
    """
    wards = None
    if count_lent_rooms(today) > all_up_to:
        wards = frozenset({near} if near is not None else ())
    rooms = listed_rooms(today, wards) if wards != frozenset() else []
    if evening_or_weekend:
        rooms = [room for room in rooms if room.facility.open_evenings_or_weekends]
    return rooms, wards


def other_wards(kept_to: frozenset[Ward] | None, near: Ward | None) -> list[Ward]:
    """The wards a kept-to search did not cover, those bordering ``near`` first."""
    if kept_to is None:
        return []
    others = [ward for ward in Ward if ward not in kept_to]
    return sorted(others, key=lambda ward: (nearness(ward, near and near.value), ward.order))


def count_lent_rooms(today: date) -> int:
    return db.session.scalar(
        select(func.count(Room.id)).join(Room.facility).where(*lent_rooms(today))
    )


def fits(room: Room, free: list[tuple[datetime, datetime]]) -> bool:
    """True when the room's shortest booking fits in one of the free intervals."""
    return any((end - start).total_seconds() >= room.min_minutes * 60 for start, end in free)


def past_day_message() -> str:
    return _("利用日は今日以降の日付にしてください。")


def rooms_by_ward(pairs: Iterable[tuple], first=None) -> list[tuple]:
    """(room, extra) pairs grouped by ward: ``first`` ward at the top, then the wards that
    border it, then the rest, each in the city's order."""
    groups: dict = {}
    for room, extra in pairs:
        groups.setdefault(room.facility.ward, []).append((room, extra))
    return sorted(groups.items(), key=lambda item: (nearness(item[0], first), item[0].order))


def nearness(ward: Ward, home: str | None) -> int:
    """0 for the home ward, 1 for a ward bordering it, 2 for the others (or without a home)."""
    if ward.value == home:
        return 0
    try:
        return 1 if Ward(home) in NEIGHBOURS[ward] else 2
    except ValueError:  # no home ward, or not one of Sapporo's
        return 2


def month_weeks(month: date) -> list[list[date | None]]:
    """The weeks of ``month`` from Sunday, as a wall calendar; days of other months are None."""
    weeks = calendar.Calendar(firstweekday=6).monthdatescalendar(month.year, month.month)
    return [[day if day.month == month.month else None for day in week] for week in weeks]


def last_bookable_day(rooms: list[Room], today: date) -> date:
    """The end of the widest booking window among ``rooms``."""
    return today + timedelta(days=max((room.window_days for room in rooms), default=0))


def set_home_ward(user: User, ward: str | None) -> None:
    """The ward the find page lists first for ``user``; None forgets it."""
    user.home_ward = Ward(ward).value if ward else None
