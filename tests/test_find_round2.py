"""Finding a room: results in view after a search, any day of the window, nearby wards first."""

import re

import pytest

from booking.auth.models import User
from booking.extensions import db
from booking.rooms import services
from booking.rooms.models import NEIGHBOURS, Ward
from tests.conftest import csrf_token


def test_the_neighbour_table_is_symmetric_and_knows_chuo():
    assert NEIGHBOURS[Ward.CHUO] == {
        Ward.KITA,
        Ward.HIGASHI,
        Ward.SHIROISHI,
        Ward.TOYOHIRA,
        Ward.MINAMI,
        Ward.NISHI,
    }
    assert set(NEIGHBOURS) == set(Ward)
    for ward, neighbours in NEIGHBOURS.items():
        assert ward not in neighbours
        assert all(ward in NEIGHBOURS[other] for other in neighbours), ward


@pytest.mark.parametrize(
    ("home", "order"),
    [
        ("teine", ["teine", "kita", "nishi", "chuo", "kiyota"]),
        ("kiyota", ["kiyota", "shiroishi", "toyohira", "chuo", "kita", "nishi", "teine"]),
        (None, ["chuo", "kita", "kiyota", "nishi", "teine"]),
    ],
)
def test_home_ward_first_then_its_neighbours_then_the_rest(home, order):
    class Place:
        def __init__(self, ward):
            self.facility = type("F", (), {"ward": Ward(ward)})

    wards = {"chuo", "kita", "nishi", "teine", "kiyota"} | ({home} if home else set())
    wards |= {"shiroishi", "toyohira"} if home == "kiyota" else set()
    grouped = services.rooms_by_ward([(Place(w), None) for w in wards], first=home)
    assert [ward.value for ward, _rooms in grouped] == order


def test_the_search_lands_on_the_results(officer_client, room, now):
    page = officer_client.get("/").get_data(as_text=True)
    assert 'action="/#results"' in page
    assert '<h2 class="step" id="results" tabindex="-1">' in page
    assert re.search(r'href="/\?day=2025-04-08#results"', page)


def test_any_day_of_the_window_from_the_month_calendar(officer_client, make_room, now):
    make_room(window_days=60)  # the window ends on 6 June 2025
    page = officer_client.get("/?month=2025-05").get_data(as_text=True)
    assert "2025年5月" in page and 'href="/?day=2025-05-05#results"' in page
    june = officer_client.get("/?month=2025-06").get_data(as_text=True)
    assert 'href="/?day=2025-06-06#results"' in june
    assert 'href="/?day=2025-06-07#results"' not in june  # beyond the window
    assert "次の月" not in june
    april = officer_client.get("/").get_data(as_text=True)
    assert 'href="/?day=2025-04-06#results"' not in april  # yesterday
    assert "前の月" not in april


def test_a_day_four_weeks_ahead_is_searched(officer_client, room, now):
    page = officer_client.get("/?day=2025-05-05").get_data(as_text=True)
    assert "2025年5月5日(月)に空いている部屋" in page


def test_the_officer_saves_a_home_ward_and_sees_it_first(officer_client, officer, now):
    data = {"home_ward": "teine", "csrf_token": csrf_token(officer_client, "/")}
    response = officer_client.post("/home-ward", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/#results"
    assert db.session.get(User, officer.id).home_ward == "teine"
    page = officer_client.get("/").get_data(as_text=True)
    assert '<option selected value="teine">' in page


def test_a_home_ward_that_is_not_sapporo_s_is_refused(officer_client, officer, now):
    data = {"home_ward": "shibuya", "csrf_token": csrf_token(officer_client, "/")}
    assert officer_client.post("/home-ward", data=data).status_code == 400
    assert db.session.get(User, officer.id).home_ward is None
