"""Notices to officers about their reservations: written as what happened, made into e-mail
by the sender (booking.notify.messages).

Which are sent: a cancellation or change by the desk or the city always; confirmations of
what officers did themselves and the day-before reminders as each officer chose.
"""

import enum
from datetime import datetime, time, timedelta
from typing import Any

from flask import current_app, has_request_context
from sqlalchemy import and_, exists, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from booking.auth.models import User
from booking.extensions import db
from booking.notify.models import MessageStatus, OutboxMessage
from booking.reservations.models import Reservation, Status
from booking.templating import locale_code
from booking.timeutil import at_tokyo, now_utc, tokyo


class Notice(enum.StrEnum):
    CONFIRMATION = "reservation.confirmation"
    CHANGE = "reservation.change"
    CANCELLATION = "reservation.cancellation"
    REMINDER = "reservation.reminder"
    SERIES_CONFIRMATION = "series.confirmation"
    SERIES_CANCELLATION = "series.cancellation"


def wanted(officer: User, by: User | None) -> bool:
    """Others' changes always reach the officer; their own, only if they asked for them."""
    if not officer.email:
        return False
    return by is None or by.id != officer.id or officer.wants_confirmations


def tell(
    kind: Notice,
    officer: User,
    reservation_id: int,
    version: int,
    *,
    by: User | None,
    **details: Any,
) -> None:
    """Write a notice about a reservation in the caller's transaction: one plain INSERT."""
    if not wanted(officer, by):
        return
    now = now_utc()
    own = by is not None and by.id == officer.id and has_request_context()
    db.session.execute(
        WRITE,
        {
            "kind": kind,
            "recipient": officer.email,
            "reservation_id": reservation_id,
            "reservation_version": version,
            "locale": locale_code() if own else "ja",
            "details": details,
            "status": MessageStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )


WRITE = insert(OutboxMessage.__table__)


def reminder_time() -> time:
    return time.fromisoformat(current_app.config["MAIL_REMINDER_TIME"])


def remind(now: datetime) -> int:
    """From the reminder time on, write one reminder for each of tomorrow's reservations.

    One set-based statement; a reservation already reminded at its current version is passed
    over, and the unique key stops a second sender running at the same moment.
    """
    today = tokyo(now).date()
    if tokyo(now).time() < reminder_time():
        return 0
    tomorrow = today + timedelta(days=1)
    already = exists().where(
        OutboxMessage.kind == Notice.REMINDER,
        OutboxMessage.reservation_id == Reservation.id,
        OutboxMessage.reservation_version == Reservation.version,
    )
    due = (
        select(
            literal(str(Notice.REMINDER)),
            User.email,
            Reservation.id,
            Reservation.version,
            literal("ja"),
            literal({}, OutboxMessage.__table__.c.details.type),
            literal(str(MessageStatus.PENDING)),
            literal(0),
            literal(now, OutboxMessage.__table__.c.next_attempt_at.type),
            literal(now, OutboxMessage.__table__.c.created_at.type),
        )
        .join(User, User.id == Reservation.officer_id)
        .where(
            Reservation.status == Status.ACTIVE,
            Reservation.starts_at >= at_tokyo(tomorrow, time()),
            Reservation.starts_at < at_tokyo(tomorrow + timedelta(days=1), time()),
            and_(User.active, User.wants_reminders, User.email.is_not(None), User.email != ""),
            ~already,
        )
    )
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(OutboxMessage.__table__)
        .from_select(REMINDER_COLUMNS, due)
        .on_conflict_do_nothing()
        .returning(OutboxMessage.id)
    )
    return len(db.session.execute(statement).all())


REMINDER_COLUMNS = [
    "kind",
    "recipient",
    "reservation_id",
    "reservation_version",
    "locale",
    "details",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
]
