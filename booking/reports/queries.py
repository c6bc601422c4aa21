"""The reports' counts: one GROUP BY statement each over a period's reservations.

Every count comes with the number of distinct officers behind it, so that a cell drawn from
fewer than three officers can be suppressed. Nothing here loads a reservation into Python.
"""

from datetime import datetime

from sqlalchemy import and_, case, distinct, func, select

from booking.extensions import db
from booking.reports.sql import MinutesBetween, TokyoHour, TokyoMonth, TokyoWeekday
from booking.reservations.models import ProbationOfficer, Reservation, Status
from booking.rooms.models import Facility, Room

R = Reservation
HELD = R.status == Status.ACTIVE


def counted(now: datetime) -> dict:
    """What each count counts. A cancellation by anyone but the officer was the desk's or
    the city's (a closure); one recorded before who cancelled was kept counts as theirs."""
    cancelled = R.status == Status.CANCELLED
    by_officer = R.cancelled_by_id == R.officer_id
    return {
        "held": HELD,
        "cancelled_by_officer": and_(cancelled, by_officer),
        "cancelled_by_staff": and_(cancelled, ~by_officer | R.cancelled_by_id.is_(None)),
        "no_show": and_(HELD, R.starts_at < now, R.checked_in_at.is_(None)),
        "second_officer": and_(HELD, R.second_officer),
        "probation_officer": and_(HELD, R.probation_officer != ProbationOfficer.NONE),
        "notify_desk": and_(HELD, R.notify_desk),
        "caution": and_(HELD, R.caution),
    }


def tally(name: str, condition) -> list:
    """A count and the distinct officers behind it, as two labelled columns."""
    return [
        func.sum(case((condition, 1), else_=0)).label(name),
        func.count(distinct(case((condition, R.officer_id)))).label(f"{name}_officers"),
    ]


HELD_MINUTES = func.sum(case((HELD, MinutesBetween(R.starts_at, R.ends_at)), else_=0))


def within(statement, starts_at: datetime, ends_at: datetime, room_ids: list[int]):
    """The reservations of ``room_ids`` whose interview starts in [starts_at, ends_at)."""
    return statement.where(R.starts_at >= starts_at, R.starts_at < ends_at, R.room_id.in_(room_ids))


def figures(group, starts_at, ends_at, room_ids, now) -> list:
    """Every figure of the report's main tables, one row per value of ``group`` (a column,
    or None for one row over everything)."""
    keys = [group] if group is not None else []
    columns = [
        column for name, condition in counted(now).items() for column in tally(name, condition)
    ]
    statement = select(*keys, *columns, HELD_MINUTES.label("minutes")).select_from(R)
    if group is not None and group.table is not R.__table__:
        statement = statement.join(Room, Room.id == R.room_id).join(Facility)
    statement = within(statement, starts_at, ends_at, room_ids)
    if keys:
        statement = statement.group_by(*keys)
    return list(db.session.execute(statement).mappings())


def held_by(keys: list, starts_at, ends_at, room_ids) -> list:
    """Reservations held and their officers, grouped by ``keys``."""
    statement = select(*keys, *tally("held", HELD), HELD_MINUTES.label("minutes")).select_from(R)
    statement = within(statement, starts_at, ends_at, room_ids).where(HELD).group_by(*keys)
    return list(db.session.execute(statement).mappings())


def by_month(starts_at, ends_at, room_ids) -> list:
    return held_by([TokyoMonth(R.starts_at).label("month")], starts_at, ends_at, room_ids)


def by_weekday_and_hour(starts_at, ends_at, room_ids) -> list:
    keys = [TokyoWeekday(R.starts_at).label("dow"), TokyoHour(R.starts_at).label("hour")]
    return held_by(keys, starts_at, ends_at, room_ids)


# Days between booking and interview: the lower bound of each bucket, in minutes.
LEAD_BUCKETS = (0, 1 * 1440, 3 * 1440, 7 * 1440, 14 * 1440, 30 * 1440)


def by_lead_time(starts_at, ends_at, room_ids) -> list:
    lead = MinutesBetween(R.created_at, R.starts_at)
    bucket = case(
        *[(lead < upper, index) for index, upper in enumerate(LEAD_BUCKETS[1:])],
        else_=len(LEAD_BUCKETS) - 1,
    )
    return held_by([bucket.label("bucket")], starts_at, ends_at, room_ids)
