"""The outbox: one row per e-mail, written in the transaction of the change that causes it."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from booking.extensions import db
from booking.rooms.models import str_enum
from booking.timeutil import now_utc


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    """An e-mail to send, and how its delivery stands.

    Notices about a reservation are written as what happened (kind, reservation, its
    version, the reason) and made into an e-mail by the sender, which then keeps the message
    so that every retry sends the same bytes; this keeps a booking's own work small.
    A sender claims a row by writing its own ``claim`` and a lease (``claimed_until``); a
    sender that dies mid-pass leaves the lease to run out, and the row is tried again.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(300))
    # The whole message in RFC 5322 form, headers encoded: sent byte for byte as stored.
    message: Mapped[str | None] = mapped_column(Text)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservation.id"), index=True)
    reservation_version: Mapped[int | None]
    locale: Mapped[str] = mapped_column(String(8), default="ja")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[MessageStatus] = mapped_column(
        str_enum(MessageStatus), default=MessageStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=now_utc)
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint(
            "message IS NOT NULL OR reservation_id IS NOT NULL", name="message_or_notice"
        ),
        # One notice of a kind per version of a reservation: a reminder is written once.
        UniqueConstraint("kind", "reservation_id", "reservation_version"),
        # Only what is still to be sent is searched; sent rows pile up outside the index.
        Index(
            "ix_outbox_message_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_outbox_message_created_at", "created_at"),
    )
