"""The room list officers see after logging in."""

from datetime import UTC, date, datetime

import pytest

from tests.conftest import csrf_token


@pytest.fixture
def page(officer_client, seeded, clock):
    def get(moment: datetime, client=officer_client) -> str:
        clock(moment)
        response = client.get("/rooms/")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    return get


def test_rooms_are_grouped_by_ward_in_the_city_order(page):
    html = page(datetime(2025, 11, 21, 1, tzinfo=UTC))
    wards = [
        "中央区",
        "北区",
        "東区",
        "白石区",
        "厚別区",
        "豊平区",
        "清田区",
        "南区",
        "西区",
        "手稲区",
    ]
    positions = [html.index(f"<h2>{ward}</h2>") for ward in wards]
    assert positions == sorted(positions)


def test_room_card_shows_what_an_officer_needs(page):
    html = page(datetime(2025, 11, 21, 1, tzinfo=UTC))
    for text in [
        "中央区複合庁舎",
        "更生保護サポートセンター（5F）",
        "札幌市中央区南3条西11丁目330-2",
        "月〜金 8:45〜17:15",
        "毎日 9:00〜21:00",
        "月〜金 9:30〜16:00",
        "使用料全額免除",
        'href="tel:+81-11-694-8616"',
        "011-694-8616",
    ]:
        assert text in html


def test_closed_ward_center_is_not_listed(page):
    html = page(datetime(2025, 11, 21, 1, tzinfo=UTC))
    assert "中央区民センター" not in html


def test_today_in_japanese_with_weekday(page):
    assert "2025年4月10日(木)" in page(datetime(2025, 4, 10, 3, tzinfo=UTC))


def test_open_today_on_a_national_holiday(page):
    html = page(datetime(2025, 11, 24, 3, tzinfo=UTC))
    assert html.count("本日は開館") == 4  # the four ward centers open on holidays
    assert "祝日（振替休日）は休館です" in html


def test_tokyo_date_decides_not_the_utc_date(page):
    # 2025-12-28 15:30 UTC is already 12/29 in Sapporo: everything is closed.
    html = page(datetime(2025, 12, 28, 15, 30, tzinfo=UTC))
    assert "2025年12月29日(月)" in html
    assert "本日は開館" not in html


def test_english_is_selectable_and_remembered(officer_client, page):
    moment = datetime(2025, 11, 21, 1, tzinfo=UTC)
    token = csrf_token(officer_client, "/rooms/")
    response = officer_client.post(
        "/language", data={"lang": "en", "next": "/rooms/", "csrf_token": token}
    )
    assert response.headers["Location"] == "/rooms/"
    html = page(moment)
    assert '<html lang="en">' in html
    assert "Fri 21 November 2025" in html
    assert "Chuo Ward Complex Building" in html
    assert "Open today" in html
    token = csrf_token(officer_client, "/rooms/")
    officer_client.post("/language", data={"lang": "ja", "csrf_token": token})
    assert "本日は開館" in page(moment)


def test_unknown_language_is_ignored(officer_client, page):
    token = csrf_token(officer_client, "/rooms/")
    officer_client.post("/language", data={"lang": "xx", "csrf_token": token})
    assert '<html lang="ja">' in page(datetime(2025, 11, 21, 1, tzinfo=UTC))


def test_room_list_query_count_does_not_grow_with_rooms(officer_client, seeded, app):
    from sqlalchemy import event

    from booking.extensions import db

    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    officer_client.get("/rooms/")
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 6, selects


@pytest.mark.parametrize(
    ("day", "era"),
    [(date(2019, 4, 30), ""), (date(2019, 5, 1), "令和元年"), (date(2025, 4, 10), "令和7年")],
)
def test_reiwa_year(app, day, era):
    from booking.templating import reiwa

    with app.test_request_context():
        assert reiwa(day) == era
