"""`make bench`: booking and availability timings, as ratios to a trivial endpoint.

One run builds a fresh, migrated SQLite database in a temporary directory, fills it with
10,000, then 100,000, then 1,000,000 reservations (fifteen rooms booked hour after hour,
going back in time from two weeks ahead) and, at each size, times a week's availability of
the fifteen rooms, booking POSTs and a trivial endpoint. It prints:

1. the median latency of a booking POST (Flask test client) with 100,000 reservations in
   the table, the median latency of a trivial endpoint measured alongside it, and the ratio;
2. the median time of a week's availability for the fifteen rooms at 100,000 reservations,
   as a ratio to that trivial endpoint;
3. the availability time at 10k, 100k and 1M reservations, and the ratio 1M / 10k;
4. the calendar feed figures (bench/feeds.py);
5. the outbox sender's throughput into a local SMTP server (bench/mail.py);
6. a fiscal year's city-wide usage report at 100,000 to 6,000,000 reservations, as ratios to
   the one at 100,000 (bench/reports.py);
7. with --postgresql --national, the pages at national size (bench/national.py);
8. the officers' CSV import: preview and confirm of 5,000 rows (bench/imports.py);
9. the audit log viewer's pages at 1,000,000 audit events, as ratios to a trivial endpoint
   (bench/audit.py);
10. the administrators' account list and searches at 50,000 accounts, as ratios to a trivial
    endpoint (bench/accounts.py);

and what a booking POST is made of (SQL statements and their query plans, time in SQLite,
the cost of a durable commit on this disk), to explain a missed target.

Each figure comes with its target and PASS or FAIL; the script exits 0 either way, since it
is a report, not a test. ``--postgresql`` runs the same on TEST_DATABASE_URL as well (its
schema is dropped and recreated, as the test suite does).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from sqlalchemy import func, insert, select
from sqlalchemy.orm import selectinload

import booking.timeutil
from bench import accounts, audit, feeds, imports, mail, national, reports
from booking import create_app
from booking.auth.models import User
from booking.auth.services import hasher
from booking.extensions import db
from booking.reservations.availability import availability
from booking.reservations.bulk import copy_reservations
from booking.reservations.models import Reservation
from booking.rooms.models import (
    Closure,
    Facility,
    FacilityKind,
    FeeBasis,
    OpeningHours,
    Room,
    Ward,
)
from booking.timeutil import at_tokyo
from config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
ROOMS = 15
OFFICERS = 2_000
BOOKING_OFFICERS = 60  # sign in and book in turn, each within the limit on future bookings
SIZES = (10_000, 100_000, 1_000_000)
HEADLINE_SIZE = 100_000
BATCH = 20_000
COPY_BATCH = 100_000  # rows per COPY statement on PostgreSQL: one calendar bump each
LOAD_CACHE_KIB = 256 * 1024  # SQLite page cache while loading only; measurements use the default
PASSWORD = "bench password 0123456789"
# A fixed clock, so that every run books the same slots and reads the same week.
NOW = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # Monday 2026-06-01, 09:00 in Sapporo
TODAY = date(2026, 6, 1)
# The bulk reservations fill every hour of every room up to this instant, going back in time;
# the week measured lies before it, the booking POSTs after it (inside the 60-day window).
BULK_END = at_tokyo(TODAY + timedelta(days=15), clock())
WEEK = (TODAY + timedelta(days=1), TODAY + timedelta(days=7))
FIRST_BOOKING_DAY = TODAY + timedelta(days=16)
BOOKINGS_PER_DAY = 23  # one booking an hour: 0:00-1:00 ... 22:00-23:00 in Sapporo
WHAT_IF = "synchronous=NORMAL"
ROUNDS = 10  # trivial GETs and booking POSTs alternate in this many blocks

KIND = {"wall": "wall", "cpu": "CPU "}
BOOKING_TARGET = 10.0
GROWTH_TARGET = 1.5


@dataclass
class Requests:
    """Wall and CPU seconds of each request of one kind."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def median_ms(self, kind: str = "wall") -> float:
        return statistics.median(getattr(self, kind)) * 1000


