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


# At national size (thousands of rooms), the search keeps to a ward and its neighbours.


@pytest.fixture
def three_wards(app, facility, make_room, now):
    """Rooms in Chuo (the test facility), Teine (borders Kita) and Atsubetsu (does not)."""
    from datetime import date, time

    from booking.rooms.models import Facility, FacilityKind, FeeBasis, OpeningHours, Room

    make_room()
    for ward in (Ward.TEINE, Ward.ATSUBETSU):
        db.session.add(
            Facility(
                code=f"hall-{ward.value}",
                ward=ward,
                name_ja=f"{ward.label}会館",
                name_en=f"{ward.value} hall",
                address="札幌市",
                kind=FacilityKind.BRANCH_HALL,
                fee_basis=FeeBasis.FULL_EXEMPTION,
                bookable_from=date(2020, 1, 1),
                opening_hours=[
                    OpeningHours(weekday=d, opens=time(9), closes=time(17)) for d in range(5)
                ],
                rooms=[Room(code="r", name_ja=f"{ward.label}の部屋", name_en="Room")],
            )
        )
    db.session.commit()
    app.config["FIND_EVERY_WARD_UP_TO"] = 2


def shown_rooms(page: str) -> set[str]:
    return set(re.findall(r'<span class="room-card__room">([^<（]+)', page))


def ward_links(page: str) -> set[str]:
    """The wards offered for another search (the day links keep the chosen ward too)."""
    nav = re.search(r'<nav class="ward-picks".*?</nav>', page, re.S)
    return set(re.findall(r"ward=(\w+)", nav.group(0))) if nav else set()


def test_with_many_rooms_the_chosen_ward_is_searched_and_its_neighbours_offered_first(
    officer_client, three_wards
):
    page = officer_client.get("/?day=2025-04-08&ward=teine").get_data(as_text=True)
    assert shown_rooms(page) == {"手稲区の部屋"}
    assert "手稲区の部屋です。となりの区は" in page
    offered = re.findall(
        r"ward=(\w+)", re.search(r'<nav class="ward-picks".*?</nav>', page, re.S)[0]
    )
    assert set(offered[:2]) == {"nishi", "kita"}  # Teine's neighbours
    assert "teine" not in offered and len(offered) == 9
    page = officer_client.get("/?day=2025-04-08&ward=chuo").get_data(as_text=True)
    assert shown_rooms(page) == {"面談室1"}


def test_with_many_rooms_and_no_ward_known_the_officer_picks_one(officer_client, three_wards):
    page = officer_client.get("/?day=2025-04-08").get_data(as_text=True)
    assert shown_rooms(page) == set()
    assert "区を選んでからさがします" in page
    assert ward_links(page) == {ward.value for ward in Ward}


def test_the_home_ward_centres_the_search(officer_client, officer, three_wards):
    officer.home_ward = "teine"
    db.session.commit()
    page = officer_client.get("/?day=2025-04-08").get_data(as_text=True)
    assert shown_rooms(page) == {"手稲区の部屋"}


def test_with_few_rooms_every_ward_is_searched(app, officer_client, three_wards):
    app.config["FIND_EVERY_WARD_UP_TO"] = 100
    page = officer_client.get("/?day=2025-04-08&ward=kita").get_data(as_text=True)
    assert shown_rooms(page) == {"面談室1", "手稲区の部屋", "厚別区の部屋"}
    assert ward_links(page) == set()
