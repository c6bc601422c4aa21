"""Private calendar feeds: which feed a token opens, and the hash that stands for the token."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.auth.models import Role, User
from booking.extensions import db
from booking.inputs import database_id
from booking.rooms.models import str_enum
from booking.timeutil import now_utc


class FeedKind(enum.StrEnum):
    MINE = "mine"  # an officer's own reservations
    FACILITY = "facility"  # every room of a facility, for its desk
    ROOM = "room"  # one room, for its desk


FEED_KEY = re.compile(r"(mine)|(facility|room)-([1-9][0-9]{0,9})")


@dataclass(frozen=True)
class Feed:
    """One feed a user may follow: their own reservations, or a facility's, or a room's."""

    kind: FeedKind
    subject_id: int | None = None  # the facility or room; None for the officer's own feed

    @property
    def key(self) -> str:
        """The feed's name in forms and audit events: mine, facility-3, room-7."""
        return self.kind.value if self.subject_id is None else f"{self.kind}-{self.subject_id}"

    @classmethod
    def parse(cls, key: str) -> Feed | None:
        """The feed a key names, or None when it names none."""
        match = FEED_KEY.fullmatch(key or "")
        if match is None:
            return None
        if match.group(1):
            return cls(FeedKind.MINE)
        subject_id = database_id(match.group(3))
        return cls(FeedKind(match.group(2)), subject_id) if subject_id else None


def _where(condition: str) -> dict:
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


class FeedToken(db.Model):
    """The SHA-256 of one feed's secret address: the address is shown once and never stored.

    One row per (user, feed): regenerating replaces the hash, revoking deletes the row.
    """

    __tablename__ = "feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[FeedKind] = mapped_column(str_enum(FeedKind))
    facility_id: Mapped[int | None] = mapped_column(
        ForeignKey("facility.id", ondelete="CASCADE"), index=True
    )
    room_id: Mapped[int | None] = mapped_column(
        ForeignKey("room.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    user: Mapped[User] = relationship()

    __table_args__ = (
        CheckConstraint(
            "(kind = 'mine' AND facility_id IS NULL AND room_id IS NULL)"
            " OR (kind = 'facility' AND facility_id IS NOT NULL AND room_id IS NULL)"
            " OR (kind = 'room' AND room_id IS NOT NULL AND facility_id IS NULL)",
            name="one_subject",
        ),
        # One token per (user, feed); NULLs never collide in a UNIQUE, hence partial indexes.
        Index("uq_feed_token_mine", "user_id", unique=True, **_where("kind = 'mine'")),
        Index(
            "uq_feed_token_facility",
            "user_id",
            "facility_id",
            unique=True,
            **_where("facility_id IS NOT NULL"),
        ),
        Index(
            "uq_feed_token_room", "user_id", "room_id", unique=True, **_where("room_id IS NOT NULL")
        ),
    )

    @property
    def feed(self) -> Feed:
        return Feed(self.kind, self.facility_id or self.room_id)

    @classmethod
    def for_feed(cls, user: User, feed: Feed) -> FeedToken:
        """A new row for ``feed``, with the subject in the column its kind uses."""
        return cls(
            user=user,
            kind=feed.kind,
            facility_id=feed.subject_id if feed.kind is FeedKind.FACILITY else None,
            room_id=feed.subject_id if feed.kind is FeedKind.ROOM else None,
        )


class Subscription(NamedTuple):
    """What a fetch needs to know about a token's feed and owner, read in one query."""

    user_id: int
    kind: FeedKind
    facility_id: int | None  # the facility shown, or the room's facility
    room_id: int | None
    active: bool
    role: Role
    manages: bool  # the owner is a manager of that facility
    facility_name: str | None
    room_name: str | None

    @property
    def subject_id(self) -> int:
        """The officer, facility or room whose reservations the feed shows."""
        return {
            FeedKind.MINE: self.user_id,
            FeedKind.FACILITY: self.facility_id,
            FeedKind.ROOM: self.room_id,
        }[self.kind]

    @property
    def feed(self) -> Feed:
        return Feed(self.kind, None if self.kind is FeedKind.MINE else self.subject_id)
