"""Finding a free room (the home page) and a room's week of free, taken and closed times."""

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import event

from booking.auth.models import Role
from booking.extensions import db
from booking.reservations import services
from booking.reservations.services import SafetyDetails, Slot
from booking.rooms.models import Closure, Room
from booking.timeutil import TOKYO, at_tokyo


def book(room, officer, day: date, start: str, minutes: int = 60):
    starts_at = at_tokyo(day, time.fromisoformat(start))
    reservation = services.book(
        Slot(room, starts_at, starts_at + timedelta(minutes=minutes)),
        officer,
        by=officer,
        safety=SafetyDetails(),
    )
    db.session.commit()
    return reservation


@pytest.fixture
def friday(clock):
    """Friday 21 November 2025, 8:00 in Sapporo."""
    clock(datetime(2025, 11, 21, 8, tzinfo=TOKYO))
    return date(2025, 11, 21)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_home_lists_rooms_with_free_time_today(officer_client, seeded, friday):
    html = page(officer_client, "/")
    assert "2025年11月21日(金)に空いている部屋は14室です。" in html
    assert "中央区民センター" not in html  # closed since 2025-02-24


def test_evening_shows_only_rooms_open_in_the_evening(officer_client, seeded, friday):
    html = page(officer_client, "/?day=2025-11-21&part=evening")
    assert "空いている部屋は4室です" in html
    assert "17:00〜21:00" in html
    assert "豊平区役所" not in html


def test_weekend_day_lists_ward_centers_only(officer_client, seeded, friday):
    html = page(officer_client, "/?day=2025-11-22")
    assert "空いている部屋は4室です" in html


def test_chosen_ward_comes_first_and_others_stay(officer_client, seeded, friday):
    html = page(officer_client, "/?day=2025-11-21&ward=teine")
    assert html.index("手稲区</h3>") < html.index("中央区</h3>")


def test_evening_or_weekend_filter(officer_client, seeded, friday):
    html = page(officer_client, "/?day=2025-11-25&evening_or_weekend=y")
    assert "空いている部屋は4室です" in html


@pytest.mark.parametrize("bad", ["2025-13-45", "abc", "２０２５－１３－０１"])
def test_bad_day_is_explained_in_japanese(officer_client, seeded, friday, bad):
    html = page(officer_client, f"/?day={bad}")
    assert "エラー：" in html
    assert "Not a valid" not in html


def test_past_day_is_refused_gently(officer_client, seeded, friday):
    html = page(officer_client, "/?day=2025-11-01")
    assert "利用日は今日以降の日付にしてください。" in html
    assert "2025年11月21日(金)に空いている部屋" in html


def test_fully_booked_room_is_not_listed(officer_client, room, now, make_user):
    tuesday = date(2025, 4, 8)
    for start, minutes in (("08:45", 180), ("11:45", 180), ("14:45", 150)):
        book(room, make_user(Role.OFFICER), tuesday, start, minutes)
    html = page(officer_client, "/?day=2025-04-08")
    assert "空いている部屋は0室です" in html


def test_week_shows_free_taken_and_closed(officer_client, room, facility, now, make_user):
    tuesday = date(2025, 4, 8)
    book(room, make_user(Role.OFFICER), tuesday, "10:00")
    db.session.add(
        Closure(
            facility=facility,
            starts_at=at_tokyo(tuesday, time(13)),
            ends_at=at_tokyo(tuesday, time(14)),
            reason="消防点検",
        )
    )
    db.session.commit()
    html = page(officer_client, f"/rooms/{room.id}/week?start=2025-04-07")
    assert "2025年4月7日(月)" in html and "2025年4月13日(日)" in html
    assert f"/rooms/{room.id}/reserve?day=2025-04-08&amp;start=09:00" in html
    assert f"/rooms/{room.id}/reserve?day=2025-04-08&amp;start=10:00" not in html
    assert "予約済" in html
    assert "消防点検" in html
    assert "この曜日は休館です" in html
    assert "officer" not in html.lower().split("<main")[1]  # never who booked


def test_tapping_a_slot_fills_the_form(officer_client, room, now):
    html = page(officer_client, f"/rooms/{room.id}/reserve?day=2025-04-08&start=18:00")
    assert 'value="2025-04-08"' in html and 'value="18:00"' in html


def test_week_of_unknown_room_is_404(officer_client):
    assert officer_client.get("/rooms/9999/week").status_code == 404


def select_count(client, url: str) -> int:
    statements = []

    def listener(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


def test_find_and_week_query_counts_do_not_grow(officer_client, make_room, make_user, now):
    first = make_room()
    small_find = select_count(officer_client, "/?day=2025-04-08")
    small_week = select_count(officer_client, f"/rooms/{first.id}/week")
    rooms = [first] + [make_room() for _ in range(5)]
    for index, room in enumerate(rooms):
        for day in range(3):
            book(room, make_user(Role.OFFICER), date(2025, 4, 8 + day), f"{9 + index:02d}:00")
    assert select_count(officer_client, "/?day=2025-04-08") == small_find
    assert select_count(officer_client, f"/rooms/{first.id}/week") == small_week
    assert db.session.query(Room).count() == 6
