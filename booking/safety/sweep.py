"""Every minute: find reservations newly overdue and tell the facility's desk, once each."""

import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking import audit
from booking.extensions import db
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
    """Report each newly overdue reservation: an audit event, and an e-mail when configured.

    Each one is marked and committed only after its e-mail went out, so that a mail server
    that is down is tried again at the next sweep.
    """
    reported = 0
    for reservation in newly_overdue(now):
        facility = reservation.room.facility
        if current_app.config["MAIL_SERVER"] and facility.desk_email:
            send(overdue_message(reservation, facility.desk_email))
        reservation.overdue_notified_at = now
        audit.record(None, "reservation.overdue", reservation)
        db.session.commit()
        reported += 1
    return reported


def overdue_message(reservation: Reservation, to: str) -> EmailMessage:
    """The room, the time and the officer: nothing more (no notes, no flags)."""
    room = reservation.room
    with force_locale("ja"):
        when = (
            f"{long_date(reservation.starts_at)} "
            f"{clock(reservation.starts_at)}〜{clock(reservation.ends_at)}"
        )
        message = EmailMessage()
        message["Subject"] = _(
            "【確認のお願い】退室の記録がありません（%(room)s）", room=room.name_ja
        )
        message["From"] = current_app.config["MAIL_SENDER"]
        message["To"] = to
        message.set_content(
            _(
                "次の面談は終了時刻を過ぎましたが、退室の記録がありません。"
                "部屋の様子を確認してください。\n\n部屋：%(room)s\n時間：%(when)s\n保護司：%(officer)s\n",
                room=f"{room.facility.name_ja} {room.name_ja}",
                when=when,
                officer=reservation.officer.name,
            )
        )
    return message


def send(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
