"""A fiscal year's city-wide usage report for `make bench`, as the table grows.

The bulk reservations of bench/run.py fill fifteen rooms hour after hour going back from
June 2026, so FY2025 (April 2025 to March 2026) holds at most a year of them however large
the table grows: a report that reads only its period (an index range on ``starts_at``)
costs about the same at 6,000,000 reservations as at 1,000,000. The time at each size is
given as a ratio to the same report at 100,000 (target: within 10x).

Run alone with ``.venv/bin/python -m bench.reports [--postgresql] [--sizes 100000,1000000]``;
``run()`` gives the lines. SQLite is measured at 100,000 and 1,000,000; PostgreSQL (loaded
with COPY) at the sizes asked for, 100,000, 1,000,000 and 6,000,000 by default.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import flask_migrate
from sqlalchemy import select

# A module import: bench.run imports this module in turn, for `make bench`.
import bench.run as bulk
import booking.timeutil
from booking.extensions import db
from booking.reports import services
from booking.reports.periods import fiscal_year
from booking.reservations.models import Reservation
from booking.rooms.models import Facility

SQLITE_SIZES = (100_000, 1_000_000)
POSTGRESQL_SIZES = (100_000, 1_000_000, 6_000_000)
BASE = 100_000
YEAR = fiscal_year(2025)
REPS = 5
TARGET = 10.0


def time_report() -> float:
    """Seconds for the whole city-wide report, in a fresh session as a request has."""
    db.session.remove()
    facilities = list(db.session.scalars(select(Facility).order_by(Facility.id)))
    started = time.perf_counter()
    services.report(facilities, YEAR, bulk.NOW)
    seconds = time.perf_counter() - started
    db.session.remove()
    return seconds


def measure(name: str, url: str, sizes: tuple[int, ...]) -> list[str]:
    booking.timeutil.frozen_now = bulk.NOW
    app = bulk.make_app(url)
    lines, timings = [f"   {name}:"], {}
    try:
        with app.app_context():
            flask_migrate.upgrade(directory=str(bulk.MIGRATIONS))
            room_ids, officer_ids = bulk.make_rooms_and_officers()
            rows = bulk.BulkRows(db.engine.dialect, room_ids, officer_ids)
            for size in sizes:
                added, seconds = bulk.grow_to(size, rows)
                in_year = db.session.scalar(
                    select(db.func.count()).where(
                        Reservation.starts_at >= YEAR.starts_at,
                        Reservation.starts_at < YEAR.ends_at,
                    )
                )
                time_report()  # warm the caches, as a running server has them
                timings[size] = statistics.median(time_report() for _ in range(REPS))
                lines.append(
                    f"     {size:>10,} reservations ({in_year:,} in {YEAR.label}; loaded"
                    f" {added:,} in {seconds:.0f} s): report {timings[size] * 1000:7.1f} ms"
                )
            db.session.remove()
            db.engine.dispose()
    finally:
        booking.timeutil.frozen_now = None
    lines += ratios(timings)
    return lines


def ratios(timings: dict[int, float]) -> list[str]:
    if BASE not in timings:
        return []
    lines = []
    for size, seconds in timings.items():
        if size != BASE:
            ratio = seconds / timings[BASE]
            verdict = "PASS" if ratio <= TARGET else "FAIL"
            lines.append(
                f"     {size:,} / {BASE:,}: {ratio:4.1f}x (target <= {TARGET:g}x) {verdict}"
            )
    return lines


def run(postgresql_url: str | None = None, sizes: tuple[int, ...] = POSTGRESQL_SIZES) -> list:
    """The report's timings on SQLite, and on ``postgresql_url`` too when given."""
    with tempfile.TemporaryDirectory(prefix="reports-bench-") as tmp:
        lines = measure("SQLite", f"sqlite:///{tmp}/reports.sqlite3", SQLITE_SIZES)
    if postgresql_url:
        bulk.reset_postgresql(postgresql_url)
        lines += measure("PostgreSQL", postgresql_url, sizes)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", action="store_true", help="also run on TEST_DATABASE_URL")
    parser.add_argument(
        "--sizes",
        default=",".join(str(size) for size in POSTGRESQL_SIZES),
        help="PostgreSQL table sizes, comma-separated, starting at 100000",
    )
    args = parser.parse_args()
    sizes = tuple(sorted(int(size) for size in args.sizes.split(",")))
    url = os.environ.get("TEST_DATABASE_URL") if args.postgresql else None
    print("\n".join(run(url, sizes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
