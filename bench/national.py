"""The pages at national size, for `make bench BENCH_ARGS="--postgresql --national"`.

The data of `flask demo national` (46,000 officers, 1,000 facilities, 2,000 rooms) with
100,000 reservations, then with the national 6,000,000 (or --national-reservations), on
TEST_DATABASE_URL. At each size: a booking POST, find-a-room for a ward, a room's week, a
day's schedule, the safety board, a feed's 304 and its 200 (built); each as a median, as a
ratio to a trivial endpoint measured alongside, and as a ratio to the same page at 100,000.
Targets: every page within 2x its time at 100,000; the booking POST within 10x the trivial
endpoint.
"""

from __future__ import annotations

import gc
import itertools
import re
import statistics
import time
from datetime import time as clock
from datetime import timedelta

import flask_migrate
import pyotp
from sqlalchemy import select

from bench.feeds import reset_postgresql
from booking import create_app
from booking.auth import services as accounts
from booking.auth.models import Role, User
from booking.extensions import db
from booking.feeds import services as feeds
from booking.feeds.models import Feed, FeedKind
from booking.ops import national
from booking.rooms.models import Facility, Room
from booking.timeutil import today_tokyo

BASE = 100_000
REPS = 60
BOOKING_TARGET = 10.0
GROWTH_TARGET = 2.0
PASSWORD = "national bench password 2026"
POSTS = itertools.count()


def make_app(url: str):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-" * 8,
            "RATELIMIT_ENABLED": False,
            "PWNED_PASSWORDS_URL": "",
            "WTF_CSRF_ENABLED": False,
            "FEED_CACHE_URL": "off",
            "TESTING": True,
        }
    )
    app.add_url_rule("/_bench/ok", "bench_ok", lambda: "ok")
    return app


def load(url: str, reservations: int) -> float:
    """A fresh national data set with ``reservations`` in all; the seconds it took."""
    reset_postgresql(url)
    app = make_app(url)
    started = time.perf_counter()
    with app.app_context():
        flask_migrate.upgrade(directory="migrations")
        size = national.Size(46_000, 1_000, max(1, reservations // 2_000))
        rooms = national.add_facilities(size)
        officers = national.add_officers(size, PASSWORD)
        national.load_reservations(national.reservation_rows(rooms, officers, size))
        db.session.commit()
        db.engine.dispose()
    return time.perf_counter() - started


def staff(app) -> tuple[int, str, str]:
    """A manager of the first facility (second factor included), an admin; a feed token."""
    with app.app_context():
        facility = db.session.scalar(select(Facility).order_by(Facility.id))
        manager = accounts.create_user(
            "bench-desk@example.jp", "窓口", Role.MANAGER, PASSWORD, facility_ids=[facility.id]
        )
        manager.totp_secret = pyotp.random_base32()
        manager.totp_confirmed_at = db.func.now()
        db.session.flush()
        token = feeds.issue(manager, Feed(FeedKind.FACILITY, facility.id), by=manager)
        db.session.commit()
        return facility.id, manager.totp_secret, token


def signed_in(app, email: str, secret: str | None = None):
    client = app.test_client()
    answer = client.post("/login", data={"email": email, "password": PASSWORD})
    if secret:
        answer = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    if answer.status_code != 302:
        raise RuntimeError(f"login of {email} answered {answer.status_code}")
    return client


def timed(call) -> float:
    started = time.perf_counter()
    answer = call()
    elapsed = time.perf_counter() - started
    if answer.status_code >= 400:
        detail = " ".join(re.findall(r"エラー：[^<]*", answer.get_data(as_text=True)))
        raise RuntimeError(f"{answer.request.path} answered {answer.status_code}: {detail}")
    return elapsed


def pages(app) -> dict[str, callable]:
    """Each page as a call that makes one request."""
    facility_id, secret, token = staff(app)
    with app.app_context():
        room_ids = list(db.session.scalars(select(Room.id).order_by(Room.id)))
        emails = list(
            db.session.scalars(
                select(User.email).where(User.role == Role.OFFICER).order_by(User.id).limit(50)
            )
        )
    officers = [signed_in(app, email) for email in emails]
    desk = signed_in(app, "bench-desk@example.jp", secret)
    feed = f"/feeds/{token}.ics"
    etag = desk.get(feed).headers["ETag"]
    tomorrow = today_tokyo() + timedelta(days=1)

    def book():
        # Officer n % 50 on evening n // 50 in room n % 2,000: no officer or room is booked
        # twice in an evening, at either size (the count goes on across sizes).
        n = next(POSTS)
        day = tomorrow + timedelta(days=n // len(officers))
        form = {
            "day": day.isoformat(),
            "start": clock(18).strftime("%H:%M"),
            "minutes": "60",
            "probation_officer": "none",
            "idempotency_key": f"bench{n}",
        }
        room = room_ids[n % len(room_ids)]
        return officers[n % len(officers)].post(f"/rooms/{room}/reserve", data=form)

    return {
        "trivial endpoint": lambda: desk.get("/_bench/ok"),
        "booking POST": book,
        "find a room (a ward)": lambda: officers[0].get(f"/?day={tomorrow}&ward=chuo"),
        "a room's week": lambda: officers[0].get(f"/rooms/{room_ids[0]}/week"),
        "a day's schedule": lambda: desk.get(f"/manage/facilities/{facility_id}/schedule"),
        "safety board": lambda: desk.get(f"/manage/facilities/{facility_id}/board"),
        "feed 304": lambda: desk.get(feed, headers={"If-None-Match": etag}),
        "feed 200": lambda: desk.get(feed),
    }


def measure(app) -> dict[str, float]:
    """Median milliseconds of each page, the pages taking turns so all see the same machine."""
    calls = pages(app)
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():  # warm-up
        timed(call)
    for _ in range(REPS):
        gc.collect()
        for name, call in calls.items():
            samples[name].append(timed(call))
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


def run(url: str, reservations: int) -> list[str]:
    results, loads = {}, {}
    for size in (BASE, reservations):
        loads[size] = load(url, size)
        app = make_app(url)
        results[size] = measure(app)  # each request in its own app context, as when served
        with app.app_context():
            db.engine.dispose()
    lines = [f"   loads: {size:,} in {seconds:.0f} s" for size, seconds in loads.items()]
    base, large = results[BASE], results[reservations]
    for name in base:
        if name == "trivial endpoint":
            continue
        growth = large[name] / base[name]
        to_trivial = large[name] / large["trivial endpoint"]
        target = f"<= {GROWTH_TARGET:g}x {'PASS' if growth <= GROWTH_TARGET else 'FAIL'}"
        if name == "booking POST":
            target += f"; {to_trivial:.1f}x trivial <= {BOOKING_TARGET:g}x " + (
                "PASS" if to_trivial <= BOOKING_TARGET else "FAIL"
            )
        lines.append(
            f"   {name:22} {base[name]:8.2f} ms -> {large[name]:8.2f} ms"
            f" ({to_trivial:5.1f}x trivial)  growth {growth:4.2f}x {target}"
        )
    return lines
