"""Every minute: find new alarms (not arrived, overdue) and tell the facility's desk, once each."""

from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from booking import audit
from booking.extensions import db
from booking.notify.outbox import compose, enqueue
from booking.reservations.models import Reservation, Status
from booking.rooms.models import Room
from booking.safety.board import acknowledgements_of, alarm_kind
from booking.safety.models import AlarmKind
from booking.templating import clock, long_date

LOOK_BACK = timedelta(days=1)  # an interview forgotten since yesterday is not news any more


def grace() -> timedelta:
    return timedelta(minutes=current_app.config["SAFETY_GRACE_MINUTES"])


def newly_alarmed(now: datetime) -> list[tuple[Reservation, AlarmKind]]:
    """Active reservations raising an alarm not yet reported nor acknowledged by the desk."""
    late = now - grace()
    candidates = db.session.scalars(
        select(Reservation)
        .where(
            Reservation.status == Status.ACTIVE,
            Reservation.checked_out_at.is_(None),
            Reservation.ends_at > now - LOOK_BACK,
            or_(
                and_(Reservation.overdue_notified_at.is_(None), Reservation.ends_at < late),
                and_(
                    Reservation.not_arrived_notified_at.is_(None),
                    Reservation.checked_in_at.is_(None),
                    Reservation.starts_at < late,
                ),
            ),
        )
        .options(
            selectinload(Reservation.room).selectinload(Room.facility),
            selectinload(Reservation.officer),
        )
        .order_by(Reservation.ends_at)
    ).all()
    acknowledged = acknowledgements_of(candidates) if candidates else {}
    found = []
    for reservation in candidates:
        kind = alarm_kind(reservation, now, grace())
        done = {a.kind for a in acknowledged.get(reservation.id, [])}
        if kind and kind not in done and getattr(reservation, NOTIFIED[kind]) is None:
            found.append((reservation, kind))
    return found


# Which column records that the desk was told of each kind, so that it is told once.
NOTIFIED = {
    AlarmKind.OVERDUE: "overdue_notified_at",
    AlarmKind.NOT_ARRIVED: "not_arrived_notified_at",
}


def sweep(now: datetime) -> int:
    """Report each new alarm: an audit event, and an e-mail to its desk.

    The e-mail goes into the outbox in the same transaction as the mark, so that it is
    neither lost nor sent twice, whatever the mail server does.
    """
    alarms = newly_alarmed(now)
    for reservation, kind in alarms:
        facility = reservation.room.facility
        if facility.desk_email:
            message = alarm_message(reservation, kind, facility.desk_email)
            enqueue(f"reservation.{kind.value}", message)
        setattr(reservation, NOTIFIED[kind], now)
        audit.record(None, f"reservation.{kind.value}", reservation)
    db.session.commit()
    return len(alarms)


def alarm_message(reservation: Reservation, kind: AlarmKind, to: str) -> EmailMessage:
    """The room, the time and the officer: nothing more (no notes, no flags)."""
    room = reservation.room
    with force_locale("ja"):
        when = (
            f"{long_date(reservation.starts_at)} "
            f"{clock(reservation.starts_at)}〜{clock(reservation.ends_at)}"
        )
        subject, body = alarm_texts(kind)
        return compose(
            to,
            subject % {"room": room.name_ja},
            body
            + _(
                "\n\n部屋：%(room)s\n時間：%(when)s\n保護司：%(officer)s\n",
                room=f"{room.facility.name_ja} {room.name_ja}",
                when=when,
                officer=reservation.officer.name,
            ),
        )


def alarm_texts(kind: AlarmKind) -> tuple[str, str]:
    """The subject (with %(room)s) and the opening sentence for each kind of alarm."""
    if kind is AlarmKind.NOT_ARRIVED:
        return (
            _("【確認のお願い】入室の記録がありません（%(room)s）"),
            _(
                "次の面談は開始時刻を過ぎましたが、入室の記録がありません。"
                "保護司に電話をかけるなどして、無事を確認してください。"
            ),
        )
    return (
        _("【確認のお願い】退室の記録がありません（%(room)s）"),
        _(
            "次の面談は終了時刻を過ぎましたが、退室の記録がありません。"
            "部屋の様子を確認してください。"
        ),
    )
