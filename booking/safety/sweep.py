"""Every minute: find reservations newly overdue and tell the facility's desk, once each."""

from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking import audit
from booking.extensions import db
from booking.notify.outbox import compose, enqueue
from booking.reservations.models import Reservation, Status
from booking.rooms.models import Room
from booking.safety.board import is_overdue
from booking.templating import clock, long_date

LOOK_BACK = timedelta(days=1)  # an interview forgotten since yesterday is not news any more


def grace() -> timedelta:
    return timedelta(minutes=current_app.config["SAFETY_GRACE_MINUTES"])


def newly_overdue(now: datetime) -> list[Reservation]:
    """Active reservations past their end plus grace, not checked out, not yet reported."""
    candidates = db.session.scalars(
        select(Reservation)
        .where(
            Reservation.status == Status.ACTIVE,
            Reservation.checked_out_at.is_(None),
            Reservation.overdue_notified_at.is_(None),
            Reservation.ends_at < now - grace(),
            Reservation.ends_at > now - LOOK_BACK,
        )
        .options(
            selectinload(Reservation.room).selectinload(Room.facility),
            selectinload(Reservation.officer),
        )
        .order_by(Reservation.ends_at)
    )
    return [r for r in candidates if is_overdue(r, now, grace())]


def sweep(now: datetime) -> int:
    """Report each newly overdue reservation: an audit event, and an e-mail to its desk.

    The e-mail goes into the outbox in the same transaction as the mark, so that it is
    neither lost nor sent twice, whatever the mail server does.
    """
    overdue = newly_overdue(now)
    for reservation in overdue:
        facility = reservation.room.facility
        if facility.desk_email:
            enqueue("reservation.overdue", overdue_message(reservation, facility.desk_email))
        reservation.overdue_notified_at = now
        audit.record(None, "reservation.overdue", reservation)
    db.session.commit()
    return len(overdue)


def overdue_message(reservation: Reservation, to: str) -> EmailMessage:
    """The room, the time and the officer: nothing more (no notes, no flags)."""
    room = reservation.room
    with force_locale("ja"):
        when = (
            f"{long_date(reservation.starts_at)} "
            f"{clock(reservation.starts_at)}〜{clock(reservation.ends_at)}"
        )
        return compose(
            to,
            _("【確認のお願い】退室の記録がありません（%(room)s）", room=room.name_ja),
            _(
                "次の面談は終了時刻を過ぎましたが、退室の記録がありません。"
                "部屋の様子を確認してください。\n\n部屋：%(room)s\n時間：%(when)s\n保護司：%(officer)s\n",
                room=f"{room.facility.name_ja} {room.name_ja}",
                when=when,
                officer=reservation.officer.name,
            ),
        )
