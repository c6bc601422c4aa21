"""Calendar versions: whatever changes a feed bumps its rooms' and officers' counters.

A feed's ETag is read from these few rows (queries.stamp), never from its events, so they
must move with every change a feed could show:

- a reservation inserted, deleted, or written where a feed shows it: the database bumps its
  rooms and officers itself (triggers, migration 0006), whoever writes and however;
- a room renamed, or its facility renamed or moved: this session listener bumps the room and
  every officer with a reservation there, and the room's place version, which each event's
  SEQUENCE and LAST-MODIFIED count. Raw SQL that renames places must bump by hand.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import case, event, inspect, literal, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from booking.auth.models import User
from booking.extensions import db
from booking.feeds.queries import DAYS_BACK
from booking.reservations.models import Reservation, Status
from booking.reservations.rules import lock_rows
from booking.rooms.models import Facility, Room
from booking.timeutil import UTCDateTime, now_utc

Calendar = Room | User

# What a feed shows of a place: the summary and location name the room and its facility.
ROOM_PLACE = ("name_ja", "facility_id", "facility")
FACILITY_PLACE = ("name_ja", "address")


def writes(instance, keys: Iterable[str]) -> bool:
    """True when this flush writes one of ``keys`` of a persistent ``instance``."""
    return any(inspect(instance).attrs[key].history.has_changes() for key in keys)


def moved_rooms(session: Session) -> set[Room]:
    """Rooms whose name, or whose facility's name or address, this flush changes."""
    rooms: set[Room] = set()
    for instance in session.dirty:
        if isinstance(instance, Room) and writes(instance, ROOM_PLACE):
            rooms.add(instance)
        elif isinstance(instance, Facility) and writes(instance, FACILITY_PLACE):
            rooms.update(instance.rooms)
    return rooms


def officers_in(session: Session, rooms: set[Room]) -> set[User]:
    """Officers with an active reservation a feed may still show in one of ``rooms``."""
    ids = [room.id for room in rooms if room.id is not None]
    if not ids:
        return set()
    shown_from = now_utc() - timedelta(days=DAYS_BACK + 2)
    officer_ids = (
        select(Reservation.officer_id)
        .where(Reservation.room_id.in_(ids), Reservation.status == Status.ACTIVE)
        .where(Reservation.starts_at >= shown_from)
    )
    return set(session.scalars(select(User).where(User.id.in_(officer_ids))))


def later_of(column, moment: datetime):
    """The stored time or ``moment``, whichever is later: Last-Modified never goes back."""
    moment = literal(moment, UTCDateTime())
    return case((column > moment, column), else_=moment)


def bump(session: Session, calendars: set[Calendar]) -> None:
    """Count a change on each calendar, in SQL so that concurrent bumps are never lost."""
    now = now_utc()
    calendars = {c for c in calendars if inspect(c).persistent and c not in session.deleted}
    lock_rows(
        session,
        {c.id for c in calendars if isinstance(c, Room)},
        {c.id for c in calendars if isinstance(c, User)},
    )
    for calendar in calendars:
        model = type(calendar)
        calendar.calendar_version = model.calendar_version + 1
        calendar.calendar_changed_at = later_of(model.calendar_changed_at, now)


@event.listens_for(db.session, "before_flush")
def bump_renamed_places(session: Session, _context, _instances) -> None:
    """Bump the rooms this flush renames or moves, and the officers booked in them."""
    rooms = moved_rooms(session)
    if rooms:
        bump(session, rooms | officers_in(session, rooms))
        now = now_utc()
        for room in rooms:
            if inspect(room).persistent:
                room.place_version = Room.place_version + 1
                room.place_changed_at = later_of(Room.place_changed_at, now)


BULK_WRITTEN = (Room, Facility)


@event.listens_for(db.session, "do_orm_execute")
def bump_for_bulk_statements(state: ORMExecuteState) -> None:
    """ORM bulk INSERT, UPDATE or DELETE of places skips the flush: bump every calendar."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if state.bind_mapper is None or state.bind_mapper.class_ not in BULK_WRITTEN:
        return
    session, now = state.session, now_utc()
    lock_rows(
        session, list(session.scalars(select(Room.id))), list(session.scalars(select(User.id)))
    )
    connection = session.connection()
    places = {
        "place_version": Room.place_version + 1,
        "place_changed_at": later_of(Room.place_changed_at, now),
    }
    for model in (Room, User):
        connection.execute(
            update(model).values(
                calendar_version=model.calendar_version + 1,
                calendar_changed_at=later_of(model.calendar_changed_at, now),
                **(places if model is Room else {}),
            )
        )
