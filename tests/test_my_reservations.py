"""The officer's own list: large rows, missed check-ins named, and cancelling undone."""

from datetime import timedelta

from booking.audit import AuditEvent
from booking.auth.models import Role
from booking.extensions import db
from booking.reservations.models import Reservation, Status
from tests.conftest import NOW, booked, csrf_token, log_in


def cancel(client, reservation):
    url = f"/reservations/{reservation.public_id}/cancel"
    return client.post(url, data={"csrf_token": csrf_token(client, url)})


def restore(client, reservation):
    url = f"/reservations/{reservation.public_id}"
    return client.post(f"{url}/restore", data={"csrf_token": csrf_token(client, url)})


def test_cancelling_offers_an_undo_that_books_it_again(officer_client, officer, room, now):
    reservation = booked(room, officer)
    response = cancel(officer_client, reservation)
    assert response.headers["Location"] == f"/reservations/{reservation.public_id}"
    page = officer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "予約を取り消しました。" in page and ">元に戻す</button>" in page
    assert ">元に戻す</button>" in officer_client.get("/reservations/").get_data(as_text=True)
    assert restore(officer_client, reservation).status_code == 302
    assert Reservation.query.one().status is Status.ACTIVE
    actions = [e.action for e in AuditEvent.query.order_by(AuditEvent.id)]
    assert actions[-2:] == ["reservation.cancel", "reservation.restore"]


def test_no_undo_once_someone_else_took_the_slot(officer_client, officer, room, make_user, now):
    reservation = booked(room, officer)
    cancel(officer_client, reservation)
    booked(room, make_user(Role.OFFICER, email="other@example.jp"), start="10:30")
    page = officer_client.get(f"/reservations/{reservation.public_id}").get_data(as_text=True)
    assert "元に戻す" not in page
    response = restore(officer_client, reservation)
    assert response.status_code == 409
    assert "この時間は既に予約があります" in response.get_data(as_text=True)
    assert db.session.get(Reservation, reservation.id).status is Status.CANCELLED


def test_no_undo_when_the_officer_booked_elsewhere_meanwhile(
    officer_client, officer, room, make_room, now
):
    reservation = booked(room, officer)
    cancel(officer_client, reservation)
    booked(make_room(), officer, start="10:00")
    assert restore(officer_client, reservation).status_code == 409


def test_no_undo_of_a_cancellation_by_the_facility(officer_client, officer, room, now):
    reservation = booked(room, officer)
    reservation.status, reservation.cancel_reason = Status.CANCELLED, "臨時休館"
    db.session.commit()
    assert restore(officer_client, reservation).status_code == 400
    assert Reservation.query.one().status is Status.CANCELLED


def test_no_undo_once_the_time_has_passed(officer_client, officer, room, clock, now):
    reservation = booked(room, officer)
    cancel(officer_client, reservation)
    clock(NOW + timedelta(days=2))
    assert "元に戻す" not in officer_client.get("/reservations/").get_data(as_text=True)
    assert restore(officer_client, reservation).status_code == 422


def test_someone_else_cannot_undo_my_cancellation(client, officer, room, make_user, now):
    reservation = booked(room, officer)
    reservation.status = Status.CANCELLED
    db.session.commit()
    stranger = make_user(Role.OFFICER, email="stranger@example.jp")
    log_in(client, stranger.email)
    assert restore(client, reservation).status_code == 403


def test_a_past_booking_without_arrival_says_so(officer_client, officer, room, clock, now):
    booked(room, officer)
    attended = booked(room, officer, start="13:00")
    attended.checked_in_at = attended.starts_at
    db.session.commit()
    clock(NOW + timedelta(days=2))
    page = officer_client.get("/reservations/").get_data(as_text=True)
    assert page.count("入室の記録なし") == 1
    # The latest first: the attended 13:00, then the missed 10:00 with its note.
    assert page.index("13:00〜14:00") < page.index("10:00〜11:00") < page.index("入室の記録なし")
