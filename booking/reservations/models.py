"""Reservations, the series they may belong to, and their safety details."""

from __future__ import annotations

import enum
import textwrap
import uuid
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.extensions import db
from booking.rooms.models import Room, str_enum
from booking.timeutil import now_utc, tokyo, tokyo_day_bounds

if TYPE_CHECKING:
    from booking.auth.models import User

# No reservation is longer than a day, so overlap searches may start one day early.
LONGEST_SPAN_HOURS = 24


class Status(enum.StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class State(enum.StrEnum):
    """What the officer and the desk see: booked, in the room, left, cancelled."""

    BOOKED = "booked"
    IN_ROOM = "in_room"
    LEFT = "left"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(
            {
                State.BOOKED: _l("予約済"),
                State.IN_ROOM: _l("入室中"),
                State.LEFT: _l("退室済"),
                State.CANCELLED: _l("取消"),
            }[self]
        )


class ProbationOfficer(enum.StrEnum):
    """Whether a professional probation officer (保護観察官) takes part."""

    NONE = "none"
    IN_PERSON = "in_person"
    ONLINE = "online"

    @property
    def label(self) -> str:
        return str(
            {
                ProbationOfficer.NONE: _l("同席しない"),
                ProbationOfficer.IN_PERSON: _l("保護観察官が同席する"),
                ProbationOfficer.ONLINE: _l("保護観察官がオンラインで参加する"),
            }[self]
        )


class Repeat(enum.StrEnum):
    WEEKLY = "weekly"  # every N weeks on the weekday of the first date
    MONTHLY_NTH = "monthly_nth"  # the nth weekday of each month


class Series(db.Model):
    """A repetition rule; each occurrence is an ordinary reservation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4, unique=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"))
    repeat: Mapped[Repeat] = mapped_column(str_enum(Repeat))
    interval_weeks: Mapped[int] = mapped_column(default=1)
    first_day: Mapped[date]
    last_day: Mapped[date]
    starts: Mapped[time]
    minutes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    reservations: Mapped[list[Reservation]] = relationship(back_populates="series")

    __table_args__ = (
        CheckConstraint("interval_weeks BETWEEN 1 AND 8", name="interval_range"),
        CheckConstraint("first_day <= last_day", name="days_ordered"),
    )


class Reservation(db.Model):
    """A room held for one officer over the half-open interval [starts_at, ends_at), in UTC.

    ``blocks_until`` is ``ends_at`` plus the room's buffer: the room is not free again before
    it, so that two interviewees do not meet. The database refuses overlaps of
    [starts_at, blocks_until) per room and of [starts_at, ends_at) per officer.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4, unique=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    blocks_until: Mapped[datetime]
    status: Mapped[Status] = mapped_column(str_enum(Status), default=Status.ACTIVE)
    version: Mapped[int] = mapped_column(default=1)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))

    second_officer: Mapped[bool] = mapped_column(default=False)
    probation_officer: Mapped[ProbationOfficer] = mapped_column(
        str_enum(ProbationOfficer), default=ProbationOfficer.NONE
    )
    notify_desk: Mapped[bool] = mapped_column(default=False)
    caution: Mapped[bool] = mapped_column(default=False)
    desk_note: Mapped[str] = mapped_column(String(200), default="")

    checked_in_at: Mapped[datetime | None]
    checked_out_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    # The officer, or the desk or city on their behalf: reports count the two apart.
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    overdue_notified_at: Mapped[datetime | None]
    not_arrived_notified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)

    room: Mapped[Room] = relationship()
    officer: Mapped[User] = relationship(foreign_keys=[officer_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    series: Mapped[Series | None] = relationship(back_populates="reservations")

    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        CheckConstraint("ends_at <= blocks_until", name="blocks_after_end"),
        CheckConstraint("version >= 1", name="version_positive"),
        UniqueConstraint("created_by_id", "idempotency_key"),
        Index("ix_reservation_room_starts", "room_id", "starts_at"),
        Index("ix_reservation_officer_starts", "officer_id", "starts_at"),
        Index("ix_reservation_starts_at", "starts_at"),
    )

    @property
    def reference(self) -> str:
        """A number short enough to read out at the desk: the public id's first 8 hex digits."""
        return "{}-{}".format(*textwrap.wrap(self.public_id.hex[:8].upper(), 4))

    @property
    def is_active(self) -> bool:
        return self.status is Status.ACTIVE

    @property
    def state(self) -> State:
        if self.status is Status.CANCELLED:
            return State.CANCELLED
        if self.checked_out_at:
            return State.LEFT
        return State.IN_ROOM if self.checked_in_at else State.BOOKED

    def can_check_in(self, now: datetime, early: timedelta) -> bool:
        """From ``early`` before the start until the end of the reservation's Sapporo day."""
        day_ends = tokyo_day_bounds(tokyo(self.starts_at).date())[1]
        return self.is_active and self.starts_at - early <= now < day_ends

    @property
    def is_in_room(self) -> bool:
        """Checked in and not yet out: the officer may still be in the room, however late."""
        return self.is_active and bool(self.checked_in_at) and not self.checked_out_at

    def can_check_out(self, now: datetime, early: timedelta) -> bool:
        """Always once checked in (an interview may run over); otherwise as for check-in."""
        return self.is_in_room or (not self.checked_out_at and self.can_check_in(now, early))

    def next_step(self, now: datetime, early: timedelta) -> str | None:
        """The one button the officer needs now: "check_in", "check_out" or none."""
        if self.is_in_room:
            return "check_out"
        if self.checked_in_at is None and self.can_check_in(now, early):
            return "check_in"
        return None

    def has_started(self, now: datetime) -> bool:
        """Checked in, or its start has passed: from then on it is a record of what happened."""
        return self.checked_in_at is not None or self.starts_at <= now

    def missed_check_in(self, now: datetime) -> bool:
        """Over, still booked, and nobody recorded arriving: 「入室の記録なし」."""
        return self.is_active and self.ends_at <= now and self.checked_in_at is None

    def touch(self) -> None:
        """Record a change: calendar feeds see a new version and update time."""
        self.version += 1
        self.updated_at = now_utc()
