"""E-mails to officers: confirmations with calendar invitations, changes, cancellations with
their reason, day-before reminders; each parsed as a mail program and calendar apps would."""

from datetime import date, datetime, time, timedelta

import icalendar
import pytest
import recurring_ical_events
import vobject
from sqlalchemy import select

from booking.audit import AuditEvent
from booking.auth.models import Role
from booking.extensions import db
from booking.manage import services as desk
from booking.notify.models import OutboxMessage
from booking.notify.notices import remind
from booking.notify.sender import send_pass
from booking.reservations import services
from booking.reservations.models import Repeat, Reservation
from booking.reservations.series import Plan, book_series, cancel_from
from booking.reservations.services import SafetyDetails, Slot
from booking.rooms.models import Closure
from booking.timeutil import TOKYO, at_tokyo
from tests.conftest import TUESDAY, booked, csrf_token, log_in, row_count

NOTE = "山田さんは杖をついて来館"


def delivered(smtp_server) -> list:
    send_pass()
    return list(smtp_server)


def calendar_of(message) -> icalendar.Calendar:
    """The attached calendar, checked by three independent parsers."""
    part = next(p for p in message.iter_attachments() if p.get_content_type() == "text/calendar")
    raw = part.get_payload(decode=True)
    vobject.readOne(raw.decode("utf-8"))
    calendar = icalendar.Calendar.from_ical(raw)
    assert recurring_ical_events.of(calendar).between(date(2025, 1, 1), date(2026, 1, 1))
    return calendar


def only_event(calendar: icalendar.Calendar) -> icalendar.Event:
    (event,) = calendar.walk("VEVENT")
    return event


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_a_booking_is_confirmed_with_an_invitation(smtp_server, room, officer, now):
    reservation = booked(room, officer, "10:00", desk_note=NOTE, caution=True)
    (message,) = delivered(smtp_server)
    assert message["To"] == officer.email
    assert (
        str(message["Subject"])
        == "予約を受け付けました：2025年4月8日(火) 10:00〜11:00 テスト区役所"
    )
    body = text_of(message)
    assert "面談室1" in body and "札幌市中央区北1条西2丁目" in body
    assert f"/reservations/{reservation.public_id}" in body
    assert "110" in body and "011-211-2345" in body  # the emergency card
    calendar = calendar_of(message)
    assert calendar["method"] == "REQUEST"
    event = only_event(calendar)
    assert str(event["uid"]) == f"{reservation.public_id}@sapporo-interview-rooms"
    assert event["sequence"] == 1
    assert event.decoded("dtstart") == datetime(2025, 4, 8, 10, tzinfo=TOKYO)
    assert str(event["organizer"]) == "mailto:booking@localhost"


def test_a_refused_booking_sends_nothing(smtp_server, room, officer, make_user, now):
    booked(room, officer, "10:00")
    other = make_user(Role.OFFICER)
    starts_at = at_tokyo(TUESDAY, time(10, 30))
    with pytest.raises(services.Conflict):
        services.book(
            Slot(room, starts_at, starts_at + timedelta(hours=1)),
            other,
            by=other,
            safety=SafetyDetails(),
        )
    db.session.rollback()
    assert len(delivered(smtp_server)) == 1  # the first booking's confirmation only


def test_a_change_raises_the_sequence_of_the_same_event(smtp_server, room, officer, now):
    reservation = booked(room, officer, "10:00")
    send_pass()  # the sender runs every minute: the confirmation has gone
    starts_at = at_tokyo(TUESDAY, time(13))
    services.change(
        reservation,
        Slot(room, starts_at, starts_at + timedelta(hours=1)),
        by=officer,
        safety=SafetyDetails(),
    )
    db.session.commit()
    confirmation, change = delivered(smtp_server)
    assert str(change["Subject"]).startswith("予約を変更しました：2025年4月8日(火) 13:00〜14:00")
    first, second = only_event(calendar_of(confirmation)), only_event(calendar_of(change))
    assert first["uid"] == second["uid"]
    assert (first["sequence"], second["sequence"]) == (1, 2)
    assert calendar_of(change)["method"] == "REQUEST"


def test_a_closure_cancellation_says_why_and_where_else(
    smtp_server, app, room, officer, make_user, facility, now
):
    officer.wants_confirmations = False  # a cancellation by the desk goes all the same
    reservation = booked(room, officer, "10:00")
    manager = make_user(Role.MANAGER, facilities=[facility])
    closure = Closure(
        facility_id=facility.id,
        starts_at=at_tokyo(TUESDAY, time(8)),
        ends_at=at_tokyo(TUESDAY, time(18)),
        reason="停電のため",
    )
    desk.add_closure(facility, closure, by=manager, cancel_hit=True)
    db.session.commit()
    (message,) = delivered(smtp_server)
    assert str(message["Subject"]).startswith("予約が取り消されました：2025年4月8日(火) 10:00")
    body = text_of(message)
    assert "停電のため" in body
    assert f"/rooms/{room.id}/week?start=2025-04-08" in body
    assert "/?day=2025-04-08&ward=chuo" in body
    calendar = calendar_of(message)
    assert calendar["method"] == "CANCEL"
    event = only_event(calendar)
    assert event["status"] == "CANCELLED" and event["sequence"] == 2
    assert str(event["uid"]) == f"{reservation.public_id}@sapporo-interview-rooms"


