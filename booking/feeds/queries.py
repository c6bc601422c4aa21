"""What a feed shows, and the stamp (ETag, Last-Modified) that answers revalidations without it."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, select

from booking.auth.models import User
from booking.extensions import db
from booking.feeds.models import FeedKind, Subscription
from booking.reservations.models import Reservation, Status
from booking.rooms.models import Facility, Room
from booking.timeutil import at_tokyo

# Bump when the calendar's bytes change for the same rows, so that clients fetch them again.
FORMAT_VERSION = 2
DAYS_BACK = 30


@dataclass(frozen=True)
class Window:
    """Whole Sapporo days, 30 back to 12 months ahead: the feed can only change at midnight."""

    today: date

    @property
    def first_day(self) -> date:
        return self.today - timedelta(days=DAYS_BACK)

    @property
    def end_day(self) -> date:
        """The first day after the window: the same date next year (1 March for 29 February)."""
        try:
            return self.today.replace(year=self.today.year + 1)
        except ValueError:
            return date(self.today.year + 1, 3, 1)

    @property
    def starts_at(self) -> datetime:
        return at_tokyo(self.first_day, time())

    @property
    def ends_at(self) -> datetime:
        return at_tokyo(self.end_day, time())


class EventRow(NamedTuple):
    """What an event may show: times, versions and the place, never the people or the notes."""

    public_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    version: int
    updated_at: datetime
    room_name: str
    facility_name: str
    address: str
    place_version: int = 0
    place_changed_at: datetime | None = None

    @classmethod
    def of(cls, reservation: Reservation) -> "EventRow":
        room = reservation.room
        return cls(
            reservation.public_id,
            reservation.starts_at,
            reservation.ends_at,
            reservation.version,
            reservation.updated_at,
            room.name_ja,
            room.facility.name_ja,
            room.facility.address,
            room.place_version,
            room.place_changed_at,
        )

    @property
    def sequence(self) -> int:
        """Counts the reservation's changes and its place's renames: both move the event."""
        return self.version + self.place_version

    @property
    def modified_at(self) -> datetime:
        """The later of the reservation's change and its place's rename."""
        return max(self.updated_at, self.place_changed_at or self.updated_at)


EVENT_COLUMNS = (
    Reservation.public_id,
    Reservation.starts_at,
    Reservation.ends_at,
    Reservation.version,
    Reservation.updated_at,
    Room.name_ja,
    Facility.name_ja,
    Facility.address,
    Room.place_version,
    Room.place_changed_at,
)


SUBJECT_COLUMN = {
    FeedKind.MINE: Reservation.officer_id,
    FeedKind.FACILITY: Room.facility_id,
    FeedKind.ROOM: Reservation.room_id,
}


def in_feed(kind: FeedKind) -> tuple:
    """The feed's reservations: its subject's, active, starting inside the window."""
    return (
        SUBJECT_COLUMN[kind] == bindparam("subject_id"),
        Reservation.status == Status.ACTIVE,
        Reservation.starts_at >= bindparam("starts_at"),
        Reservation.starts_at < bindparam("ends_at"),
    )


def parameters(feed: Subscription, window: Window) -> dict:
    return {"subject_id": feed.subject_id, "starts_at": window.starts_at, "ends_at": window.ends_at}


def with_place(query):
    return query.join(Room, Reservation.room_id == Room.id).join(
        Facility, Room.facility_id == Facility.id
    )


# Every calendar polls, so the statements are built once and each fetch only binds values.
EVENTS = {
    kind: with_place(select(*EVENT_COLUMNS))
    .where(*in_feed(kind))
    .order_by(Reservation.starts_at, Reservation.id)
    for kind in FeedKind
}


# The calendar versions a feed's validators come from: its officer's row, its room's, or a
# row per room of its facility. They move with every change a feed shows (booking.feeds.changes).
ROOM_VERSIONS = select(Room.id, Room.calendar_version, Room.calendar_changed_at)
VERSIONS = {
    FeedKind.MINE: select(User.id, User.calendar_version, User.calendar_changed_at).where(
        User.id == bindparam("subject_id")
    ),
    FeedKind.FACILITY: ROOM_VERSIONS.where(Room.facility_id == bindparam("subject_id")).order_by(
        Room.id
    ),
    FeedKind.ROOM: ROOM_VERSIONS.where(Room.id == bindparam("subject_id")),
}


def event_rows(feed: Subscription, window: Window) -> list[EventRow]:
    """The feed's events in a stable order; only the columns a feed may show are read."""
    rows = db.session.connection().execute(EVENTS[feed.kind], parameters(feed, window))
    return [EventRow(*row) for row in rows]


@dataclass(frozen=True)
class Stamp:
    etag: str
    last_modified: datetime


def stamp(feed: Subscription, window: Window, title: str) -> Stamp:
    """ETag and Last-Modified from the calendar versions of the feed's subject, building nothing.

    A row or a few, however many reservations. The view reads the stamp before the events, so
    a change in between leaves the ETag older than the body (one more download), never newer.
    """
    found = db.session.connection().execute(VERSIONS[feed.kind], {"subject_id": feed.subject_id})
    versions = [tuple(row) for row in found]
    identity = (FORMAT_VERSION, feed.user_id, feed.feed.key, title, window.today, versions)
    etag = hashlib.sha256(repr(identity).encode()).hexdigest()[:32]
    # Midnight counts as a change: rows leave and enter the window then.
    changed = [at_tokyo(window.today, time()), *(row[-1] for row in versions if row[-1])]
    return Stamp(etag, max(changed))
