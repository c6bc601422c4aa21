"""The plain booking pages: book, see, change, cancel, list."""

from booking.reservations.models import Reservation, Status
from tests.conftest import csrf_token, row_count


def booking_form(client, room, **fields):
    data = {
        "day": "2025-04-08",
        "start": "10:00",
        "minutes": "60",
        "probation_officer": "none",
        "repeat": "",
        "interval_weeks": "1",
        "csrf_token": csrf_token(client, f"/rooms/{room.id}/reserve"),
        **fields,
    }
    return client.post(f"/rooms/{room.id}/reserve", data=data)


def test_book_see_and_cancel(officer_client, room, now):
    response = booking_form(officer_client, room)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = officer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2025年4月8日(火) 10:00〜11:00" in page
    assert "110" in page
    reservation = Reservation.query.one()
    cancel_url = f"/reservations/{reservation.public_id}/cancel"
    token = csrf_token(officer_client, cancel_url)
    assert officer_client.post(cancel_url, data={"csrf_token": token}).status_code == 302
    assert Reservation.query.one().status is Status.CANCELLED


def test_taken_slot_is_a_409_with_the_form_kept(officer_client, room, now, make_user):
    assert booking_form(officer_client, room).status_code == 302
    response = booking_form(officer_client, room, start="10:30", desk_note="窓口メモ")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "この時間は既に予約があります" in page
    assert "窓口メモ" in page
    assert row_count(Reservation) == 1
