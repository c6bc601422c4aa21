"""Notes for the desk are kept a while after the interview, then cleared (DESIGN §5)."""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from booking import audit
from booking.extensions import db
from booking.reservations.models import Reservation
from booking.safety.models import Acknowledgement


def retention() -> timedelta:
    return timedelta(days=current_app.config["SAFETY_NOTE_RETENTION_DAYS"])


def purge_notes(now: datetime) -> int:
    """Clear the note of every reservation that ended more than the retention period ago.

    Only the note goes. The reservation, its times and who attended stay for the records,
    and its version and update time do not move, since no calendar feed shows notes.
    Each cleared note gets an audit event (which never holds the note itself). What the desk
    wrote about an alarm of the reservation is cleared too.
    """
    expired = db.session.scalars(
        select(Reservation).where(
            Reservation.ends_at < now - retention(), Reservation.desk_note != ""
        )
    ).all()
    for reservation in expired:
        reservation.desk_note = ""
        audit.record(None, "reservation.note_purged", reservation)
    return len(expired) + purge_acknowledgement_notes(now)


def purge_acknowledgement_notes(now: datetime) -> int:
    """The desk's own words about an alarm go after the same period; the outcome stays."""
    expired = db.session.scalars(
        select(Acknowledgement)
        .join(Reservation, Reservation.id == Acknowledgement.reservation_id)
        .where(Reservation.ends_at < now - retention(), Acknowledgement.note != "")
        .options(contains_eager(Acknowledgement.reservation))
    ).all()
    for acknowledgement in expired:
        acknowledgement.note = ""
        audit.record(None, "reservation.note_purged", acknowledgement.reservation, of="alarm")
    return len(expired)
