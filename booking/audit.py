"""Audit events: who did what to which object, and when; never sensitive content."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, insert
from sqlalchemy.orm import Mapped, mapped_column

from booking.extensions import db
from booking.timeutil import now_utc


class AuditEvent(db.Model):
    """One change, written in the same transaction as the change itself."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The facility the change concerns, when there is one: the audit viewer filters by it.
    facility_id: Mapped[int | None] = mapped_column(index=True)


# Where changes come from when not from a page: "cli" for the flask commands.
VIA: ContextVar[str | None] = ContextVar("audit_via", default=None)


def record(actor, action: str, obj, *, facility_id: int | None = None, **details: Any) -> None:
    """Write an audit event for ``obj`` (which must have a public_id or an id) at once;
    ``facility_id`` names the facility it concerns, for the viewer's filter (by default
    ``obj``'s own, or its room's).

    A plain INSERT in the caller's transaction: it commits or rolls back with the change.
    """
    if VIA.get():
        details = {**details, "via": VIA.get()}
    db.session.connection().execute(
        WRITE,
        {
            "at": now_utc(),
            "actor_id": actor.id if actor is not None else None,
            "action": action,
            "object_type": type(obj).__name__.lower(),
            "object_id": str(getattr(obj, "public_id", None) or obj.id),
            "details": details,
            "facility_id": facility_id if facility_id is not None else facility_of(obj),
        },
    )


def facility_of(obj) -> int | None:
    """The facility of a room or a closure, or of a reservation's or a series' room; None
    for what belongs to no facility (an account)."""
    if hasattr(obj, "facility_id"):
        return obj.facility_id
    room = getattr(obj, "room", None)
    return room.facility_id if room is not None else None


WRITE = insert(AuditEvent.__table__)


def record_many(actor, action: str, object_type: str, items: list[tuple[int, dict]]) -> None:
    """One audit event per (object id, details) pair, written in one statement (an import)."""
    if not items:
        return
    at = now_utc()
    actor_id = actor.id if actor is not None else None
    db.session.connection().execute(
        WRITE,
        [
            {
                "at": at,
                "actor_id": actor_id,
                "action": action,
                "object_type": object_type,
                "object_id": str(object_id),
                "details": details,
                "facility_id": None,
            }
            for object_id, details in items
        ],
    )
