"""Undoing a cancellation: booked again, by the same rules and locks, while the slot is free."""

from flask import current_app
from flask_babel import gettext as _

from booking import audit
from booking.auth.models import User
from booking.errors import DomainError, InvalidInput
from booking.extensions import db
from booking.notify.notices import Notice, tell
from booking.reservations import rules
from booking.reservations.models import Reservation, Status
from booking.reservations.services import SafetyDetails, Slot, check_slot, refusals
from booking.timeutil import now_utc


def slot_and_safety(reservation: Reservation) -> tuple[Slot, SafetyDetails]:
    safety = SafetyDetails(
        **{name: getattr(reservation, name) for name in SafetyDetails.__dataclass_fields__}
    )
    return Slot(reservation.room, reservation.starts_at, reservation.ends_at), safety


def ensure_restorable(reservation: Reservation, by: User) -> None:
    """Every rule of a new booking, judged as if the cancelled one were not there."""
    rules.ensure_may_change(by, reservation)
    if reservation.is_active:
        raise InvalidInput(_("この予約は取り消されていません。"))
    if reservation.cancel_reason:  # the facility cancelled it (a closure): not the officer's
        raise InvalidInput(_("施設が取り消した予約は元に戻せません。"))
    slot, safety = slot_and_safety(reservation)
    officer = reservation.officer
    around = rules.look_around(slot, officer, now_utc(), exclude=reservation)
    check_slot(slot, officer, safety, around, by=by)
    rules.ensure_under_limit(around.upcoming, current_app.config["MAX_FUTURE_RESERVATIONS"])


def can_restore(reservation: Reservation, by: User) -> bool:
    """Whether 「元に戻す」 would work now: shown only while the slot is still free."""
    try:
        ensure_restorable(reservation, by)
    except DomainError:
        return False
    return True


def restore(reservation: Reservation, *, by: User) -> None:
    """Make a cancelled reservation active again; the no-overlap rules stay the backstop."""
    rules.lock_for_reservations([reservation])
    ensure_restorable(reservation, by)
    reservation.status = Status.ACTIVE
    reservation.touch()
    with refusals(reservation.room):
        db.session.flush()
    audit.record(by, "reservation.restore", reservation)
    tell(Notice.CONFIRMATION, reservation.officer, reservation.id, reservation.version, by=by)
