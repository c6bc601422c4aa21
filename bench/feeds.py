"""Feed timings for `make bench`, as ratios to baselines measured in the same run.

1. Cold build: a GET of a facility feed with 5,000 reservations in its window, without
   validators (so the calendar is built from the database), against building the same 5,000
   events with bare icalendar (Calendar(), Event(), the same properties, to_ical()), the two
   alternated. Target: at most 1.5x.
2. Revalidation: the same GET with If-None-Match, answered 304, against a trivial Flask
   endpoint, alternated. Target: at most 3x. Also shown for an officer's own feed (25 events).
3. The same GET without validators once its body is kept by ETag (FEED_CACHE_URL), against
   its 304, alternated. Target: at most 2x (the 200 reads the kept body, builds nothing).

Run alone with ``.venv/bin/python -m bench.feeds [--postgresql]``; ``run()`` gives the lines.
With --postgresql the schema of TEST_DATABASE_URL is dropped and made again.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from icalendar import Calendar, Event
from sqlalchemy import insert, select

import booking.timeutil
from booking import create_app
from booking.auth import services as accounts
from booking.auth.models import Role, User
from booking.extensions import db
from booking.feeds import services
from booking.feeds.models import Feed, FeedKind
from booking.feeds.queries import Window, event_rows
from booking.reservations.models import Reservation
from booking.rooms.models import Facility, FacilityKind, FeeBasis, OpeningHours, Room, Ward
from booking.timeutil import TOKYO, at_tokyo

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
NOW = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # Monday 1 June 2026, 9:00 in Sapporo
EVENTS = 5_000
ROOMS = 5
OFFICERS = 200
BUILD_REPS = 5
REVALIDATION_REPS = 300
BUILD_TARGET = 1.5
REVALIDATION_TARGET = 3.0
KEPT_TARGET = 2.0  # "a 200 for unchanged data costs about what a 304 costs"


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def make_app(url: str, **config):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "PWNED_PASSWORDS_URL": "",
            **config,
        }
    )
    app.add_url_rule("/_bench/ok", "bench_ok", lambda: "ok")
    return app


def make_facility() -> Facility:
    facility = Facility(
        code="bench-feeds",
        ward=Ward.CHUO,
        name_ja="ベンチ会館",
        name_en="Bench Hall",
        address="札幌市中央区北1条西2丁目",
        kind=FacilityKind.SUPPORT_CENTER,
        fee_basis=FeeBasis.FULL_EXEMPTION,
        bookable_from=NOW.date() - timedelta(days=60),
        opening_hours=[OpeningHours(weekday=d, opens=clock(9), closes=clock(21)) for d in range(7)],
        rooms=[Room(code=f"r{n}", name_ja=f"面談室{n}", name_en=f"Room {n}") for n in range(ROOMS)],
    )
    db.session.add(facility)
    db.session.flush()
    return facility


def make_officers() -> list[int]:
    password_hash = accounts.hasher.hash("bench password 0123456789")
    rows = [
        {"email": f"feeds{n:03}@bench.example.jp", "name": f"保護司 {n}", "role": "officer"}
        for n in range(OFFICERS)
    ]
    for row in rows:
        row.update(active=True, password_hash=password_hash, created_at=NOW)
    db.session.execute(insert(User.__table__), rows)
    query = select(User.id).where(User.email.like("feeds%@bench.example.jp")).order_by(User.id)
    return list(db.session.scalars(query))


def reservation_rows(room_ids: list[int], officer_ids: list[int]):
    """5,000 hour-long reservations inside the window: three a day in each of five rooms."""
    first_day = NOW.date() - timedelta(days=29)
    for n in range(EVENTS):
        k = n // ROOMS
        starts_at = at_tokyo(first_day + timedelta(days=k // 3), clock(9 + 3 * (k % 3)))
        officer = officer_ids[n % OFFICERS]
        yield {
            "public_id": uuid.uuid4(),
            "room_id": room_ids[n % ROOMS],
            "officer_id": officer,
            "created_by_id": officer,
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(hours=1),
            "blocks_until": starts_at + timedelta(hours=1),
            "status": "active",
            "version": 1 + n % 3,
            "second_officer": False,
            "probation_officer": "none",
            "notify_desk": n % 7 == 0,
            "caution": n % 11 == 0,
            "desk_note": "窓口へのメモ" if n % 5 == 0 else "",
            "created_at": NOW - timedelta(days=40),
            "updated_at": NOW - timedelta(days=40 - n % 30),
        }


def fill() -> tuple[str, str]:
    """The data, and the paths of a facility feed (admin) and an officer's own feed."""
    facility = make_facility()
    officer_ids = make_officers()
    room_ids = [room.id for room in facility.rooms]
    db.session.execute(insert(Reservation.__table__), list(reservation_rows(room_ids, officer_ids)))
    admin = accounts.create_user("admin@bench.example.jp", "管理", Role.ADMIN, "bench password 01")
    db.session.flush()
    facility_token = services.issue(admin, Feed(FeedKind.FACILITY, facility.id), by=admin)
    officer = db.session.get(User, officer_ids[0])
    own_token = services.issue(officer, Feed(FeedKind.MINE), by=officer)
    db.session.commit()
    return f"/feeds/{facility_token}.ics", f"/feeds/{own_token}.ics"


