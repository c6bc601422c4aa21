"""Reading reservations for pages: each function a constant number of queries."""

import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import joinedload, selectinload

from booking.auth.models import User
from booking.extensions import db
from booking.reservations.models import Reservation, Status
from booking.rooms.models import Facility, Room
from booking.timeutil import tokyo, tokyo_day_bounds

PAST_SHOWN = timedelta(days=180)
WITH_PLACE = selectinload(Reservation.room).selectinload(Room.facility)


ROOM_WITH_FACILITY = (
    select(Room).where(Room.id == bindparam("room_id")).options(joinedload(Room.facility))
)


def room_with_facility(room_id: int) -> Room | None:
    """A room and its facility, in one query (the booking rules read that day's hours with
    the rest of their facts, in rules.look_around)."""
    return db.session.scalars(ROOM_WITH_FACILITY, {"room_id": room_id}).one_or_none()


def by_public_id(public_id: uuid.UUID) -> Reservation | None:
    return db.session.scalar(
        select(Reservation).where(Reservation.public_id == public_id).options(WITH_PLACE)
    )


def mine(officer: User, now: datetime) -> tuple[list[Reservation], list[Reservation]]:
    """Current (soonest first) and past (latest first) reservations of ``officer``.

    One the officer is still checked in to stays current however late: it has the button.
    """
    rows = db.session.scalars(
        select(Reservation)
        .where(
            Reservation.officer_id == officer.id,
            or_(Reservation.starts_at > now - PAST_SHOWN, STILL_IN_ROOM),
        )
        .options(WITH_PLACE.selectinload(Facility.opening_hours))
        .order_by(Reservation.starts_at)
    ).all()
    upcoming = [r for r in rows if r.is_in_room or (r.ends_at > now and r.is_active)]
    past = [r for r in reversed(rows) if r not in upcoming]
    return upcoming, past


STILL_IN_ROOM = and_(
    Reservation.status == Status.ACTIVE,
    Reservation.checked_in_at.is_not(None),
    Reservation.checked_out_at.is_(None),
)


def today_for(officer: User, now: datetime) -> list[Reservation]:
    """The home page's panel: reservations still checked in to (any day) first, then the
    officer's active ones of today in Sapporo, each with its place; one query."""
    starts, ends = tokyo_day_bounds(tokyo(now).date())
    rows = db.session.scalars(
        select(Reservation)
        .where(
            Reservation.officer_id == officer.id,
            Reservation.status == Status.ACTIVE,
            or_(STILL_IN_ROOM, and_(Reservation.starts_at >= starts, Reservation.starts_at < ends)),
        )
        .options(joinedload(Reservation.room).joinedload(Room.facility))
        .order_by(Reservation.starts_at)
    ).all()
    return sorted(rows, key=lambda r: not r.is_in_room)


def form_data(reservation: Reservation) -> SimpleNamespace:
    """The booking form's fields, filled from an existing reservation."""
    start = tokyo(reservation.starts_at)
    return SimpleNamespace(
        day=start.date(),
        start=start.time(),
        minutes=int((reservation.ends_at - reservation.starts_at).total_seconds() // 60),
        second_officer=reservation.second_officer,
        probation_officer=reservation.probation_officer.value,
        notify_desk=reservation.notify_desk,
        caution=reservation.caution,
        desk_note=reservation.desk_note,
        repeat="",
        interval_weeks=1,
        repeat_until=None,
        idempotency_key="",
    )