def test_own_actions_are_confirmed_only_when_wanted(smtp_server, room, officer, now):
    officer.wants_confirmations = False
    reservation = booked(room, officer, "10:00")
    services.cancel(reservation, by=officer)
    db.session.commit()
    assert delivered(smtp_server) == []


def test_booking_by_the_desk_is_always_confirmed(smtp_server, room, officer, make_user, now):
    officer.wants_confirmations = False
    manager = make_user(Role.MANAGER, facilities=[room.facility])
    starts_at = at_tokyo(TUESDAY, time(10))
    services.book(
        Slot(room, starts_at, starts_at + timedelta(hours=1)),
        officer,
        by=manager,
        safety=SafetyDetails(),
    )
    db.session.commit()
    (message,) = delivered(smtp_server)
    assert message["To"] == officer.email


def test_a_repetition_is_confirmed_and_cancelled_in_one_message_each(
    smtp_server, room, officer, now
):
    plan = Plan(room, TUESDAY, time(10), 60, Repeat.WEEKLY, TUESDAY + timedelta(weeks=3))
    _series, _booked = book_series(
        plan, officer, by=officer, safety=SafetyDetails(), idempotency_key="k1"
    )
    db.session.commit()
    (confirmation,) = delivered(smtp_server)
    cancel_from(_series, TUESDAY + timedelta(weeks=1), by=officer)
    db.session.commit()
    _confirmation, cancellation = delivered(smtp_server)
    # 8, 15 and 22 April; the 29th is a national holiday (昭和の日)
    assert str(confirmation["Subject"]) == "繰り返しの予約を受け付けました（3件）"
    assert len(calendar_of(confirmation).walk("VEVENT")) == 3
    assert str(cancellation["Subject"]) == "繰り返しの予約を取り消しました（2件）"
    events = calendar_of(cancellation).walk("VEVENT")
    assert [e["status"] for e in events] == ["CANCELLED", "CANCELLED"]
    assert "2025年4月22日(火)" in text_of(cancellation)


@pytest.mark.parametrize(
    ("moment", "reminded"),
    [
        (datetime(2025, 4, 7, 16, 59, tzinfo=TOKYO), 0),
        (datetime(2025, 4, 7, 17, 0, tzinfo=TOKYO), 2),
        (datetime(2025, 4, 7, 23, 59, tzinfo=TOKYO), 2),
    ],
)
def test_reminders_go_from_the_reminder_time_for_the_next_day_only(
    app, room, make_room, officer, make_user, clock, moment, reminded
):
    clock(datetime(2025, 4, 7, 9, tzinfo=TOKYO))
    booked(room, officer, "09:00")  # Tuesday, the day after
    booked(make_room(), make_user(Role.OFFICER), "16:15", minutes=60)  # ends 17:15
    quiet = make_user(Role.OFFICER, wants_reminders=False)
    booked(make_room(), quiet, "10:00")
    starts_at = at_tokyo(date(2025, 4, 9), time(9))  # Wednesday: not yet
    services.book(
        Slot(room, starts_at, starts_at + timedelta(hours=1)),
        officer,
        by=officer,
        safety=SafetyDetails(),
    )
    cancelled = booked(make_room(), make_user(Role.OFFICER), "11:00")
    services.cancel(cancelled, by=cancelled.officer)
    db.session.commit()
    assert remind(moment) == reminded
    assert remind(moment) == 0  # a second sender at the same moment writes none again
    reminders = select(OutboxMessage).where(OutboxMessage.kind == "reservation.reminder")
    assert len(db.session.scalars(reminders).all()) == reminded


def test_a_reminder_carries_the_emergency_card(smtp_server, room, officer, clock):
    clock(datetime(2025, 4, 7, 9, tzinfo=TOKYO))
    officer.wants_confirmations = False
    booked(room, officer, "10:00")
    clock(datetime(2025, 4, 7, 17, tzinfo=TOKYO))
    remind(datetime(2025, 4, 7, 17, tzinfo=TOKYO))
    db.session.commit()
    (message,) = delivered(smtp_server)
    assert (
        str(message["Subject"])
        == "明日の面談のお知らせ：2025年4月8日(火) 10:00〜11:00 テスト区役所"
    )
    body = text_of(message)
    assert "110番" in body and "011-211-2345" in body