def bare_icalendar(rows) -> bytes:
    """The same events with icalendar alone: no database, no Flask, no rights check."""
    calendar = Calendar()
    calendar.add("prodid", "-//bench//bare icalendar//JA")
    calendar.add("version", "2.0")
    for row in rows:
        event = Event()
        event.add("uid", f"{row.public_id}@bench")
        event.add("dtstamp", row.updated_at)
        event.add("last-modified", row.updated_at)
        event.add("sequence", row.version)
        event.add("dtstart", row.starts_at.astimezone(TOKYO))
        event.add("dtend", row.ends_at.astimezone(TOKYO))
        event.add("summary", f"面談（{row.room_name}）")
        event.add("location", f"{row.facility_name} {row.room_name}（{row.address}）")
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()


def timed(action: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def expect(response, status: int) -> None:
    if response.status_code != status:
        raise RuntimeError(f"expected {status}, got {response.status_code}")


def measure_build(app, client, path: str) -> tuple[float, list[float], list[float]]:
    """The first GET after start, then full GETs alternated with bare builds of its rows."""
    first = timed(lambda: expect(client.get(path), 200))
    with app.app_context():
        subscription = services.follow(path.removeprefix("/feeds/").removesuffix(".ics"))
        rows = event_rows(subscription, Window(NOW.astimezone(TOKYO).date()))
    if len(rows) != EVENTS:
        raise RuntimeError(f"the feed has {len(rows)} events, not {EVENTS}")
    feed, bare = [], []
    for _ in range(BUILD_REPS):
        bare.append(timed(lambda: bare_icalendar(rows)))
        feed.append(timed(lambda: expect(client.get(path), 200)))
    return first, feed, bare


def measure_revalidation(client, path: str) -> tuple[list[float], list[float]]:
    """304 answers alternated with the trivial endpoint, after a warm-up."""
    etag = client.get(path).headers["ETag"]
    trivial, revalidated = [], []
    for rep in range(REVALIDATION_REPS + 20):
        started = time.perf_counter()
        expect(client.get("/_bench/ok"), 200)
        middle = time.perf_counter()
        expect(client.get(path, headers={"If-None-Match": etag}), 304)
        finished = time.perf_counter()
        if rep >= 20:
            trivial.append(middle - started)
            revalidated.append(finished - middle)
    return trivial, revalidated


def measure_kept(client, path: str) -> tuple[list[float], list[float]]:
    """Full GETs answered from the kept body, alternated with 304s of the same feed."""
    etag = client.get(path).headers["ETag"]
    kept, revalidated = [], []
    for rep in range(REVALIDATION_REPS + 20):
        started = time.perf_counter()
        expect(client.get(path), 200)
        middle = time.perf_counter()
        expect(client.get(path, headers={"If-None-Match": etag}), 304)
        finished = time.perf_counter()
        if rep >= 20:
            kept.append(middle - started)
            revalidated.append(finished - middle)
    return kept, revalidated


def measure(name: str, url: str, cache_folder: str) -> list[str]:
    app = make_app(url, FEED_CACHE_URL="off")  # builds every time: what a build costs
    kept_app = make_app(url, FEED_CACHE_URL=cache_folder)
    booking.timeutil.frozen_now = NOW
    try:
        with app.app_context():
            flask_migrate.upgrade(directory=str(MIGRATIONS))
            facility_path, own_path = fill()
        client = app.test_client()
        first, feed, bare = measure_build(app, client, facility_path)
        facility_trivial, facility_304 = measure_revalidation(client, facility_path)
        own_trivial, own_304 = measure_revalidation(client, own_path)
        kept = measure_kept(kept_app.test_client(), facility_path)
        with app.app_context():
            db.engine.dispose()
    finally:
        booking.timeutil.frozen_now = None
    revalidations = (facility_trivial, facility_304, own_trivial, own_304)
    return report(name, first, feed, bare, revalidations) + report_kept(*kept)


def report_kept(kept: list[float], revalidated: list[float]) -> list[str]:
    ratio = median_ms(kept) / median_ms(revalidated)
    return [
        "3. Unchanged feed fetched whole, its body kept by ETag (FEED_CACHE_URL), alternated"
        " with its 304:",
        f"   facility feed, {EVENTS:,} events: 200 median {median_ms(kept):.3f} ms, 304"
        f" {median_ms(revalidated):.3f} ms, ratio {ratio:.1f}x   target <= {KEPT_TARGET:g}x"
        f"   {verdict(ratio <= KEPT_TARGET)}",
    ]


def report(name, first, feed, bare, revalidations) -> list[str]:
    feed_ms, bare_ms = median_ms(feed), median_ms(bare)
    ratio = feed_ms / bare_ms
    lines = [
        f"== feeds, {name} ==",
        f"1. Facility feed with {EVENTS:,} events, built ({BUILD_REPS} GETs alternated with"
        " bare icalendar builds of the same rows):",
        f"   first GET after start:          {first * 1000:9.1f} ms",
        f"   bare icalendar build, median:   {bare_ms:9.1f} ms",
        f"   feed GET (200), median:         {feed_ms:9.1f} ms",
        f"   ratio feed / bare icalendar: {ratio:.2f}x   target <= {BUILD_TARGET:g}x"
        f"   {verdict(ratio <= BUILD_TARGET)}",
        f"2. Revalidation with If-None-Match ({REVALIDATION_REPS} each, alternated with the"
        " trivial endpoint):",
    ]
    facility_trivial, facility_304, own_trivial, own_304 = revalidations
    for label, trivial, answered in (
        (f"facility feed, {EVENTS:,} events", facility_trivial, facility_304),
        ("officer's own feed, 25 events", own_trivial, own_304),
    ):
        ratio = median_ms(answered) / median_ms(trivial)
        lines.append(
            f"   {label}: 304 median {median_ms(answered):.3f} ms, trivial"
            f" {median_ms(trivial):.3f} ms, ratio {ratio:.1f}x   target <= "
            f"{REVALIDATION_TARGET:g}x   {verdict(ratio <= REVALIDATION_TARGET)}"
        )
    return lines


def reset_postgresql(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()


def run(postgresql_url: str | None = None) -> list[str]:
    """The feed figures on SQLite, and on ``postgresql_url`` too when given."""
    with tempfile.TemporaryDirectory(prefix="feeds-bench-") as tmp:
        lines = measure("SQLite", f"sqlite:///{tmp}/feeds.sqlite3", f"{tmp}/sqlite")
        if postgresql_url:
            reset_postgresql(postgresql_url)
            lines += ["", *measure("PostgreSQL", postgresql_url, f"{tmp}/postgresql")]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", action="store_true", help="also run on TEST_DATABASE_URL")
    args = parser.parse_args()
    url = os.environ.get("TEST_DATABASE_URL") if args.postgresql else None
    if args.postgresql and not url:
        print("PostgreSQL skipped: TEST_DATABASE_URL is not set")
    print("\n".join(run(url)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
