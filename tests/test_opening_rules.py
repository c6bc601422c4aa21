"""When a room is open: weekly hours, national holidays, the year end, closures, lending dates."""

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.rooms.models import Closure, Facility, Room
from booking.rooms.services import closed_reason, closures_on
from booking.timeutil import at_tokyo, is_year_end, national_holiday, today_tokyo


def room_of(code: str) -> Room:
    return db.session.scalar(select(Room).join(Room.facility).where(Facility.code == code))


def reason(code: str, day: date) -> str | None:
    return closed_reason(room_of(code), day, closures_on(day))


@pytest.mark.parametrize("day", [date(2025, 12, 29), date(2026, 1, 1), date(2026, 1, 3)])
def test_year_end_closes_every_facility(seeded, day):
    rooms = db.session.scalars(select(Room)).all()
    assert all(closed_reason(room, day, []) for room in rooms)
    assert "年末年始" in reason("kita-ward-center", day)


@pytest.mark.parametrize("day", [date(2025, 12, 28), date(2026, 1, 4)])
def test_ward_center_opens_either_side_of_the_year_end(seeded, day):
    assert reason("kita-ward-center", day) is None


def test_national_holiday_closes_ward_office_but_not_ward_center(seeded):
    labor_thanksgiving_substitute = date(2025, 11, 24)  # a Monday
    assert "祝日" in reason("teine-ward-office", labor_thanksgiving_substitute)
    assert reason("teine-ward-center", labor_thanksgiving_substitute) is None


def test_weekend_closes_ward_office(seeded):
    assert reason("toyohira-ward-office", date(2025, 11, 22)) == "この曜日は休館です"
    assert reason("toyohira-ward-office", date(2025, 11, 21)) is None


def test_lending_dates_are_respected(seeded):
    assert reason("chuo-ward-center", date(2025, 2, 21)) is None
    assert reason("chuo-ward-center", date(2025, 3, 3)) == "施設の利用期間外です"
    assert reason("kita-tetsuto", date(2025, 5, 30)) == "施設の利用期間外です"
    assert reason("kita-tetsuto", date(2025, 6, 2)) is None


def test_stock_taking_closure_shows_its_reason(seeded):
    assert "蔵書点検" in reason("atsubetsu-library", date(2027, 2, 1))
    assert reason("atsubetsu-library", date(2027, 2, 10)) is not None
    assert reason("atsubetsu-library", date(2027, 2, 12)) is None


def test_partial_closure_leaves_the_day_open(seeded):
    room = room_of("higashi-ward-center")
    day = date(2026, 3, 10)
    db.session.add(
        Closure(
            facility=room.facility,
            room=room,
            starts_at=at_tokyo(day, time(9)),
            ends_at=at_tokyo(day, time(12)),
            reason="設備点検",
        )
    )
    db.session.commit()
    assert reason("higashi-ward-center", day) is None


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2025, 11, 24), "振替休日"),
        (date(2026, 1, 12), "成人の日"),
        (date(2026, 9, 22), "国民の休日"),
        (date(2026, 11, 25), None),
    ],
)
def test_holidays_come_from_the_library(day, name):
    assert national_holiday(day) == name


@pytest.mark.parametrize(
    ("day", "closed"),
    [
        (date(2025, 12, 28), False),
        (date(2025, 12, 29), True),
        (date(2026, 1, 3), True),
        (date(2026, 1, 4), False),
    ],
)
def test_year_end_boundaries(day, closed):
    assert is_year_end(day) is closed


@pytest.mark.parametrize(
    ("utc_moment", "tokyo_day"),
    [
        (datetime(2025, 12, 28, 14, 59, tzinfo=UTC), date(2025, 12, 28)),
        (datetime(2025, 12, 28, 15, 0, tzinfo=UTC), date(2025, 12, 29)),  # already 12/29 in Sapporo
        (datetime(2026, 3, 8, 16, 0, tzinfo=UTC), date(2026, 3, 9)),  # US DST starts: no effect
    ],
)
def test_today_is_sapporo_today_not_utc(clock, utc_moment, tokyo_day):
    clock(utc_moment)
    assert today_tokyo() == tokyo_day
