"""Load Sapporo's facilities and rooms from the data file kept beside this module."""

import tomllib
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path

from sqlalchemy import select

from booking.extensions import db
from booking.rooms.models import (
    Closure,
    Facility,
    FacilityKind,
    FeeBasis,
    OpeningHours,
    Room,
    StaffedHours,
    Ward,
)
from booking.timeutil import at_tokyo

DATA_FILE = Path(__file__).with_name("sapporo.toml")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FACILITY_FIELDS = ("ward", "kind", "name_ja", "name_en", "address", "phone", "fee_basis")
FACILITY_FIELDS += ("bookable_from", "bookable_until", "closes_on_holidays", "desk_location")
ROOM_FIELDS = ("name_ja", "name_en", "floor")


@dataclass
class SeedReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def weekdays(span: str) -> range:
    """'mon-fri' -> 0..4, 'sat' -> 5..5, 'daily' -> 0..6."""
    if span == "daily":
        return range(7)
    first, _, last = span.partition("-")
    return range(WEEKDAYS.index(first), WEEKDAYS.index(last or first) + 1)


def weekly(spec: dict[str, str]) -> list[tuple[int, time, time]]:
    """Expand {'mon-fri': '08:45-17:15'} into one (weekday, opens, closes) per day."""
    rows = []
    for span, hours in spec.items():
        opens, closes = (time.fromisoformat(part) for part in hours.split("-"))
        rows.extend((day, opens, closes) for day in weekdays(span))
    return rows


def facility_values(entry: dict) -> dict:
    values = {field: entry.get(field) for field in FACILITY_FIELDS}
    values["ward"] = Ward(values["ward"])
    values["kind"] = FacilityKind(values["kind"])
    values["fee_basis"] = FeeBasis(values["fee_basis"])
    if not values["desk_location"]:  # the desk fills it in (manage/desk); never wipe it
        del values["desk_location"]
    return values


def load_entries(path: Path = DATA_FILE) -> list[dict]:
    with path.open("rb") as file:
        return tomllib.load(file)["facility"]


def seed_rooms(update: bool = False, path: Path = DATA_FILE) -> SeedReport:
    """Add what the data file has and the database lacks; overwrite only when ``update``."""
    report = SeedReport()
    existing = {f.code: f for f in db.session.scalars(select(Facility))}
    for entry in load_entries(path):
        facility = existing.get(entry["code"])
        if facility is None:
            facility = Facility(code=entry["code"], **facility_values(entry))
            db.session.add(facility)
            write_schedule(facility, entry)
            report.created += 1
        elif update:
            for field, value in facility_values(entry).items():
                setattr(facility, field, value)
            write_schedule(facility, entry)
            report.updated += 1
        else:
            report.unchanged += 1
        seed_facility_rooms(facility, entry.get("room", []), update)
    return report


def write_schedule(facility: Facility, entry: dict) -> None:
    """Opening hours and seeded closures, as the data file gives them."""
    facility.opening_hours = [
        OpeningHours(weekday=day, opens=opens, closes=closes)
        for day, opens, closes in weekly(entry.get("hours", {}))
    ]
    known = {(c.starts_at, c.ends_at) for c in facility.closures}
    for closure in entry.get("closure", []):
        starts_at, ends_at = closure_bounds(closure["first_day"], closure["last_day"])
        if (starts_at, ends_at) not in known:
            facility.closures.append(
                Closure(starts_at=starts_at, ends_at=ends_at, reason=closure["reason"])
            )


def closure_bounds(first_day: date, last_day: date):
    """Inclusive Sapporo dates as a half-open UTC interval."""
    return at_tokyo(first_day, time()), at_tokyo(last_day + timedelta(days=1), time())


def seed_facility_rooms(facility: Facility, entries: list[dict], update: bool) -> None:
    rooms = {room.code: room for room in facility.rooms}
    for entry in entries:
        room = rooms.get(entry["code"])
        if room is None:
            room = Room(code=entry["code"], floor="")
            facility.rooms.append(room)
        elif not update:
            continue
        for field in ROOM_FIELDS:
            setattr(room, field, entry.get(field, ""))
        room.staffed_hours = [
            StaffedHours(weekday=day, opens=opens, closes=closes)
            for day, opens, closes in weekly(entry.get("staffed_hours", {}))
        ]