def test_the_send_command_writes_reminders_too(app, smtp_server, room, officer, clock):
    clock(datetime(2025, 4, 7, 9, tzinfo=TOKYO))
    officer.wants_confirmations = False
    booked(room, officer, "10:00")
    clock(datetime(2025, 4, 7, 17, 30, tzinfo=TOKYO))
    for _minute in range(3):
        assert app.test_cli_runner().invoke(args=["mail", "send"]).exit_code == 0
    assert [str(m["Subject"])[:10] for m in smtp_server] == ["明日の面談のお知らせ"]


def test_no_message_of_any_kind_carries_a_note_or_the_caution_flag(
    smtp_server, app, room, officer, make_user, facility, clock
):
    clock(datetime(2025, 4, 7, 9, tzinfo=TOKYO))
    secret = dict(desk_note=NOTE, caution=True, notify_desk=True, second_officer=True)
    single = booked(room, officer, "10:00", **secret)
    starts_at = at_tokyo(TUESDAY, time(13))
    services.change(
        single,
        Slot(room, starts_at, starts_at + timedelta(hours=1)),
        by=officer,
        safety=SafetyDetails(**secret),
    )
    week = TUESDAY + timedelta(weeks=1)
    plan = Plan(room, week, time(10), 60, Repeat.WEEKLY, week + timedelta(weeks=1))
    series, _booked = book_series(
        plan, officer, by=officer, safety=SafetyDetails(**secret), idempotency_key="k"
    )
    db.session.commit()
    cancel_from(series, TUESDAY + timedelta(weeks=2), by=officer)
    clock(datetime(2025, 4, 7, 17, tzinfo=TOKYO))
    remind(datetime(2025, 4, 7, 17, tzinfo=TOKYO))
    services.cancel(single, by=make_user(Role.ADMIN), reason="市の都合により")
    db.session.commit()
    messages = delivered(smtp_server)
    kinds = set(db.session.scalars(select(OutboxMessage.kind)))
    assert kinds == {
        "reservation.confirmation",
        "reservation.change",
        "reservation.cancellation",
        "reservation.reminder",
        "series.confirmation",
        "series.cancellation",
    }
    assert len(messages) == 6
    for message in messages:
        whole = message.as_string() + "".join(
            part.get_payload(decode=True).decode("utf-8")
            for part in message.walk()
            if not part.is_multipart()
        )
        assert "杖" not in whole and "山田" not in whole
        assert "慎重" not in whole and "caution" not in whole.lower()


def test_japanese_carrier_addresses_are_recipients(smtp_server, room, make_user, now):
    officer = make_user(Role.OFFICER, email="taro..yamada.@docomo.ne.jp")
    booked(room, officer, "10:00")
    (message,) = delivered(smtp_server)
    assert message["To"] == "taro..yamada.@docomo.ne.jp"


def test_english_speakers_get_english(smtp_server, app, client, room, officer, now):
    log_in(client, officer.email)
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/")})
    response = client.post(
        f"/rooms/{room.id}/reserve",
        data={
            "day": "2025-04-08",
            "start": "10:00",
            "minutes": "60",
            "probation_officer": "none",
            "idempotency_key": "e1",
            "csrf_token": csrf_token(client, f"/rooms/{room.id}/reserve"),
        },
    )
    assert response.status_code == 302
    (message,) = delivered(smtp_server)
    assert str(message["Subject"]).startswith("Reservation received")
    assert row_count(Reservation) == 1


def test_development_prints_a_confirmation_with_its_attachment(app, room, officer, now, capsys):
    app.config["MAIL_SERVER"] = None
    booked(room, officer, "10:00")
    assert send_pass().sent == 1
    printed = capsys.readouterr().out
    assert "予約を受け付けました" in printed and "[attached: reservation.ics]" in printed


def test_officers_choose_their_e_mails_on_their_account_page(app, client, officer, room, now):
    log_in(client, officer.email)
    page = client.get("/account").get_data(as_text=True)
    assert "お知らせのメール" in page and 'name="wants_reminders" type="checkbox" value="y"' in page
    token = csrf_token(client, "/account")
    response = client.post("/account/mail", data={"csrf_token": token, "wants_reminders": "y"})
    assert response.status_code == 302
    db.session.refresh(officer)
    assert (officer.wants_confirmations, officer.wants_reminders) == (False, True)
    booked(room, officer, "10:00")
    assert db.session.scalar(select(OutboxMessage.id)) is None  # no confirmation wanted
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.mail_choices"))
    assert [e.details for e in events] == [{"changed": ["wants_confirmations"]}]


def test_the_mail_choices_need_the_csrf_token(app, client, officer):
    log_in(client, officer.email)
    response = client.post("/account/mail", data={"wants_reminders": "y"})
    assert response.status_code == 400
    db.session.refresh(officer)
    assert (officer.wants_confirmations, officer.wants_reminders) == (True, True)
