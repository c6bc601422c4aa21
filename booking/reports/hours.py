"""Opening hours of rooms over a period: the denominator of utilisation.

Computed in Python from the weekly hours and the calendar (days x rooms, a few thousand
steps for a year), with the same rules that decide whether a day can be booked.
"""

from datetime import datetime

from booking.reports.periods import Period
from booking.reservations.availability import subtract
from booking.rooms.models import Closure, Room
from booking.rooms.services import closed_reason, closures_between
from booking.timeutil import at_tokyo


def opening_minutes(rooms: list[Room], period: Period) -> dict[int, int]:
    """Minutes each room was open in ``period``: the days its facility opened, less closures
    and the time after the room was retired."""
    closures = closures_between(period.starts_at, period.ends_at)
    return {room.id: room_minutes(room, period, closures) for room in rooms}


def room_minutes(room: Room, period: Period, closures: list[Closure]) -> int:
    own = [(c.starts_at, c.ends_at) for c in closures if c.applies_to(room)]
    if room.retired_at is not None:  # retired rooms were open only until then
        own.append((room.retired_at, max(room.retired_at, period.ends_at)))
    total = 0
    for day in period.days():
        if closed_reason(room, day, closures):
            continue
        hours = room.facility.hours_on(day.weekday())
        open_parts = subtract((at_tokyo(day, hours.opens), at_tokyo(day, hours.closes)), own)
        total += sum(minutes(start, end) for start, end in open_parts)
    return total


def minutes(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)