@dataclass
class Backend:
    name: str
    url: str
    notes: list[str] = field(default_factory=list)
    availability: dict[int, Requests] = field(default_factory=dict)
    booking: dict[int | str, Requests] = field(default_factory=dict)
    trivial: dict[int | str, Requests] = field(default_factory=dict)
    booking_failures: list[str] = field(default_factory=list)
    post_statements: float = 0.0
    post_sql_ms: float = 0.0
    post_plans: list[str] = field(default_factory=list)
    week_plans: list[str] = field(default_factory=list)
    commit_probe: str = ""
    loaded_cpus: str = ""


def short(n: int) -> str:
    """1000000 -> 1M, 10000 -> 10k."""
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


def times_trivial(measured: Requests, trivial: Requests, kind: str = "wall") -> str:
    return f"{measured.median_ms(kind) / trivial.median_ms(kind):.0f}x"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


# --- the availability being measured ---------------------------------------------------------


def load_rooms(ids: list[int]) -> list[Room]:
    """The rooms as a page would hand them over: facility, hours and staffed hours loaded."""
    return list(
        db.session.scalars(
            select(Room)
            .where(Room.id.in_(ids))
            .options(
                selectinload(Room.facility).selectinload(Facility.opening_hours),
                selectinload(Room.staffed_hours),
            )
            .order_by(Room.id)
        )
    )


# --- building the database -------------------------------------------------------------------


def reset_postgresql(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()


def make_app(url: str):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "PWNED_PASSWORDS_URL": "",
            "WTF_CSRF_ENABLED": False,
            "TESTING": True,
        }
    )
    app.add_url_rule("/_bench/ok", "bench_ok", lambda: "ok")
    return app


def make_rooms_and_officers() -> tuple[list[int], list[int]]:
    facility = Facility(
        code="bench",
        ward=Ward.CHUO,
        name_ja="ベンチ会館",
        name_en="Bench Hall",
        address="札幌市中央区北1条西2丁目",
        kind=FacilityKind.SUPPORT_CENTER,
        fee_basis=FeeBasis.FULL_EXEMPTION,
        closes_on_holidays=False,
        closes_year_end=False,
        bookable_from=date(2000, 1, 1),
        opening_hours=[
            OpeningHours(weekday=d, opens=clock(0, 0), closes=clock(23, 45)) for d in range(7)
        ],
        rooms=[
            Room(code=f"r{n:02}", name_ja=f"面談室{n}", name_en=f"Room {n}")
            for n in range(1, ROOMS + 1)
        ],
    )
    db.session.add(facility)
    db.session.flush()
    # A few closures, none in the week measured, so that the closure queries have rows to skip.
    db.session.add_all(
        Closure(
            facility_id=facility.id,
            starts_at=at_tokyo(date(2020 + n % 6, 1 + n % 12, 10), clock()),
            ends_at=at_tokyo(date(2020 + n % 6, 1 + n % 12, 11), clock()),
            reason="点検",
        )
        for n in range(24)
    )
    password_hash = hasher.hash(PASSWORD)
    created = NOW - timedelta(days=4000)
    db.session.execute(
        insert(User.__table__),
        [
            {
                "email": officer_email(n),
                "name": f"保護司 {n}",
                "role": "officer",
                "active": True,
                "password_hash": password_hash,
                "created_at": created,
            }
            for n in range(OFFICERS)
        ],
    )
    db.session.commit()
    room_ids = list(db.session.scalars(select(Room.id).order_by(Room.id)))
    officer_ids = db.session.scalars(
        select(User.id).where(User.email.like("%@bench.example.jp")).order_by(User.email)
    )
    return room_ids, list(officer_ids)


def officer_email(n: int) -> str:
    return f"officer{n:04}@bench.example.jp"


