"""The audit log viewer for `make bench`: its pages at 1,000,000 audit events, as ratios to a
trivial endpoint measured alongside, and to the same page at 10,000 events.

The events are written by set-based INSERT ... SELECTs (a recursive CTE on SQLite,
generate_series on PostgreSQL), so that loading a million rows takes seconds. A page is one
keyset statement, filtered or not: its cost must not grow with the table (target: the page
at 1,000,000 within 2x the page at 10,000). The ratio to the trivial endpoint is reported
beside it; most of a page is the rendering of its 50 rows and the filter form.

Run alone with ``.venv/bin/python -m bench.audit [--postgresql] [--events 1000000]``; ``run()``
gives the lines.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import flask_migrate
import pyotp
from sqlalchemy import select, text

import bench.run as bulk
import booking.timeutil
from booking.auth import services as accounts
from booking.auth.models import Role, User
from booking.extensions import db
from booking.rooms.models import Facility

EVENTS = 1_000_000
BASE = 10_000
REPS = 30
GROWTH_TARGET = 2.0
ADMIN = "bench-admin@example.jp"
ACTIONS = ("reservation.create", "reservation.cancel", "user.login", "room.update")

# Every event a minute before the last, spread over the officers and the bench's facility;
# the column list is the same on both backends, the numbers and times per dialect.
COLUMNS = "at, actor_id, action, object_type, object_id, details, facility_id"
SQLITE_FILL = f"""
WITH RECURSIVE n(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM n WHERE i < :last)
INSERT INTO audit_event ({COLUMNS})
SELECT strftime('%Y-%m-%d %H:%M:%S.000000', :newest, '-' || i || ' minutes'),
       :first_user + i % :users,
       CASE i % 4 WHEN 0 THEN '{ACTIONS[0]}' WHEN 1 THEN '{ACTIONS[1]}'
                  WHEN 2 THEN '{ACTIONS[2]}' ELSE '{ACTIONS[3]}' END,
       'reservation', CAST(i AS TEXT), '{{}}',
       CASE WHEN i % 3 = 0 THEN NULL ELSE :facility END
FROM n
"""
POSTGRESQL_FILL = f"""
INSERT INTO audit_event ({COLUMNS})
SELECT CAST(:newest AS timestamptz) - i * interval '1 minute',
       :first_user + i % :users,
       (ARRAY['{ACTIONS[0]}', '{ACTIONS[1]}', '{ACTIONS[2]}', '{ACTIONS[3]}'])[i % 4 + 1],
       'reservation', CAST(i AS TEXT), '{{}}',
       CASE WHEN i % 3 = 0 THEN NULL ELSE :facility END
FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS i
"""


def fill(first: int, last: int) -> float:
    """Write audit events number ``first`` to ``last`` in one statement; the seconds it took."""
    users = list(db.session.scalars(select(User.id).order_by(User.id)))
    facility_id = db.session.scalar(select(Facility.id).order_by(Facility.id))
    sql = SQLITE_FILL if db.engine.dialect.name == "sqlite" else POSTGRESQL_FILL
    started = time.perf_counter()
    db.session.execute(
        text(sql),
        {
            "first": first,
            "last": last,
            "newest": bulk.NOW.strftime("%Y-%m-%d %H:%M:%S+00:00")
            if db.engine.dialect.name != "sqlite"
            else bulk.NOW.strftime("%Y-%m-%d %H:%M:%S"),
            "first_user": users[0],
            "users": len(users),
            "facility": facility_id,
        },
    )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE audit_event"))
        db.session.commit()
    return time.perf_counter() - started


def admin_client(app):
    """A test client signed in as an admin with a second factor."""
    with app.app_context():
        admin = accounts.create_user(ADMIN, "管理", Role.ADMIN, bulk.PASSWORD)
        admin.totp_secret = pyotp.random_base32()
        admin.totp_confirmed_at = bulk.NOW
        db.session.commit()
        secret = admin.totp_secret
    client = app.test_client()
    client.post("/login", data={"email": ADMIN, "password": bulk.PASSWORD})
    answer = client.post("/login/code", data={"code": pyotp.TOTP(secret).at(bulk.NOW)})
    if answer.status_code != 302:
        raise RuntimeError(f"admin login answered {answer.status_code}")
    return client


def median_ms(client, path: str) -> float:
    samples = []
    for _ in range(REPS):
        started = time.perf_counter()
        answer = client.get(path)
        samples.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code}")
    return statistics.median(samples) * 1000


def pages(facility_id: int, last_id: int, size: int) -> dict[str, str]:
    return {
        "newest page": "/admin/audit",
        "half way down": f"/admin/audit?before={last_id - size // 2}",
        "one facility": f"/admin/audit?facility={facility_id}",
        "one action": "/admin/audit?action=room.update",
        "one person by name": "/admin/audit?who=保護司%201234",
        "people by part of a name": "/admin/audit?who=保護司%2012",
        "one Tokyo day": "/admin/audit?first_day=2026-05-28&last_day=2026-05-28",
    }


def time_pages(app, client, sizes_done: int) -> tuple[dict[str, float], float]:
    """Each page's median at the table's present size, and the trivial endpoint's."""
    with app.app_context():
        facility_id = db.session.scalar(select(Facility.id))
        last_id = db.session.scalar(text("SELECT max(id) FROM audit_event"))
        db.session.remove()
    median_ms(client, "/_bench/ok")  # warm up
    trivial = median_ms(client, "/_bench/ok")
    timings = {}
    for label, path in pages(facility_id, last_id, sizes_done).items():
        median_ms(client, path)
        timings[label] = median_ms(client, path)
    return timings, trivial


def measure(name: str, url: str, events: int) -> list[str]:
    booking.timeutil.frozen_now = bulk.NOW
    app = bulk.make_app(url)
    try:
        with app.app_context():
            flask_migrate.upgrade(directory=str(bulk.MIGRATIONS))
            bulk.make_rooms_and_officers()
            fill(1, BASE)
            db.session.remove()
        client = admin_client(app)
        small, _ = time_pages(app, client, BASE)
        with app.app_context():
            seconds = fill(BASE + 1, events)
            db.session.remove()
        large, trivial = time_pages(app, client, events)
        lines = [
            f"   {name}: {events:,} audit events (loaded in {seconds:.0f} s);"
            f" trivial endpoint {trivial:.2f} ms"
        ]
        for label, page in large.items():
            growth = page / small[label]
            verdict = "PASS" if growth <= GROWTH_TARGET else "FAIL"
            lines.append(
                f"     {label:<26} {page:7.2f} ms = {page / trivial:5.1f}x trivial;"
                f" {growth:4.2f}x the page at {BASE:,} (target <= {GROWTH_TARGET:g}x) {verdict}"
            )
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        booking.timeutil.frozen_now = None
    return lines


def run(postgresql_url: str | None = None, events: int = EVENTS) -> list[str]:
    """The audit pages on SQLite, and on ``postgresql_url`` too when given."""
    with tempfile.TemporaryDirectory(prefix="audit-bench-") as tmp:
        lines = measure("SQLite", f"sqlite:///{tmp}/audit.sqlite3", events)
    if postgresql_url:
        bulk.reset_postgresql(postgresql_url)
        lines += measure("PostgreSQL", postgresql_url, events)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", action="store_true", help="also run on TEST_DATABASE_URL")
    parser.add_argument("--events", type=int, default=EVENTS)
    args = parser.parse_args()
    url = os.environ.get("TEST_DATABASE_URL") if args.postgresql else None
    print("\n".join(run(url, args.events)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
