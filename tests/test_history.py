"""What has happened stays as it was: a reservation that has begun (or been checked in) is
never cancelled or changed afterwards, by anyone, and a closure over the past cancels only
what has not begun yet."""

from datetime import timedelta

import pytest

from booking.auth.models import Role
from booking.extensions import db
from booking.reservations.models import Reservation, Status
from booking.rooms.models import Closure
from tests.conftest import NOW, audited_changes, booked, csrf_token, log_in, row_count

TUESDAY_NOON = NOW + timedelta(days=1, hours=3)  # Tuesday 12:00 in Sapporo
REFUSAL = "始まった予約は、取り消しも変更もできません。"


def client_for(app, user):
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    return client


@pytest.fixture
def people(app, make_user, facility, officer):
    return {
        "officer": officer,
        "manager": make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility]),
        "admin": make_user(Role.ADMIN, email="admin@example.jp"),
    }


def snapshot(reservation_id):
    db.session.expire_all()
    r = db.session.get(Reservation, reservation_id)
    return (r.status, r.starts_at, r.ends_at, r.room_id, r.desk_note, r.version)


def attempts(client, reservation):
    """Every way to cancel or change it, as a browser would send them."""
    base = f"/reservations/{reservation.public_id}"
    token = csrf_token(client, "/reservations/")
    form = {"day": "2025-04-08", "start": "15:00", "minutes": "60", "csrf_token": token}
    return {
        "cancel page": client.get(f"{base}/cancel"),
        "cancel": client.post(f"{base}/cancel", data={"csrf_token": token}),
        "cancel series": client.post(f"{base}/cancel-series", data={"csrf_token": token}),
        "edit page": client.get(f"{base}/edit"),
        "edit": client.post(f"{base}/edit", data={**form, "probation_officer": "none"}),
    }


@pytest.mark.parametrize("who", ["officer", "manager", "admin"])
def test_a_past_checked_out_interview_cannot_be_cancelled_or_changed(
    app, people, room, officer, now, clock, who
):
    reservation = booked(room, officer, desk_note="駐車場")
    clock(NOW + timedelta(days=1, hours=1))  # Tuesday 10:00: it begins
    officer_client = client_for(app, officer)
    token = csrf_token(officer_client, "/reservations/")
    for step in ("check-in", "check-out"):
        path = f"/reservations/{reservation.public_id}/{step}"
        assert officer_client.post(path, data={"csrf_token": token}).status_code == 302
    clock(TUESDAY_NOON)
    before, events = snapshot(reservation.id), audited_changes()
    client = client_for(app, people[who])
    for name, response in attempts(client, reservation).items():
        assert response.status_code in (403, 404), name
        if response.status_code == 403:
            assert REFUSAL in response.get_data(as_text=True), name
    assert snapshot(reservation.id) == before
    assert audited_changes() == events
    page = client.get(f"/reservations/{reservation.public_id}").get_data(as_text=True)
    assert "取り消す" not in page and "変更する" not in page


def test_a_reservation_checked_in_early_is_fixed_too(app, people, room, officer, now, clock):
    reservation = booked(room, officer)
    clock(NOW + timedelta(days=1, hours=0, minutes=45))  # Tuesday 9:45, before its 10:00 start
    client = client_for(app, officer)
    token = csrf_token(client, "/reservations/")
    check_in = client.post(
        f"/reservations/{reservation.public_id}/check-in", data={"csrf_token": token}
    )
    assert check_in.status_code == 302
    response = client.post(
        f"/reservations/{reservation.public_id}/cancel", data={"csrf_token": token}
    )
    assert response.status_code == 403
    assert snapshot(reservation.id)[0] is Status.ACTIVE


def test_a_reservation_not_begun_still_shows_its_buttons(app, room, officer, now):
    reservation = booked(room, officer)
    page = client_for(app, officer).get(f"/reservations/{reservation.public_id}")
    text = page.get_data(as_text=True)
    assert "取り消す" in text and "変更する" in text


def test_a_closure_over_the_past_cancels_only_what_has_not_begun(
    app, people, facility, room, officer, now, clock
):
    past = booked(room, officer, "10:00")
    coming = booked(room, officer, "14:00")
    clock(TUESDAY_NOON)
    client = client_for(app, people["manager"])
    url = f"/manage/facilities/{facility.id}/closures"
    data = {
        "room": "",
        "first_day": "2000-01-01",
        "last_day": "2025-04-08",
        "reason": "停電のため",
        "csrf_token": csrf_token(client, url),
    }
    first = client.post(url, data=data)
    assert first.status_code == 200  # a page to confirm on, listing only what has not begun
    page = first.get_data(as_text=True)
    assert "14:00〜15:00" in page and "10:00〜11:00" not in page
    assert "1件の予約を取り消して休館を登録する" in page

    assert client.post(url, data={**data, "confirm": "1"}).status_code == 302
    assert row_count(Closure) == 1
    assert snapshot(past.id)[0] is Status.ACTIVE
    assert snapshot(coming.id)[0] is Status.CANCELLED


def test_a_closure_over_nothing_but_the_past_is_recorded_at_once(
    app, people, facility, room, officer, now, clock
):
    past = booked(room, officer, "10:00")
    clock(TUESDAY_NOON)
    client = client_for(app, people["manager"])
    url = f"/manage/facilities/{facility.id}/closures"
    data = {
        "room": "",
        "first_day": "2025-04-08",
        "first_time": "09:00",
        "last_day": "2025-04-08",
        "last_time": "11:30",
        "reason": "停電でした",
        "csrf_token": csrf_token(client, url),
    }
    assert client.post(url, data=data).status_code == 302
    assert snapshot(past.id)[0] is Status.ACTIVE
