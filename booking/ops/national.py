"""`flask demo national`: a data set the size of the whole country, for load and scale tests.

About 46,000 officers, 1,000 facilities with 2,000 rooms and 6,000,000 reservations over the
years (at --scale 1). On PostgreSQL the reservations go in through COPY, a few statements of
hundreds of thousands of rows, with the two no-overlap constraints dropped during the load
and made again afterwards (one index build instead of millions of checks; the rows are made
never to overlap, and the constraints check them all when they come back). Every officer's
password is the one printed at the end. Nothing here is for a production database: it
refuses one that already holds reservations.
"""

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import func, insert, select, text

from booking.auth import services as accounts
from booking.auth.models import User
from booking.extensions import db
from booking.reservations.bulk import copy_reservations
from booking.reservations.models import Reservation
from booking.rooms.models import Facility, OpeningHours, Room, Ward
from booking.timeutil import at_tokyo, now_utc, today_tokyo

demo = AppGroup("demo", help="Fill an empty database with made-up data for load tests.")

SLOTS = (time(10), time(13), time(16))  # three interviews a day in every room
COPY_ROWS = 500_000
EMAIL = "national{:05}@example.jp"


@dataclass(frozen=True)
class Size:
    officers: int
    facilities: int
    reservations_per_room: int

    @classmethod
    def at(cls, scale: float) -> "Size":
        return cls(max(10, round(46_000 * scale)), max(1, round(1_000 * scale)), 3_000)

    @property
    def rooms(self) -> int:
        return 2 * self.facilities

    @property
    def reservations(self) -> int:
        return self.rooms * self.reservations_per_room


def add_facilities(size: Size) -> list[int]:
    """Facilities in every ward, open 8:00-21:00 every day, with two rooms each."""
    wards = list(Ward)
    db.session.execute(
        insert(Facility.__table__),
        [
            {
                "code": f"national-{n:04}",
                "ward": wards[n % len(wards)],
                "name_ja": f"全国テスト会館{n}",
                "name_en": f"National Test Hall {n}",
                "address": f"テスト県テスト市{n}番地",
                "kind": "support_center",
                "fee_basis": "full_exemption",
                "closes_on_holidays": False,
                "closes_year_end": False,
                "bookable_from": date(2000, 1, 1),
            }
            for n in range(size.facilities)
        ],
    )
    ids = list(
        db.session.scalars(
            select(Facility.id).where(Facility.code.like("national-%")).order_by(Facility.id)
        )
    )
    db.session.execute(
        insert(OpeningHours.__table__),
        [
            {"facility_id": f, "weekday": d, "opens": time(8), "closes": time(21)}
            for f in ids
            for d in range(7)
        ],
    )
    db.session.execute(
        insert(Room.__table__),
        [
            {"facility_id": f, "code": f"room-{k}", "name_ja": f"面談室{k}", "name_en": f"Room {k}"}
            for f in ids
            for k in (1, 2)
        ],
    )
    query = select(Room.id).join(Facility).where(Facility.code.like("national-%"))
    return list(db.session.scalars(query.order_by(Room.id)))


def add_officers(size: Size, password: str) -> list[int]:
    """Officers sharing one password hash: hashing 46,000 passwords would take over an hour."""
    hashed = accounts.hasher.hash(password)
    rows = [
        {"email": EMAIL.format(n), "name": f"全国 保護司{n}", "role": "officer"}
        for n in range(size.officers)
    ]
    for row in rows:
        row["password_hash"] = hashed
    db.session.execute(insert(User.__table__), rows)
    query = select(User.id).where(User.email.like("national%@example.jp")).order_by(User.id)
    return list(db.session.scalars(query))


def reservation_rows(rooms: list[int], officers: list[int], size: Size) -> Iterator[tuple]:
    """Three a day in every room, about two and a half years back and a hundred days ahead.

    At any one time the rooms' officers are all different: officer (room + rooms x slot) mod
    officers, with fewer rooms than officers. Every tenth is cancelled; most past ones were
    checked in and out.
    """
    now, today = now_utc(), today_tokyo()
    first_day = today - timedelta(days=size.reservations_per_room // len(SLOTS) - 100)
    times = []
    for k in range(size.reservations_per_room):
        starts_at = at_tokyo(first_day + timedelta(days=k // len(SLOTS)), SLOTS[k % len(SLOTS)])
        times.append((starts_at, starts_at + timedelta(hours=1)))
    made = now - timedelta(days=1)
    for k, (starts_at, ends_at) in enumerate(times):
        past = ends_at < now
        for r, room in enumerate(rooms):
            officer = officers[(r + len(rooms) * k) % len(officers)]
            cancelled = (r + k) % 10 == 0
            came = past and not cancelled and (r + k) % 7 != 0
            yield (
                uuid.uuid4(),
                room,
                officer,
                officer,
                starts_at,
                ends_at,
                ends_at,
                "cancelled" if cancelled else "active",
                1,
                (r + k) % 4 == 0,
                "none",
                (r + k) % 5 == 0,
                (r + k) % 13 == 0,
                "",
                starts_at if came else None,
                ends_at if came else None,
                min(starts_at - timedelta(days=14), made),
                min(starts_at - timedelta(days=14), made),
            )


COLUMNS = (
    "public_id",
    "room_id",
    "officer_id",
    "created_by_id",
    "starts_at",
    "ends_at",
    "blocks_until",
    "status",
    "version",
    "second_officer",
    "probation_officer",
    "notify_desk",
    "caution",
    "desk_note",
    "checked_in_at",
    "checked_out_at",
    "created_at",
    "updated_at",
)


def load_reservations(rows: Iterator[tuple]) -> None:
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        table = Reservation.__table__
        batch = []
        for row in rows:
            batch.append(dict(zip(COLUMNS, row, strict=True)))
            if len(batch) == 20_000:
                connection.execute(insert(table), batch)
                batch = []
        if batch:
            connection.execute(insert(table), batch)
        return
    rules = no_overlap_rules(connection)
    for name in rules:
        connection.execute(text(f"ALTER TABLE reservation DROP CONSTRAINT {name}"))
    copy_reservations(connection, COLUMNS, rows, batch=COPY_ROWS)
    for name, definition in rules.items():
        connection.execute(text(f"ALTER TABLE reservation ADD CONSTRAINT {name} {definition}"))
    connection.execute(text("ANALYZE"))


def no_overlap_rules(connection) -> dict[str, str]:
    """The exclusion constraints, as PostgreSQL itself writes them, to make them again."""
    found = connection.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'reservation'::regclass AND contype = 'x'"
        )
    )
    return dict(found.all())


@demo.command("national")
@click.option("--scale", default=1.0, show_default=True, help="1 = 46,000 officers, 6M bookings")
def national(scale: float) -> None:
    """Fill an empty database with a country's worth of officers, rooms and reservations."""
    if db.session.scalar(select(func.count()).select_from(Reservation)):
        raise click.ClickException("the database already holds reservations: use an empty one")
    size = Size.at(scale)
    password = secrets.token_urlsafe(12)
    started = datetime.now()
    rooms = add_facilities(size)
    officers = add_officers(size, password)
    load_reservations(reservation_rows(rooms, officers, size))
    db.session.commit()
    seconds = (datetime.now() - started).total_seconds()
    click.echo(
        f"{size.officers:,} officers, {size.facilities:,} facilities, {len(rooms):,} rooms,"
        f" {size.reservations:,} reservations in {seconds:.0f} s"
    )
    click.echo(f"every officer ({EMAIL.format(0)} ...) has the password: {password}")
