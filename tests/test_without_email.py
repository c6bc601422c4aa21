"""An officer without e-mail (a login id and a printed code) uses every page as others do;
nothing assumes an address: the desk's pages, notices, reminders, the safety sweep, feeds,
CSV exports, the second factor and the password rules."""

import csv
import io
from datetime import datetime

import pytest
from sqlalchemy import select

from booking.auth import services as auth
from booking.auth import two_factor
from booking.auth.models import Role, User
from booking.auth.passwords import UnacceptablePassword
from booking.extensions import db
from booking.feeds import services as feeds
from booking.feeds.models import Feed, FeedKind
from booking.manage.forms import officer_label
from booking.notify.models import OutboxMessage
from booking.notify.notices import remind
from booking.safety.sweep import sweep
from booking.timeutil import TOKYO, at_tokyo
from tests.conftest import TEST_PASSWORD, TUESDAY, booked, csrf_token, log_in

LOGIN_ID = "H246813"


@pytest.fixture
def paper(app):
    """An officer who logs in with a login id and has chosen a password."""
    user = User(
        name="紙 太郎",
        name_kana="カミ タロウ",
        login_id=LOGIN_ID,
        role=Role.OFFICER,
        password_hash=auth.hasher.hash(TEST_PASSWORD),
    )
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def paper_client(client, paper):
    assert log_in(client, LOGIN_ID).status_code == 302
    return client


@pytest.fixture
def desk(make_user, facility):
    return make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])


def test_the_desk_tells_them_apart_by_login_id_without_phone(paper):
    assert officer_label(paper) == "紙 太郎（カミ タロウ） H246813"


def test_the_desk_finds_them_by_login_id_and_books_for_them(app, desk, facility, room, paper, now):
    client = app.test_client()
    assert log_in(client, desk.email).status_code == 302
    found = client.get(f"/manage/facilities/{facility.id}/book?q=h246813")
    assert "紙 太郎（カミ タロウ） H246813" in found.get_data(as_text=True)
    url = f"/manage/facilities/{facility.id}/book"
    response = client.post(
        url,
        data={
            "officer": str(paper.id),
            "room": str(room.id),
            "day": TUESDAY.isoformat(),
            "start": "14:00",
            "minutes": "60",
            "probation_officer": "none",
            "csrf_token": csrf_token(client, url),
        },
    )
    assert response.status_code == 302
    slip = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "紙 太郎様" in slip and "None" not in slip
    assert db.session.scalar(select(OutboxMessage.id)) is None  # nobody to write to


def test_their_own_booking_and_pages_work_without_mail(paper_client, room, now):
    url = f"/rooms/{room.id}/reserve?day={TUESDAY.isoformat()}&start=13:00"
    assert paper_client.get(url).status_code == 200
    account = paper_client.get("/account").get_data(as_text=True)
    assert "ログインID：H246813" in account and "None" not in account
    assert "お知らせのメールは届きません" in account
    assert "None" not in paper_client.get("/reservations/").get_data(as_text=True)


def test_no_reminder_and_no_notice_goes_to_no_address(app, room, paper, officer, clock):
    clock(datetime(2025, 4, 7, 9, tzinfo=TOKYO))
    booked(room, paper, "09:00")
    booked(room, officer, "11:00")
    assert remind(datetime(2025, 4, 7, 18, tzinfo=TOKYO)) == 1
    recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert None not in recipients and "officer@example.jp" in recipients


def test_the_safety_sweep_alarms_the_desk_for_them(app, facility, room, paper, clock):
    facility.desk_email = "desk@ward.example"
    db.session.commit()
    clock(datetime(2025, 4, 8, 8, tzinfo=TOKYO))
    booked(room, paper, "09:00")
    assert sweep(at_tokyo(TUESDAY, datetime(2025, 4, 8, 9, 16).time())) == 1
    alarms = db.session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.kind.like("reservation.%"))
    ).all()
    assert alarms == ["desk@ward.example"]


def test_their_calendar_feed_works(app, client, room, paper, now):
    booked(room, paper, "10:00")
    token = feeds.issue(paper, Feed(FeedKind.MINE), by=paper)
    db.session.commit()
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 200 and b"BEGIN:VEVENT" in response.get_data()


def test_the_desk_csv_names_them(app, desk, facility, room, paper, now):
    booked(room, paper, "10:00")
    client = app.test_client()
    assert log_in(client, desk.email).status_code == 302
    response = client.get(f"/manage/facilities/{facility.id}/schedule.csv?day=2025-04-08")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[1][3] == "紙 太郎" and "None" not in response.get_data(as_text=True)


def test_a_second_factor_names_them_by_login_id(paper):
    two_factor.start_enrolment(paper)
    assert LOGIN_ID in two_factor.provisioning_uri(paper)


def test_the_login_id_is_one_of_their_own_words(paper):
    with pytest.raises(UnacceptablePassword):
        auth.ensure_acceptable_password(paper, "h246813 雪の朝")
