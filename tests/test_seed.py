"""`flask seed` loads Sapporo's rooms once, and never undoes an admin's edit unasked."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from booking.auth.models import Role, User
from booking.extensions import db
from booking.rooms.models import Closure, Facility, OpeningHours, Room, StaffedHours
from booking.rooms.seed import load_entries
from tests.conftest import row_count

SEEDED_MODELS = (Facility, Room, OpeningHours, StaffedHours, Closure)


def counts() -> dict:
    return {model.__name__: row_count(model) for model in SEEDED_MODELS}


def facility(code: str) -> Facility:
    return db.session.scalar(select(Facility).where(Facility.code == code))


def test_seed_loads_every_room_of_the_data_file(app):
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    entries = load_entries()
    assert row_count(Facility) == len(entries) == 15
    assert row_count(Room) == sum(len(entry["room"]) for entry in entries)
    chuo = facility("chuo-complex")
    assert chuo.rooms[0].floor == "5F"
    assert chuo.bookable_from == date(2025, 2, 25)


def test_seed_twice_changes_nothing(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed"])
    before = counts()
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0
    assert "15 left as they are" in result.output
    assert counts() == before
    codes = db.session.scalars(select(Facility.code)).all()
    assert len(codes) == len(set(codes))


def test_admin_edit_survives_a_second_seed_until_update(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed"])
    teine = facility("teine-ward-office")
    teine.phone = "011-000-0000"
    teine.desk_location, teine.desk_email = "1階 受付", "desk@teine.example"
    teine.desk_phone = "011-681-0000"
    teine.opening_hours = teine.opening_hours[:3]
    teine.rooms[0].name_ja = "面談室A"
    db.session.commit()

    runner.invoke(args=["seed"])
    db.session.expire_all()
    teine = facility("teine-ward-office")
    assert (teine.phone, len(teine.opening_hours), teine.rooms[0].name_ja) == (
        "011-000-0000",
        3,
        "面談室A",
    )

    before = counts()
    runner.invoke(args=["seed", "--update"])
    db.session.expire_all()
    teine = facility("teine-ward-office")
    assert teine.phone == "011-694-8616"
    assert len(teine.opening_hours) == 5
    assert teine.rooms[0].name_ja == "更生保護サポートセンター"
    assert counts()["Closure"] == before["Closure"]
    # The file gives no desk place, phone or e-mail: what the desk entered stays.
    assert (teine.desk_location, teine.desk_email) == ("1階 受付", "desk@teine.example")
    assert teine.desk_phone == "011-681-0000"


def test_closed_ward_center_stays_as_history(seeded):
    closed = facility("chuo-ward-center")
    assert closed.bookable_until == date(2025, 2, 24)
    assert not closed.is_bookable_on(date(2025, 2, 25))
    assert closed.is_bookable_on(date(2025, 2, 24))


def test_tetsuto_trial_starts_in_june_2025(seeded):
    tetsuto = facility("kita-tetsuto")
    assert not tetsuto.is_bookable_on(date(2025, 5, 31))
    assert tetsuto.is_bookable_on(date(2025, 6, 1))


def test_demo_accounts_have_random_passwords_shown_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "--demo"])
    passwords = re.findall(r"password: (\S+)", first.output)
    assert len(passwords) == 3 and len(set(passwords)) == 3
    manager = db.session.scalar(select(User).where(User.role == Role.MANAGER))
    assert len(manager.facilities) == 2

    second = runner.invoke(args=["seed", "--demo"])
    assert "password" not in second.output
    assert row_count(User) == 3


@pytest.mark.parametrize("entry", load_entries(), ids=lambda entry: entry["code"])
def test_every_facility_has_hours_and_a_room(entry):
    assert entry["hours"], "a facility without opening hours can never be booked"
    assert entry["room"], "a facility without rooms is of no use to officers"
