"""Free and taken time of many rooms over many days, in a constant number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking.extensions import db
from booking.reservations.models import LONGEST_SPAN_HOURS, Reservation, Status
from booking.rooms.models import Closure, Facility, Room
from booking.rooms.services import closed_reason, closures_between
from booking.timeutil import TOKYO, at_tokyo, tokyo, tokyo_day_bounds

Interval = tuple[datetime, datetime]


@dataclass
class DayPlan:
    """One room on one Sapporo day: closed all day (with the reason), or its free intervals.

    A free interval is where a new reservation fits whole, the room's buffer included.
    """

    day: date
    closed: str | None = None
    free: list[Interval] = field(default_factory=list)
    taken: list[Interval] = field(default_factory=list)
    closures: list[tuple[datetime, datetime, str]] = field(default_factory=list)


def load_rooms(room_ids) -> list[Room]:
    """Rooms with their facility, hours and staffed hours loaded (three queries)."""
    return list(
        db.session.scalars(
            select(Room)
            .where(Room.id.in_(room_ids))
            .options(
                selectinload(Room.facility).selectinload(Facility.opening_hours),
                selectinload(Room.staffed_hours),
            )
            .order_by(Room.id)
        )
    )


def availability(rooms: list[Room], first_day: date, last_day: date) -> dict[int, list[DayPlan]]:
    """For each room, one DayPlan per day from ``first_day`` to ``last_day`` inclusive."""
    starts_at, ends_at = tokyo_day_bounds(first_day)[0], tokyo_day_bounds(last_day)[1]
    held = reservations_between([room.id for room in rooms], starts_at, ends_at)
    closures = closures_between(starts_at, ends_at)
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    return {
        room.id: [plan_day(room, day, held[room.id], closures) for day in days] for room in rooms
    }


def reservations_between(room_ids, starts_at: datetime, ends_at: datetime) -> dict:
    """Active reservations of the rooms holding any time in [starts_at, ends_at), by room."""
    rows = db.session.scalars(
        select(Reservation)
        .where(
            Reservation.room_id.in_(room_ids),
            Reservation.status == Status.ACTIVE,
            Reservation.starts_at > starts_at - timedelta(hours=LONGEST_SPAN_HOURS),
            Reservation.starts_at < ends_at,
            Reservation.blocks_until > starts_at,
        )
        .order_by(Reservation.starts_at)
    )
    by_room = defaultdict(list)
    for reservation in rows:
        by_room[reservation.room_id].append(reservation)
    return by_room


def plan_day(room: Room, day: date, held: list[Reservation], closures: list[Closure]) -> DayPlan:
    reason = closed_reason(room, day, closures)
    if reason:
        return DayPlan(day, closed=reason)
    hours = room.facility.hours_on(day.weekday())
    opens, closes = at_tokyo(day, hours.opens), at_tokyo(day, hours.closes)
    buffer = timedelta(minutes=room.buffer_minutes)
    own = [(c.starts_at, c.ends_at, c.reason) for c in closures if c.applies_to(room)]
    own = [c for c in own if c[0] < closes and c[1] > opens]
    todays = [r for r in held if r.starts_at < closes and r.blocks_until > opens]
    # A new booking must end, buffer included, before the next one starts.
    blocked = [(r.starts_at - buffer, r.blocks_until) for r in todays]
    blocked += [(start, end) for start, end, _reason in own]
    return DayPlan(
        day,
        free=subtract((opens, closes), blocked),
        taken=[(r.starts_at, r.ends_at) for r in todays],
        closures=own,
    )


def subtract(whole: Interval, holes: list[Interval]) -> list[Interval]:
    """The parts of ``whole`` that no hole covers, in order."""
    free, cursor = [], whole[0]
    for start, end in sorted(holes):
        if start > cursor:
            free.append((cursor, min(start, whole[1])))
        cursor = max(cursor, end)
        if cursor >= whole[1]:
            break
    if cursor < whole[1]:
        free.append((cursor, whole[1]))
    return [(start, end) for start, end in free if start < end]


PARTS_OF_DAY = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24)}


def within_part(plan: DayPlan, part: str | None, not_before: datetime) -> list[Interval]:
    """The free intervals of ``plan`` inside a part of the day and not before ``not_before``."""
    first_hour, last_hour = PARTS_OF_DAY.get(part or "", (0, 24))
    window_start = max(at_tokyo(plan.day, time(first_hour)), not_before)
    window_end = (
        tokyo_day_bounds(plan.day)[1] if last_hour == 24 else at_tokyo(plan.day, time(last_hour))
    )
    clipped = [(max(start, window_start), min(end, window_end)) for start, end in plan.free]
    return [(start, end) for start, end in clipped if start < end]


@dataclass(frozen=True)
class SlotState:
    """One start time of a room's day as the week page shows it."""

    starts_at: datetime
    state: str  # "free", "taken" or "closed"
    reason: str | None = None


