"""The desk acknowledges an alarm of the board: it is cleared, shown and audited."""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from booking import audit
from booking.auth.models import User
from booking.errors import InvalidInput
from booking.extensions import db
from booking.manage.services import ensure_serves
from booking.reservations import rules
from booking.reservations.models import Reservation
from booking.safety.board import alarm_kind
from booking.safety.models import Acknowledgement, AlarmKind, Outcome


def acknowledge(
    reservation: Reservation,
    *,
    kind: AlarmKind,
    outcome: Outcome,
    note: str,
    by: User,
    now: datetime,
    grace: timedelta,
) -> Acknowledgement:
    """Record what the desk found out; the audit event keeps the kind, never the note."""
    ensure_serves(by, reservation.room.facility)
    rules.lock_for_reservations([reservation])
    if alarm_kind(reservation, now, grace) is not kind or already_acknowledged(reservation, kind):
        raise InvalidInput(_("この警告は既に解消しています。見守りボードを確かめてください。"))
    acknowledgement = Acknowledgement(
        reservation_id=reservation.id, kind=kind, outcome=outcome, note=note, by=by, at=now
    )
    db.session.add(acknowledgement)
    db.session.flush()
    audit.record(by, "reservation.acknowledge", reservation, kind=kind.value, outcome=outcome.value)
    return acknowledgement


def already_acknowledged(reservation: Reservation, kind: AlarmKind) -> bool:
    return (
        db.session.scalar(
            select(Acknowledgement.id).where(
                Acknowledgement.reservation_id == reservation.id, Acknowledgement.kind == kind
            )
        )
        is not None
    )
