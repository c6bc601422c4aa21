"""`make load`: a bounded Locust run against gunicorn on PostgreSQL, at growing user counts.

It drops and makes again the schema of TEST_DATABASE_URL (as the suite and `make bench` do),
seeds Sapporo's rooms, 300 officers, a desk for each facility (with its second factor) and
200 calendar feeds, starts gunicorn with deploy/gunicorn.conf.py on a free port, then runs
bench/locustfile.py headless at each user count for a fixed time. It prints, per step, the
requests per second, the p50/p95/p99 latency of each page and the failures, and the largest
step in which every page's p95 stayed under 300 ms without an error (logins, once per user
and slow on purpose, are shown but not counted): the users this machine sustains.
Every request goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import flask_migrate
import pyotp
from argon2 import PasswordHasher
from sqlalchemy import insert, select

from bench.feeds import reset_postgresql
from booking import create_app
from booking.auth.models import Role, User
from booking.extensions import db
from booking.feeds import services as feeds
from booking.feeds.models import Feed, FeedKind
from booking.rooms.models import Facility, Room
from booking.rooms.seed import seed_rooms

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "load test password 2026"
OFFICERS = 300
FEEDS = 200
P95_TARGET_MS = 300


def prepare(url: str) -> dict:
    """The data the simulated users need, made through the app's own services."""
    reset_postgresql(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 32})
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        seed_rooms()
        hashed = PasswordHasher().hash(PASSWORD)  # the server's own parameters: no rehash
        db.session.execute(
            insert(User.__table__),
            [
                {
                    "email": f"load{n:03}@example.jp",
                    "name": f"負荷 保護司{n}",
                    "password_hash": hashed,
                }
                for n in range(OFFICERS)
            ],
        )
        desks = []
        for facility in db.session.scalars(select(Facility).order_by(Facility.id)):
            secret = pyotp.random_base32()
            email = f"desk-{facility.code}@example.jp"
            db.session.add(
                User(
                    email=email,
                    name="負荷 窓口",
                    role=Role.MANAGER,
                    password_hash=hashed,
                    facilities=[facility],
                    totp_secret=secret,
                    totp_confirmed_at=db.func.now(),
                )
            )
            desks.append({"email": email, "secret": secret, "facility": facility.id})
        db.session.commit()
        officers = list(db.session.scalars(select(User).where(User.role == Role.OFFICER)))
        tokens = [
            feeds.issue(officer, Feed(FeedKind.MINE), by=officer) for officer in officers[:FEEDS]
        ]
        db.session.commit()
        emails = [officer.email for officer in officers]
        rooms = list(db.session.scalars(select(Room.id).where(Room.active)))
        wards = sorted({f.ward.value for f in db.session.scalars(select(Facility))})
        db.engine.dispose()
    return {
        "password": PASSWORD,
        "officers": emails,
        "desks": desks,
        "feeds": tokens,
        "rooms": rooms,
        "wards": wards,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(url: str, port: int, log: Path) -> subprocess.Popen:
    environment = {
        **os.environ,
        "APP_ENV": "development",  # plain http on loopback: cookies must not be Secure-only
        "SECRET_KEY": "load-test-secret-of-enough-length-0123456789",
        "DATABASE_URL": url,
        "RATELIMIT_ENABLED": "0",  # every simulated user logs in from 127.0.0.1
        "PWNED_PASSWORDS_URL": "",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "REQUEST_LOG": "0",
    }
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py"), "wsgi:app"],
        cwd=ROOT,
        env=environment,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit(f"gunicorn did not start:\n{log.read_text()[-3000:]}")


def run_step(port: int, users: int, seconds: int, data: dict, folder: Path) -> list[dict]:
    """One headless Locust run; its per-page statistics."""
    prefix = folder / f"step-{users}"
    rate = str(max(1, users // 5))
    subprocess.run(
        [
            *(str(BIN / "locust"), "-f", str(ROOT / "bench/locustfile.py"), "--headless"),
            *("-u", str(users), "-r", rate, "--run-time", f"{seconds}s"),
            *("--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary"),
            *("--stop-timeout", "5", "--loglevel", "ERROR"),
        ],
        env={**os.environ, "LOAD_DATA": json.dumps(data)},
        capture_output=True,
        timeout=seconds + 120,
        check=False,
    )
    with open(f"{prefix}_stats.csv", newline="") as stats:
        return list(csv.DictReader(stats))


def report(users: int, rows: list[dict]) -> tuple[bool, str]:
    """The step's lines, and whether it was sustained: no error, and every page's p95 under
    the target. Logins are shown but not counted: each user logs in once, at the start,
    and a login is slow on purpose (argon2)."""
    total = next(r for r in rows if r["Name"] == "Aggregated")
    failures = int(total["Failure Count"])
    pages = [r for r in rows if r["Name"] != "Aggregated" and not r["Name"].startswith("login")]
    ok = failures == 0 and all(float(r["95%"] or 0) < P95_TARGET_MS for r in pages)
    lines = [
        f"  {users:4} users: {float(total['Requests/s']):6.1f} requests/s,"
        f" {int(total['Request Count']):6} requests, {failures} failed,"
        f" p50/p95/p99 {total['50%']}/{total['95%']}/{total['99%']} ms"
        f"  {'sustained' if ok else 'NOT sustained'}"
    ]
    for row in rows:
        if row["Name"] != "Aggregated":
            lines.append(
                f"      {row['Type']:4} {row['Name']:18} {int(row['Request Count']):6}"
                f"  p50/p95/p99 {row['50%']:>5}/{row['95%']:>5}/{row['99%']:>5} ms"
                f"  failed {row['Failure Count']}"
            )
    return ok, "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="10,25,50,100", help="user counts, one step each")
    parser.add_argument("--seconds", type=int, default=45, help="length of each step")
    args = parser.parse_args()
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        raise SystemExit("make load needs TEST_DATABASE_URL (a PostgreSQL database to fill)")
    steps = [int(n) for n in args.users.split(",")]
    data = prepare(url)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="booking-load-") as tmp:
        folder = Path(tmp)
        server = start_gunicorn(url, port, folder / "gunicorn.log")
        try:
            print(f"Load: gunicorn (deploy/gunicorn.conf.py) on PostgreSQL, {os.cpu_count()} CPUs;")
            print(f"  {args.seconds} s a step; officers 6 : calendar apps 3 : desks 1")
            sustained = 0
            for users in steps:
                ok, text = report(users, run_step(port, users, args.seconds, data, folder))
                print(text, flush=True)
                sustained = users if ok else sustained
            print(
                f"sustained: {sustained} concurrent users with p95 < {P95_TARGET_MS} ms"
                " and no error"
                if sustained
                else "sustained: not even the first step"
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