def slot_states(
    room: Room, plan: DayPlan, not_before: datetime, every: int = 30
) -> list[SlotState]:
    """Start times every ``every`` minutes: free if the room's shortest booking fits there."""
    if plan.closed:
        return []
    hours = room.facility.hours_on(plan.day.weekday())
    shortest = timedelta(minutes=room.min_minutes)
    times = start_times(at_tokyo(plan.day, hours.opens), at_tokyo(plan.day, hours.closes), every)
    return [
        state_at(plan, moment, shortest)
        for moment in times
        if moment > not_before and moment + shortest <= at_tokyo(plan.day, hours.closes)
    ]


def start_times(opens: datetime, closes: datetime, every: int) -> list[datetime]:
    """The opening time, then every ``every`` minutes on the clock's grid (8:45, 9:00, 9:30...)."""
    times, moment = [opens], opens
    minutes = moment.astimezone(TOKYO).hour * 60 + moment.astimezone(TOKYO).minute
    moment += timedelta(minutes=(-minutes) % every or every)
    while moment < closes:
        times.append(moment)
        moment += timedelta(minutes=every)
    return times


def state_at(plan: DayPlan, moment: datetime, shortest: timedelta) -> SlotState:
    if any(start <= moment and moment + shortest <= end for start, end in plan.free):
        return SlotState(moment, "free")
    for start, end, reason in plan.closures:
        if start < moment + shortest and moment < end:
            return SlotState(moment, "closed", reason)
    return SlotState(moment, "taken")


def facility_rooms(room: Room) -> list[Room]:
    """``room`` first, then the other active rooms of its facility, loaded for planning."""
    ids = db.session.scalars(
        select(Room.id).where(Room.facility_id == room.facility_id, Room.active)
    ).all()
    others = [other for other in load_rooms(ids) if other.id != room.id]
    return [room, *others]


def officer_busy(officer_id: int, day: date, exclude_id: int | None = None) -> list[Interval]:
    """The officer's own active reservations on Sapporo's ``day``: they cannot be in two rooms."""
    first, last = tokyo_day_bounds(day)
    rows = db.session.execute(
        select(Reservation.starts_at, Reservation.ends_at).where(
            Reservation.officer_id == officer_id,
            Reservation.status == Status.ACTIVE,
            Reservation.id.is_distinct_from(exclude_id),
            Reservation.starts_at > first - timedelta(hours=LONGEST_SPAN_HOURS),
            Reservation.starts_at < last,
            Reservation.ends_at > first,
        )
    )
    return [(start, end) for start, end in rows]


def free_starts(
    room: Room, plan: DayPlan, length: timedelta, not_before: datetime
) -> list[datetime]:
    """Start times on the room's step where a booking of ``length`` fits whole."""
    hours = room.facility.hours_on(plan.day.weekday())
    if plan.closed or hours is None:
        return []
    closes = at_tokyo(plan.day, hours.closes)
    moments = start_times(at_tokyo(plan.day, hours.opens), closes, room.slot_minutes)
    return [
        moment
        for moment in moments
        if moment > not_before
        and any(start <= moment and moment + length <= end for start, end in plan.free)
    ]


def nearest_free_starts(
    room: Room, officer_id: int, wanted: datetime, minutes: int, now: datetime, per_room: int = 3
) -> list[tuple[Room, list[Interval]]]:
    """The free start times nearest ``wanted`` on its day, in ``room`` and then its neighbours."""
    day, length = tokyo(wanted).date(), timedelta(minutes=minutes)
    rooms = [r for r in facility_rooms(room) if r.min_minutes <= minutes <= r.max_minutes]
    plans = availability(rooms, day, day)
    busy = officer_busy(officer_id, day)
    offers = []
    for each in rooms:
        starts = [
            start
            for start in free_starts(each, plans[each.id][0], length, now)
            if not any(b_start < start + length and start < b_end for b_start, b_end in busy)
        ]
        nearest = sorted(starts, key=lambda start: (abs(start - wanted), start))[:per_room]
        if nearest:
            offers.append((each, [(start, start + length) for start in sorted(nearest)]))
    return offers


def free_intervals(room: Room, day: date, not_before: datetime, exclude_id: int) -> DayPlan:
    """One room's day as it would be without the reservation ``exclude_id`` (to move it)."""
    starts_at, ends_at = tokyo_day_bounds(day)
    held = [r for r in reservations_between([room.id], starts_at, ends_at)[room.id]]
    held = [r for r in held if r.id != exclude_id]
    plan = plan_day(room, day, held, closures_between(starts_at, ends_at))
    plan.free = [(max(start, not_before), end) for start, end in plan.free if end > not_before]
    return plan
