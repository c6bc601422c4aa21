"""Dates typed the way the pages and the city write them: 令和7年4月8日, R7.4.8, full width."""

import pytest

from booking.fields import parse_written_date
from booking.reservations.models import Reservation
from tests.test_booking_pages import booking_form

APRIL_8 = "2025-04-08"


@pytest.mark.parametrize(
    "typed",
    [
        "2025-04-08",
        "2025/4/8",
        "2025年4月8日",
        "2025年4月8日(火)",  # copied from a page, weekday and all
        "令和7年4月8日",
        "令和７年４月８日",
        "R7.4.8",
        "r7.4.8",
        "Ｒ７．４．８",
        "R7/04/08",
        " 令和 7 年 4 月 8 日 ",
        "２０２５－０４－０８",
    ],
)
def test_accepted(typed):
    assert parse_written_date(typed).isoformat() == APRIL_8


@pytest.mark.parametrize(
    "typed",
    ["7.4.8", "令和7年13月1日", "令和7年2月30日", "令和1年4月1日", "R7", "明日", "2025-04", ""],
)
def test_refused(typed):
    assert parse_written_date(typed) is None


def test_reiwa_gannen_and_heisei():
    assert parse_written_date("令和元年5月1日").isoformat() == "2019-05-01"
    assert parse_written_date("H31.4.30").isoformat() == "2019-04-30"


def test_the_booking_form_takes_a_reiwa_date(officer_client, room, now):
    response = booking_form(officer_client, room, day="令和7年4月8日")
    assert response.status_code == 302
    assert Reservation.query.one().starts_at.isoformat().startswith("2025-04-08T01:00")


def test_a_mistyped_date_is_kept_and_explained(officer_client, room, now):
    response = booking_form(officer_client, room, day="令和7年4月31日")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "日付は 令和7年4月10日 か 2025-04-10 のように入力してください。" in page
    assert 'value="令和7年4月31日"' in page


def test_the_find_page_takes_a_reiwa_date(officer_client, room, now):
    page = officer_client.get("/?day=R7.4.9").get_data(as_text=True)
    assert "2025年4月9日(水)に空いている部屋" in page


def test_date_hints_give_an_example_from_this_year_on(officer_client, room, now):
    page = officer_client.get(f"/rooms/{room.id}/reserve").get_data(as_text=True)
    assert "例：令和7年4月14日、2025-04-14" in page
    assert 'type="date"' not in page
