"""Making a notice into an e-mail: plain text in the officer's language, with the reservation
as a calendar invitation (the same UID as in the feeds) where a calendar should change.

Nothing about the person interviewed, no note for the desk and no caution flag is ever read
here: e-mail passes through servers the city does not control.
"""

from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import vCalAddress
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking.extensions import db
from booking.feeds import ical
from booking.feeds.queries import EventRow
from booking.notify.models import OutboxMessage
from booking.notify.notices import Notice
from booking.notify.outbox import compose
from booking.reservations.models import Reservation
from booking.rooms.models import Room
from booking.templating import clock, locale_code, long_date
from booking.timeutil import tokyo

# What the attached calendar asks of the calendar app: add or update, remove, or import.
METHODS = {
    Notice.CONFIRMATION: "REQUEST",
    Notice.CHANGE: "REQUEST",
    Notice.CANCELLATION: "CANCEL",
    Notice.SERIES_CONFIRMATION: "PUBLISH",
    Notice.SERIES_CANCELLATION: "PUBLISH",
}


def render(notice: OutboxMessage) -> EmailMessage:
    """The e-mail for ``notice``, made from the reservations as they are now."""
    kind = Notice(notice.kind)
    reservations = concerned(kind, notice)
    base_url = current_app.config["PUBLIC_BASE_URL"]
    with force_locale(notice.locale), current_app.test_request_context(base_url=base_url):
        first = reservations[0]
        message = compose(
            notice.recipient,
            subject(kind, first, len(reservations)),
            render_template(
                f"notify/{kind.value.replace('.', '_')}.txt",
                reservation=first,
                reservations=reservations,
                details=notice.details,
                day=tokyo(first.starts_at).date(),
            ),
        )
    if kind in METHODS:
        attach_calendar(message, METHODS[kind], reservations, notice.recipient)
    return message


def concerned(kind: Notice, notice: OutboxMessage) -> list[Reservation]:
    """The reservation a notice is about, or every one of a repetition's."""
    query = select(Reservation).options(selectinload(Reservation.room).selectinload(Room.facility))
    if kind is Notice.SERIES_CONFIRMATION:
        query = query.where(
            Reservation.series_id == notice.details["series"], Reservation.status == "active"
        )
    elif kind is Notice.SERIES_CANCELLATION:
        query = query.where(Reservation.id.in_(notice.details["ids"]))
    else:
        query = query.where(Reservation.id == notice.reservation_id)
    return list(db.session.scalars(query.order_by(Reservation.starts_at)))


def subject(kind: Notice, reservation: Reservation, count: int) -> str:
    when = (
        f"{long_date(reservation.starts_at)} "
        f"{clock(reservation.starts_at)}〜{clock(reservation.ends_at)}"
    )
    at = {"when": when, "place": reservation.room.facility.name(locale_code())}
    return {
        Notice.CONFIRMATION: _("予約を受け付けました：%(when)s %(place)s", **at),
        Notice.CHANGE: _("予約を変更しました：%(when)s %(place)s", **at),
        Notice.CANCELLATION: _("予約が取り消されました：%(when)s %(place)s", **at),
        Notice.REMINDER: _("明日の面談のお知らせ：%(when)s %(place)s", **at),
        Notice.SERIES_CONFIRMATION: _("繰り返しの予約を受け付けました（%(n)d件）", n=count),
        Notice.SERIES_CANCELLATION: _("繰り返しの予約を取り消しました（%(n)d件）", n=count),
    }[kind]


def attach_calendar(
    message: EmailMessage, method: str, reservations: list[Reservation], recipient: str
) -> None:
    """The reservations as an .ics attachment; one tap puts them in the phone's calendar."""
    calendar = ical.new_calendar(EventRow.of(r) for r in reservations)
    calendar.add("method", method)
    for event in calendar.walk("VEVENT"):
        if method == "CANCEL" or not reservations[0].is_active:
            event["status"] = "CANCELLED"
        if method != "PUBLISH":  # an invitation names who sends it and to whom (RFC 5546)
            organizer = vCalAddress(f"mailto:{current_app.config['MAIL_SENDER']}")
            organizer.params["CN"] = "札幌市 面談室予約"
            event.add("organizer", organizer)
            event.add("attendee", f"mailto:{recipient}", parameters={"RSVP": "FALSE"})
    message.add_attachment(
        calendar.to_ical(),
        maintype="text",
        subtype="calendar",
        params={"method": method},
        filename="cancel.ics" if method == "CANCEL" else "reservation.ics",
    )
