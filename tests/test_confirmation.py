"""Right after booking: a panel with what to note, how to get there and whom to call."""

import re
from urllib.parse import quote

from booking.reservations.models import Reservation
from tests.conftest import csrf_token
from tests.test_booking_pages import booking_form


def test_booking_lands_on_the_done_panel(officer_client, room, now):
    response = booking_form(officer_client, room)
    assert response.headers["Location"].endswith("?booked=1")
    page = officer_client.get(response.headers["Location"]).get_data(as_text=True)
    reservation = Reservation.query.one()
    number = reservation.public_id.hex[:8].upper()
    assert "予約が完了しました" in page
    assert f"予約番号：<strong>{number[:4]}-{number[4:]}</strong>" in page
    assert 'href="tel:+81-11-211-2345"' in page and "窓口に電話する（011-211-2345）" in page
    assert f'href="/reservations/{reservation.public_id}/calendar.ics" download' in page
    maps = re.search(r'href="(https://www\.google\.com/maps/search/[^"]+)"', page).group(1)
    assert maps.endswith("query=" + quote(room.facility.address, safe="/"))
    assert re.search(r"<button[^>]*data-print hidden>この画面を印刷する</button>", page)
    assert "js/print.js" in page


def test_the_panel_is_only_for_the_moment_of_booking(officer_client, room, now):
    booking_form(officer_client, room)
    reservation = Reservation.query.one()
    page = officer_client.get(f"/reservations/{reservation.public_id}").get_data(as_text=True)
    assert "予約が完了しました" not in page and "<h1>予約の内容</h1>" in page
    assert "カレンダーに追加" in page


def test_a_cancelled_reservation_shows_no_panel(officer_client, room, now):
    booking_form(officer_client, room)
    reservation = Reservation.query.one()
    url = f"/reservations/{reservation.public_id}"
    officer_client.post(f"{url}/cancel", data={"csrf_token": csrf_token(officer_client, url)})
    assert "予約が完了しました" not in officer_client.get(f"{url}?booked=1").get_data(as_text=True)
