"""Calendar versions: whatever changes a feed bumps its rooms' and officers' counters.

A feed's ETag is read from these few rows (queries.stamp), never from its events, so they
must move with every change a feed could show. The one place that moves them is this
session listener: services need not remember it, and bulk ORM statements are covered too.
Raw SQL that writes reservations, rooms or facilities bypasses it and must bump by hand.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import case, event, inspect, literal, select, update
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.attributes import instance_state

from booking.auth.models import User
from booking.extensions import db
from booking.feeds.queries import DAYS_BACK, EVENT_COLUMNS, SUBJECT_COLUMN
from booking.reservations.models import Reservation, Status
from booking.reservations.rules import lock_rows
from booking.rooms.models import Facility, Room
from booking.timeutil import UTCDateTime, now_utc

Calendar = Room | User

# What a feed reads of a reservation (queries.EVENTS), and the relationships behind the ids.
SHOWN = frozenset(
    attribute.key
    for attribute in (*EVENT_COLUMNS, *SUBJECT_COLUMN.values(), Reservation.status)
    if attribute.class_ is Reservation
) | {"room", "officer"}
# What a feed shows of a place: the summary and location name the room and its facility.
ROOM_PLACE = ("name_ja", "facility_id", "facility")
FACILITY_PLACE = ("name_ja", "address")


def writes(instance, keys: Iterable[str]) -> bool:
    """True when this flush writes one of ``keys`` of a persistent ``instance``."""
    return any(inspect(instance).attrs[key].history.has_changes() for key in keys)


def changed_reservations(session: Session) -> list[Reservation]:
    """Reservations this flush inserts or deletes, or whose shown attributes it writes."""
    new_or_gone = [*session.new, *session.deleted]
    changed = [r for r in session.dirty if isinstance(r, Reservation) and writes(r, SHOWN)]
    return [r for r in new_or_gone if isinstance(r, Reservation)] + changed


def calendars_of(session: Session, reservations: list[Reservation]) -> set[Calendar]:
    """The rooms and officers whose feeds show ``reservations``, before and after this flush."""
    room_ids, officer_ids = stored_places(session, reservations)
    found: set[Calendar] = set()
    gone = session.deleted
    for reservation in reservations:
        if reservation in gone:
            continue
        room_ids.add(reservation.room_id)
        officer_ids.add(reservation.officer_id)
        state = inspect(reservation).attrs
        # Related objects set in memory (their ids come with the flush); maybe a LocalProxy.
        added = (*state.room.history.added, *state.officer.history.added)
        found.update(instance_state(related).obj() for related in added if related is not None)
    found |= {session.get(Room, id) for id in room_ids - {None}}
    found |= {session.get(User, id) for id in officer_ids - {None}}
    return found - {None}


def stored_places(session: Session, reservations: list[Reservation]) -> tuple[set, set]:
    """The rooms and officers the database holds for ``reservations`` before this flush.

    Read from the table, not from attribute history: a value set while expired has none.
    """
    ids = [r.id for r in reservations if inspect(r).persistent]
    if not ids:
        return set(), set()
    query = select(Reservation.room_id, Reservation.officer_id).where(Reservation.id.in_(ids))
    rows = session.execute(query).all()
    return {row.room_id for row in rows}, {row.officer_id for row in rows}


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
    now, gone = now_utc(), session.deleted
    existing = {c for c in calendars if inspect(c).persistent and c not in gone}
    lock_rows(
        session,
        {c.id for c in existing if isinstance(c, Room)},
        {c.id for c in existing if isinstance(c, User)},
    )
    for calendar in existing:
        model = type(calendar)
        calendar.calendar_version = model.calendar_version + 1
        calendar.calendar_changed_at = later_of(model.calendar_changed_at, now)
    for calendar in calendars:
        if inspect(calendar).pending:  # inserted by this flush: it starts at version 0
            calendar.calendar_changed_at = now


@event.listens_for(db.session, "before_flush")
def bump_changed_calendars(session: Session, _context, _instances) -> None:
    """Bump the calendars of every reservation and place this flush changes."""
    rooms = moved_rooms(session)
    calendars = calendars_of(session, changed_reservations(session))
    calendars |= rooms | officers_in(session, rooms)
    if calendars:
        bump(session, calendars)


BULK_WRITTEN = (Reservation, Room, Facility)


@event.listens_for(db.session, "do_orm_execute")
def bump_for_bulk_statements(state: ORMExecuteState) -> None:
    """ORM bulk INSERT, UPDATE or DELETE skips the flush: bump every calendar instead."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if state.bind_mapper is None or state.bind_mapper.class_ not in BULK_WRITTEN:
        return
    session, now = state.session, now_utc()
    lock_rows(
        session, list(session.scalars(select(Room.id))), list(session.scalars(select(User.id)))
    )
    connection = session.connection()
    for model in (Room, User):
        connection.execute(
            update(model).values(
                calendar_version=model.calendar_version + 1,
                calendar_changed_at=later_of(model.calendar_changed_at, now),
            )
        )