def signed_in(app, n: int):
    """A test client signed in as officer ``n``."""
    client = app.test_client()
    response = client.post("/login", data={"email": officer_email(n), "password": PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"login failed: {response.status_code}")
    return client


BULK_COLUMNS = (
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
    "created_at",
    "updated_at",
)


class BulkRows:
    """Reservation rows, already in the form the database driver takes.

    Row n holds room n % 15 over the hour (n // 15 + 1) before BULK_END. Fifteen consecutive
    rows share an hour and have fifteen different officers; an officer's next row comes
    2,000 rows (133 hours) later, so no room and no officer overlaps.

    Each value goes through its column's own SQLAlchemy bind processor (UTCDateTime, Uuid,
    Boolean...), exactly as ``session.execute(insert(table), rows)`` would store it, but each
    distinct hour is converted once instead of for every row and column: that halves the load.
    """

    def __init__(self, dialect, room_ids: list[int], officer_ids: list[int]):
        table = Reservation.__table__
        self.process = {
            name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
            for name in BULK_COLUMNS
        }
        self.room_ids, self.officer_ids = room_ids, officer_ids
        marker = "?" if dialect.paramstyle == "qmark" else "%s"
        self.sql = (
            f"INSERT INTO reservation ({', '.join(BULK_COLUMNS)}) "
            f"VALUES ({', '.join([marker] * len(BULK_COLUMNS))})"
        )
        created = NOW - timedelta(days=30)
        constant = {
            "status": "active",
            "version": 1,
            "second_officer": False,
            "probation_officer": "none",
            "notify_desk": False,
            "caution": False,
            "desk_note": "",
            "created_at": created,
            "updated_at": created,
        }
        self.constant = tuple(self.process[name](value) for name, value in constant.items())
        self.hours: dict[int, object] = {}

    def hour(self, k: int):
        """BULK_END minus k hours, converted for the driver (cached)."""
        if k not in self.hours:
            self.hours[k] = self.process["starts_at"](BULK_END - timedelta(hours=k))
        return self.hours[k]

    def rows(self, first: int, last: int) -> list[tuple]:
        to_uuid = self.process["public_id"]
        rows = []
        for n in range(first, last):
            k = n // ROOMS + 1
            officer = self.officer_ids[n % OFFICERS]
            starts, ends = self.hour(k), self.hour(k - 1)
            rows.append(
                (
                    to_uuid(uuid.uuid4()),
                    self.room_ids[n % ROOMS],
                    officer,
                    officer,
                    starts,
                    ends,
                    ends,
                    *self.constant,
                )
            )
        return rows


def grow_to(target: int, bulk: BulkRows) -> tuple[int, float]:
    """Add older bulk reservations until the table holds ``target``, in one transaction.

    The no-overlap triggers (SQLite) or exclusion constraints (PostgreSQL) check every row.
    PostgreSQL then gets ANALYZE (SQLite plans these queries well without statistics).
    """
    have = db.session.scalar(select(func.count()).select_from(Reservation))
    connection = db.session.connection()
    sqlite_db = connection.dialect.name == "sqlite"
    started = time.perf_counter()
    if sqlite_db:
        cache = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        connection.exec_driver_sql(f"PRAGMA cache_size=-{LOAD_CACHE_KIB}")
        for first in range(have, target, BATCH):
            connection.exec_driver_sql(bulk.sql, bulk.rows(first, min(first + BATCH, target)))
    else:  # COPY: one statement per batch, so the calendar triggers fire once per batch
        batches = (
            bulk.rows(n, min(n + COPY_BATCH, target)) for n in range(have, target, COPY_BATCH)
        )
        copy_reservations(
            connection, BULK_COLUMNS, itertools.chain.from_iterable(batches), batch=COPY_BATCH
        )
    db.session.commit()
    if sqlite_db:
        db.session.connection().exec_driver_sql(f"PRAGMA cache_size={cache}")
    else:  # what autovacuum would soon do after such a load; the planner needs the counts
        db.session.connection().exec_driver_sql("ANALYZE reservation")
    db.session.commit()
    return target - have, time.perf_counter() - started


# --- measurements ----------------------------------------------------------------------------


def measure_availability(app, room_ids: list[int], function, reps: int) -> Requests:
    """Each call in its own request context and session, as a page would make it."""
    samples = Requests()
    for rep in range(reps + 3):
        with app.test_request_context("/"):
            rooms = load_rooms(room_ids)
            gc.collect()
            _, wall, cpu = timed(function, rooms, *WEEK)
            db.session.remove()
        if rep >= 3:  # the first calls warm caches
            samples.wall.append(wall)
            samples.cpu.append(cpu)
    return samples


class Bookings:
    """Booking forms, each for its own hour, so that every POST books.

    The POSTs take turns among signed-in officers (a test client each), so that nobody
    holds more future reservations than the limit allows, as with real officers.
    """

    def __init__(self, room_ids: list[int], clients: list):
        self.room_ids, self.clients = room_ids, clients
        self.made = 0

    def next(self) -> tuple[object, str, dict]:
        n, self.made = self.made, self.made + 1
        day = FIRST_BOOKING_DAY + timedelta(days=n // BOOKINGS_PER_DAY)
        client = self.clients[n % len(self.clients)]
        return (
            client,
            f"/rooms/{self.room_ids[n % ROOMS]}/reserve",
            {
                "day": day.isoformat(),
                "start": f"{n % BOOKINGS_PER_DAY:02}:00",
                "minutes": "60",
                "probation_officer": "none",
                "repeat": "",
                "interval_weeks": "1",
                "idempotency_key": uuid.uuid4().hex,
            },
        )


class StatementCounter:
    """SQL statements sent while enabled, and the time spent executing them."""

    def __init__(self, engine):
        self.engine, self.count, self.seconds, self.started = engine, 0, 0.0, 0.0
        self.captured: list[tuple[str, object]] = []
        self.capture = False

    def before(self, _conn, _cursor, statement, parameters, _context, _many):
        self.started = time.perf_counter()
        if self.capture:
            self.captured.append((statement, parameters))

    def after(self, *_args):
        self.seconds += time.perf_counter() - self.started
        self.count += 1

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self.before)
        sa.event.listen(self.engine, "after_cursor_execute", self.after)
        return self

    def __exit__(self, *_exc):
        sa.event.remove(self.engine, "before_cursor_execute", self.before)
        sa.event.remove(self.engine, "after_cursor_execute", self.after)


def read_flashes(client) -> None:
    """Drop the "booked" message, as the page after the redirect would show it.

    Left in the session, the messages would pile up in the cookie and slow every request.
    """
    with client.session_transaction() as session:
        session.pop("_flashes", None)


def timed(call, *args, **kwargs) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    response = call(*args, **kwargs)
    return response, time.perf_counter() - wall, time.process_time() - cpu


def measure_requests(app, client, bookings: Bookings, reps: int, result: Backend, key):
    """Trivial GETs and booking POSTs in alternating blocks, so both see the same machine."""
    trivial, booked = Requests(), Requests()
    for _ in range(5):  # warm-up
        client.get("/_bench/ok")
        poster, path, form = bookings.next()
        poster.post(path, data=form)
        read_flashes(poster)
    block = max(1, reps // ROUNDS)
    with app.app_context():
        engine = db.engine
    counter = StatementCounter(engine)
    while len(booked.wall) < reps:
        gc.collect()
        for _ in range(block):
            response, wall, cpu = timed(client.get, "/_bench/ok")
            if response.status_code != 200:
                raise RuntimeError(f"trivial endpoint answered {response.status_code}")
            trivial.wall.append(wall)
            trivial.cpu.append(cpu)
        gc.collect()
        for _ in range(block):
            poster, path, form = bookings.next()
            with counter:
                response, wall, cpu = timed(poster.post, path, data=form)
            if response.status_code != 302:
                body = response.get_data(as_text=True)
                result.booking_failures.append(f"{response.status_code} {form} {body[-300:]!r}")
            booked.wall.append(wall)
            booked.cpu.append(cpu)
            read_flashes(poster)
    result.trivial[key], result.booking[key] = trivial, booked
    if key == HEADLINE_SIZE:
        result.post_statements = counter.count / len(booked.wall)
        result.post_sql_ms = counter.seconds / len(booked.wall) * 1000
        counter.capture = True
        poster, path, form = bookings.next()
        with counter:
            poster.post(path, data=form)
        read_flashes(poster)
        result.post_plans = explain(app, counter.captured)


@contextmanager
def synchronous_mode(app, mode: str):
    """Every new SQLite connection of the app with ``PRAGMA synchronous=mode`` (a what-if)."""
    with app.app_context():
        engine = db.engine

    def configure(dbapi_connection, _record):
        dbapi_connection.execute(f"PRAGMA synchronous={mode}")

    sa.event.listen(engine, "connect", configure)
    engine.dispose()
    with engine.connect() as connection:
        value = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    if value != {"OFF": 0, "NORMAL": 1, "FULL": 2}[mode]:
        raise RuntimeError(f"PRAGMA synchronous={mode} did not take: {value}")
    try:
        yield
    finally:
        sa.event.remove(engine, "connect", configure)
        engine.dispose()


def explain(app, captured: list[tuple[str, object]]) -> list[str]:
    """The plan of each SELECT captured, run with the parameters it was sent with."""
    lines = []
    with app.app_context():
        connection = db.session.connection()
        sqlite_db = connection.dialect.name == "sqlite"
        cursor = connection.connection.cursor()
        for statement, parameters in captured:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            prefix = "EXPLAIN QUERY PLAN " if sqlite_db else "EXPLAIN "
            cursor.execute(prefix + statement, parameters)
            steps = [str(row[-1]) for row in cursor.fetchall()]
            table = re.search(r"\bFROM\s+\"?(\w+)", statement)
            lines.append(f"{table[1] if table else '?'}: " + "; ".join(steps))
        cursor.close()
        db.session.remove()
    return lines


def week_plans(app, room_ids: list[int], function) -> list[str]:
    """The plans of the reads one availability call makes, as it makes them."""
    with app.app_context():
        engine = db.engine
    counter = StatementCounter(engine)
    counter.capture = True
    with app.test_request_context("/"):
        rooms = load_rooms(room_ids)
        with counter:
            function(rooms, *WEEK)
        db.session.remove()
    return explain(app, counter.captured)


def probe_commit(url: str) -> str:
    """What one small durable commit costs on this disk, as the app's connections make it."""
    if not url.startswith("sqlite"):
        return ""
    path = Path(url.removeprefix("sqlite:///")).with_name("probe.sqlite3")
    medians = {}
    for mode in ("FULL", "NORMAL"):
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={mode}")
        connection.execute("CREATE TABLE IF NOT EXISTS t (x)")
        samples = []
        for n in range(60):
            started = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO t VALUES (?)", (n,))
            connection.execute("COMMIT")
            samples.append(time.perf_counter() - started)
        connection.close()
        medians[mode] = median_ms(samples[10:])
    return (
        f"a one-row WAL commit on this disk takes {medians['FULL']:.2f} ms with"
        f" synchronous=FULL (fsync on every commit) and {medians['NORMAL']:.3f} ms with NORMAL"
    )


def run_backend(name: str, url: str, args, function) -> Backend:
    result = Backend(name, url)
    if name == "PostgreSQL":
        reset_postgresql(url)
    app = make_app(url)
    booking.timeutil.frozen_now = NOW
    started = time.perf_counter()
    with app.app_context():
        flask_migrate.upgrade(directory=str(MIGRATIONS))
        room_ids, officer_ids = make_rooms_and_officers()
        bulk = BulkRows(db.engine.dialect, room_ids, officer_ids)
        synchronous = ""
        if db.engine.dialect.name == "sqlite":
            value = db.session.connection().exec_driver_sql("PRAGMA synchronous").scalar()
            synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(value, str(value))
        db.session.remove()
    result.notes.append(
        f"schema, {ROOMS} rooms, {OFFICERS:,} officers: {time.perf_counter() - started:.1f} s"
    )
    if synchronous:
        result.notes.append(f"app connections: journal_mode=WAL, synchronous={synchronous}")
    clients = [signed_in(app, n) for n in range(BOOKING_OFFICERS)]
    client, bookings = clients[0], Bookings(room_ids, clients)
    loads = []
    for size in SIZES:
        with app.app_context():
            added, seconds = grow_to(size, bulk)
            db.session.remove()
        result.notes.append(
            f"load {added:,} reservations (table now {size:,}): {seconds:.1f} s"
            f" ({added / seconds:,.0f} rows/s)"
        )
        result.availability[size] = measure_availability(
            app, room_ids, function, args.availability_reps
        )
        loads.append(os.getloadavg()[0])
        measure_requests(app, client, bookings, args.reps, result, size)
        loads.append(os.getloadavg()[0])
        if size == HEADLINE_SIZE and synchronous == "FULL":
            with synchronous_mode(app, "NORMAL"):
                measure_requests(app, client, bookings, args.reps, result, WHAT_IF)
    if max(loads) > (os.cpu_count() or 1):
        result.loaded_cpus = f"{min(loads):.1f} to {max(loads):.1f} while measuring requests"
    result.week_plans = week_plans(app, room_ids, function)
    result.commit_probe = probe_commit(url)
    with app.app_context():
        db.engine.dispose()
    return result


# --- report ----------------------------------------------------------------------------------


def report(result: Backend, label: str, args) -> None:
    print(f"== {result.name} ==")
    for note in result.notes:
        print(f"  {note}")
    print()
    head = HEADLINE_SIZE
    trivial, booked = result.trivial[head], result.booking[head]
    print(f"1. Booking POST with {head:,} reservations ({args.reps} POSTs, each books)")
    print(f"   medians (wall; CPU = process time)    {'wall':>9} {'CPU':>9}")
    print(
        f"   trivial endpoint GET /_bench/ok       {trivial.median_ms():6.3f} ms"
        f" {trivial.median_ms('cpu'):6.3f} ms"
    )
    print(
        f"   booking POST /rooms/<id>/reserve      {booked.median_ms():6.2f} ms"
        f" {booked.median_ms('cpu'):6.2f} ms"
    )
    for kind in ("wall", "cpu"):
        ratio = booked.median_ms(kind) / trivial.median_ms(kind)
        print(
            f"   ratio booking / trivial, {KIND[kind]}:"
            f" {ratio:5.1f}x   target <= {BOOKING_TARGET:g}x   {verdict(ratio <= BOOKING_TARGET)}"
        )
    if result.booking_failures:
        print(f"   WARNING: {len(result.booking_failures)} POSTs did not answer 302; the first:")
        print(f"   {result.booking_failures[0]}")
    week_rows = ROOMS * 24 * 7
    middle = result.availability[head]
    print()
    print(
        f"2. Availability of {ROOMS} rooms for the week {WEEK[0]} to {WEEK[1]}"
        f" with {head:,} reservations"
    )
    print(f"   measured: {label}")
    print(
        f"   (every room booked every hour: {week_rows:,} reservations in that week;"
        f" median of {args.availability_reps} calls, each in a fresh session)"
    )
    print(
        f"   median {middle.median_ms():.2f} ms wall = {times_trivial(middle, trivial)} trivial;"
        f" {middle.median_ms('cpu'):.2f} ms CPU = {times_trivial(middle, trivial, 'cpu')}"
        " trivial   target: none given (reported only)"
    )
    print()
    print("3. Availability as the table grows")
    for size in SIZES:
        value = result.availability[size]
        print(
            f"   {size:>9,} reservations: {value.median_ms():7.2f} ms wall"
            f" ({times_trivial(value, trivial)} trivial), {value.median_ms('cpu'):7.2f} ms CPU"
        )
    first, last = result.availability[SIZES[0]], result.availability[SIZES[-1]]
    for kind in ("wall", "cpu"):
        growth = last.median_ms(kind) / first.median_ms(kind)
        print(
            f"   ratio {short(SIZES[-1])} / {short(SIZES[0])}"
            f", {KIND[kind]}: {growth:.2f}x"
            f"   target <= {GROWTH_TARGET:g}x   {verdict(growth <= GROWTH_TARGET)}"
        )
    print(f"   query plans of the availability reads at {SIZES[-1]:,} reservations:")
    for line in result.week_plans:
        print(f"     {line}")
    print()
    print("Details: booking POST and trivial GET at every size (medians; CPU = process time)")
    for size in SIZES:
        trivial, booked = result.trivial[size], result.booking[size]
        print(
            f"   {size:>9,}: POST {booked.median_ms():7.2f} ms wall {booked.median_ms('cpu'):6.2f}"
            f" ms CPU | GET {trivial.median_ms():5.3f} ms wall {trivial.median_ms('cpu'):5.3f}"
            f" ms CPU | ratio {booked.median_ms() / trivial.median_ms():5.1f}x wall"
            f" {booked.median_ms('cpu') / trivial.median_ms('cpu'):5.1f}x CPU"
        )
    if WHAT_IF in result.booking:
        trivial, booked = result.trivial[WHAT_IF], result.booking[WHAT_IF]
        print(
            f"   what-if at {head:,} with PRAGMA {WHAT_IF} on the app's connections:"
            f" POST {booked.median_ms():.2f} ms wall {booked.median_ms('cpu'):.2f} ms CPU,"
            f" GET {trivial.median_ms():.3f} ms,"
            f" ratio {booked.median_ms() / trivial.median_ms():.1f}x wall"
        )
    print(
        f"   per POST at {head:,}: {result.post_statements:.0f} SQL statements,"
        f" {result.post_sql_ms:.2f} ms inside cursor.execute (the rest is Python and the commit)"
    )
    if result.commit_probe:
        print(f"   {result.commit_probe}")
    if result.loaded_cpus:
        print(
            f"   NOTE: the load average ({result.loaded_cpus}) exceeded the {os.cpu_count()} CPUs:"
            " other processes took turns on the CPU, which lengthens a 10 ms request far more"
            " than a 1 ms one, so the wall ratios are inflated; the CPU ratios are the steadier"
            " figure."
        )
    print("   query plans of the POST's reads:")
    for line in result.post_plans:
        print(f"     {line}")
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", action="store_true", help="also run on TEST_DATABASE_URL")
    parser.add_argument("--reps", type=int, default=200, help="booking POSTs and trivial GETs")
    parser.add_argument("--availability-reps", type=int, default=40, help="calls per table size")
    parser.add_argument(
        "--national", action="store_true", help="with --postgresql: the pages at national size"
    )
    parser.add_argument("--national-reservations", type=int, default=6_000_000)
    args = parser.parse_args()

    needed = (len(SIZES) + 1) * (args.reps + 6)
    room_for = ((TODAY + timedelta(days=60) - FIRST_BOOKING_DAY).days + 1) * BOOKINGS_PER_DAY
    if needed > room_for:
        parser.error(f"--reps too high: {needed} bookings needed, {room_for} free hours")
    if needed > BOOKING_OFFICERS * Config.MAX_FUTURE_RESERVATIONS:
        parser.error(f"--reps too high: {BOOKING_OFFICERS} officers cannot hold {needed} bookings")
    label, function = "booking.reservations.availability.availability()", availability
    started = time.perf_counter()
    load = os.getloadavg()[0]
    print(
        f"Booking bench: Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version},"
        f" {os.cpu_count()} CPUs, load average {load:.1f} at start;"
        f" clock frozen at {NOW.isoformat()}"
    )
    print()
    with tempfile.TemporaryDirectory(prefix="booking-bench-") as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        report(run_backend("SQLite", url, args, function), label, args)
    if args.postgresql:
        url = os.environ.get("TEST_DATABASE_URL")
        if url:
            report(run_backend("PostgreSQL", url, args, function), label, args)
        else:
            print("== PostgreSQL == skipped: TEST_DATABASE_URL is not set")
    print()
    print("4. Calendar feeds")
    for line in feeds.run(os.environ.get("TEST_DATABASE_URL") if args.postgresql else None):
        print(line)
    print()
    print(f"5. The outbox sender, one sender into a local SMTP server ({mail.MESSAGES:,} each)")
    for line in mail.run(os.environ.get("TEST_DATABASE_URL") if args.postgresql else None):
        print(line)
    print()
    print(f"6. A fiscal year's city-wide usage report ({reports.YEAR.label}) as the table grows")
    for line in reports.run(os.environ.get("TEST_DATABASE_URL") if args.postgresql else None):
        print(line)
    if args.national and args.postgresql and os.environ.get("TEST_DATABASE_URL"):
        print()
        print(f"7. The pages at national size: {national.BASE:,} -> {args.national_reservations:,}")
        url = os.environ["TEST_DATABASE_URL"]
        for line in national.run(url, args.national_reservations):
            print(line)
    print()
    print(f"8. The officers' CSV import: {imports.ROWS:,} rows, CP932 (bench/imports.py)")
    for line in imports.run(os.environ.get("TEST_DATABASE_URL") if args.postgresql else None):
        print(line)
    print()
    print(
        f"9. The audit log viewer at {audit.EVENTS:,} audit events, as ratios to a trivial endpoint"
    )
    for line in audit.run(os.environ.get("TEST_DATABASE_URL") if args.postgresql else None):
        print(line)
    print()
    print(f"10. The account list and searches at {accounts.ACCOUNTS:,} accounts")
    for line in accounts.run(os.environ.get("TEST_DATABASE_URL") if args.postgresql else None):
        print(line)
    print(
        f"total bench time: {time.perf_counter() - started:.0f} s;"
        f" load average {os.getloadavg()[0]:.1f} at the end"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
