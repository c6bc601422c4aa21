"""Hostile input on every route: a 4xx in Japanese or an ordinary page, never a 5xx, and a
refused request changes no row.

The examples first (each was a 500 once), then a Hypothesis search over every route of the
app, every role, and a corpus of values that break parsers and databases.
"""

from datetime import date, time

import pytest

from booking.auth.models import Role
from booking.extensions import db
from booking.rooms.models import Facility, FacilityKind, FeeBasis, OpeningHours, Room, Ward
from booking.timeutil import today_tokyo
from tests.conftest import csrf_token, log_in

HUGE = "99999999999999999999"


@pytest.fixture
def other_facility(app):
    facility = Facility(
        code="other",
        ward=Ward.KITA,
        name_ja="北区民センター",
        name_en="Kita",
        address="札幌市北区",
        kind=FacilityKind.SUPPORT_CENTER,
        fee_basis=FeeBasis.FULL_EXEMPTION,
        bookable_from=date(2020, 1, 1),
        opening_hours=[OpeningHours(weekday=d, opens=time(9), closes=time(21)) for d in range(7)],
        rooms=[Room(code="kita", name_ja="面談室北", name_en="North")],
    )
    db.session.add(facility)
    db.session.commit()
    return facility


def client_for(app, user):
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    return client


@pytest.fixture
def admin_client(app, make_user):
    return client_for(app, make_user(Role.ADMIN, email="admin@example.jp"))


@pytest.mark.parametrize(
    "path",
    [
        f"/rooms/{HUGE}/week",
        f"/rooms/{HUGE}/reserve",
        "/rooms/2147483648/week",  # one beyond PostgreSQL's integer
        "/rooms/0/week",
        f"/manage/facilities/{HUGE}/schedule",
        f"/manage/facilities/{HUGE}/schedule.csv",
        f"/manage/facilities/{HUGE}/desk",
        f"/manage/facilities/{'9' * 5000}/board",  # more digits than int() accepts
    ],
)
def test_ids_beyond_the_database_are_a_japanese_404(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 404
    assert "ページが見つかりません" in response.get_data(as_text=True)


def test_deleting_a_closure_beyond_the_database_is_a_404(app, admin_client):
    token = csrf_token(admin_client, "/manage/")
    response = admin_client.post(f"/manage/closures/{HUGE}/delete", data={"csrf_token": token})
    assert response.status_code == 404


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"])
@pytest.mark.parametrize("page", ["schedule", "schedule.csv"])
def test_schedule_of_an_impossible_day_shows_today(admin_client, facility, now, day, page):
    response = admin_client.get(f"/manage/facilities/{facility.id}/{page}?day={day}")
    assert response.status_code == 200
    if page == "schedule.csv":
        assert today_tokyo().isoformat() in response.headers["Content-Disposition"]


@pytest.mark.parametrize("start", ["9999-12-31", "0001-01-01", "2101-01-01"])
def test_week_of_an_impossible_day_starts_today(officer_client, room, now, start):
    response = officer_client.get(f"/rooms/{room.id}/week?start={start}")
    assert response.status_code == 200
    assert "2025年4月7日" in response.get_data(as_text=True)


@pytest.mark.parametrize("email", ["officer\x00@example.jp", "officer@example.jp\x1b", "\x7f"])
def test_login_refuses_control_characters_in_japanese(client, officer, email):
    data = {"email": email, "password": "x", "csrf_token": csrf_token(client)}
    response = client.post("/login", data=data)
    assert response.status_code == 422
    assert "使えない文字が含まれています" in response.get_data(as_text=True)


@pytest.mark.parametrize("feed", ["facility-9999999999", "room-2147483648", "facility-0"])
def test_issuing_a_feed_beyond_the_database_is_refused(admin_client, feed):
    token = csrf_token(admin_client, "/calendar")
    response = admin_client.post("/calendar/issue", data={"feed": feed, "csrf_token": token})
    assert response.status_code == 400
    assert "カレンダーの指定が正しくありません" in response.get_data(as_text=True)


def test_every_id_in_a_route_goes_through_the_id_converter(app):
    """A plain <int:...> would let a number beyond the database through to a query."""
    from werkzeug.routing import IntegerConverter

    from booking.inputs import IdConverter

    for rule in app.url_map.iter_rules():
        for converter in rule._converters.values():
            if isinstance(converter, IntegerConverter):
                assert isinstance(converter, IdConverter), rule.rule
