"""A refused booking says what is in the way and offers free times that book in one tap."""

import re

from booking.auth.models import Role
from booking.reservations.models import Reservation
from tests.conftest import booked
from tests.test_booking_pages import booking_form


def offer_forms(page: str) -> list[tuple[str, dict]]:
    """Each offered time as (the address it posts to, the fields it sends)."""
    section = re.search(r'<section class="offers".*?</section>', page, re.S).group(0)
    forms = re.findall(r'<form method="post" action="([^"]+)">(.*?)</form>', section, re.S)
    return [
        (action, dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', body)))
        for action, body in forms
    ]


def test_a_clash_offers_the_nearest_free_times_here_and_next_door(
    officer_client, room, make_room, make_user, now
):
    other_room = make_room()
    booked(room, make_user(Role.OFFICER, email="other@example.jp"), start="10:00")
    response = booking_form(officer_client, room, start="10:00", notify_desk="y")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "同じ日の近い時間なら空いています" in page
    offers = offer_forms(page)
    here = [fields["start"] for action, fields in offers if action == f"/rooms/{room.id}/reserve"]
    there = [f["start"] for action, f in offers if action == f"/rooms/{other_room.id}/reserve"]
    assert here == ["08:45", "09:00", "11:00"]  # the three nearest to 10:00
    assert there == ["09:45", "10:00", "10:15"]
    assert "重なっているあなたの予約" not in page


def test_one_tap_on_an_offer_books_it_with_what_was_typed(
    officer_client, officer, room, make_room, make_user, now
):
    other_room = make_room()
    booked(room, make_user(Role.OFFICER, email="other@example.jp"), start="10:00")
    page = booking_form(officer_client, room, start="10:00", notify_desk="y", desk_note="杖")
    action, fields = next(
        (a, f) for a, f in offer_forms(page.get_data(as_text=True)) if f["start"] == "10:00"
    )
    assert action == f"/rooms/{other_room.id}/reserve"
    response = officer_client.post(action, data=fields)
    assert response.status_code == 302
    mine = Reservation.query.filter_by(officer_id=officer.id).one()
    assert mine.room_id == other_room.id and mine.notify_desk and mine.desk_note == "杖"


def test_a_clash_with_my_own_booking_in_this_room_links_to_it(officer_client, officer, room, now):
    mine = booked(room, officer, start="10:00")
    page = booking_form(officer_client, room, start="10:30").get_data(as_text=True)
    assert "あなた自身のこの部屋の予約があります（10:00〜11:00）" in page
    assert f'href="/reservations/{mine.public_id}"' in page


def test_my_booking_elsewhere_links_to_it_and_no_offer_overlaps_it(
    officer_client, officer, room, make_room, now
):
    mine = booked(make_room(), officer, start="10:00")
    response = booking_form(officer_client, room, start="10:00")
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "あなたの別の予約があります" in page
    assert f'href="/reservations/{mine.public_id}"' in page
    starts = {fields["start"] for _action, fields in offer_forms(page)}
    assert starts and not starts & {"09:15", "09:30", "09:45", "10:00", "10:15", "10:30"}


def test_other_refusals_offer_nothing(officer_client, room, now):
    page = booking_form(officer_client, room, start="07:00").get_data(as_text=True)
    assert 'class="offers"' not in page


def test_the_edit_page_shows_the_free_times_of_its_day(
    officer_client, officer, room, make_user, now
):
    mine = booked(room, officer, start="10:00")
    booked(room, make_user(Role.OFFICER, email="other@example.jp"), start="13:00")
    url = f"/reservations/{mine.public_id}/edit"
    page = officer_client.get(url).get_data(as_text=True)
    assert "2025年4月8日(火)の空いている時間" in page
    assert "8:45〜13:00、14:00〜17:15" in page  # its own 10:00〜11:00 counts as free
