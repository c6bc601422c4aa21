"""Races against a real server: the database refuses double bookings under concurrency.

Each test makes its data with the suite's app, starts gunicorn (several processes, several
threads each) on the same database, logs in one browser-like client per simultaneous request,
and then fires all the booking forms at once. Exactly one booking wins, every other request
gets the 409 conflict answer, none gets a 5xx, and the reservation table holds no overlap.

On SQLite the race is settled by BEGIN IMMEDIATE on write requests (without it the losers
get 500 "database is locked"); on PostgreSQL by the two exclusion constraints (without them
several bookings win). The server runs on the real clock, so the slot is two days ahead.
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time as clock
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from http.cookies import SimpleCookie
from itertools import combinations
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from booking.auth.models import Role
from booking.extensions import db
from booking.reservations.models import Reservation, Status
from booking.rooms.models import (
    Facility,
    FacilityKind,
    FeeBasis,
    OpeningHours,
    Room,
    Ward,
)
from booking.timeutil import TOKYO, at_tokyo
from tests.conftest import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
CONTENDERS = 32
WORKERS, THREADS = 4, 8  # 32 requests handled at the same moment, in four processes
REQUEST_TIMEOUT = 20  # seconds, for every single HTTP request
STARTUP_TIMEOUT = 20
PREPARERS = 2  # clients logging in at the same time before the race
RESERVATION_URL = re.compile(
    r"^/reservations/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


# ---------------------------------------------------------------------------- HTTP client


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str

    @property
    def location_path(self) -> str:
        return urlsplit(self.headers.get("Location", "")).path


def hidden_value(html: str, name: str) -> str:
    """The value of the hidden input called ``name`` on a page."""
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    value = tag and re.search(r'\bvalue="([^"]*)"', tag.group(0))
    assert value, f"no hidden field {name!r} on the page"
    return value.group(1)


@dataclass
class Browser:
    """One user's browser: its own cookies, a new connection per request, always a timeout."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def connect(self) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        connection.connect()
        return connection

    def send(self, connection, method: str, path: str, form: dict | None = None) -> Answer:
        headers = {"Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer = Answer(response.status, response.headers, response.read().decode())
        finally:
            connection.close()
        for line in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return answer

    def get(self, path: str) -> Answer:
        return self.send(self.connect(), "GET", path)

    def post(self, path: str, form: dict) -> Answer:
        return self.send(self.connect(), "POST", path, form)

    def log_in(self, email: str) -> None:
        page = self.get("/login")
        assert page.status == 200, page.status
        answer = self.post(
            "/login",
            {
                "email": email,
                "password": TEST_PASSWORD,
                "csrf_token": hidden_value(page.body, "csrf_token"),
                "next": "",
            },
        )
        assert answer.status == 302, f"login of {email} answered {answer.status}"


# ---------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path

    def log_tail(self, chars: int) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def error_lines(self) -> list[str]:
        """Each distinct exception line of the log, with how often it occurred."""
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        found = Counter(
            line for line in lines if re.match(r"^[\w.]+(Error|Exception|Detected)\b", line)
        )
        return [f"{n} x {line}" for line, n in found.most_common()]

    def wait_until_ready(self) -> None:
        deadline = clock.monotonic() + STARTUP_TIMEOUT
        while clock.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"gunicorn exited with {self.process.returncode}:\n{self.log_tail(6000)}"
                )
            try:
                if Browser(self.port).get("/login").status == 200:
                    return
            except OSError:
                pass
            clock.sleep(0.1)
        pytest.fail(f"gunicorn did not answer within {STARTUP_TIMEOUT} s:\n{self.log_tail(6000)}")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: master and workers
            self.process.wait(timeout=5)


@pytest.fixture
def start_server(app, database_url, tmp_path):
    """Start gunicorn serving wsgi:app on ``database_url``; it is stopped even on failure.

    It depends on ``app``, so it stops before ``app`` empties the tables.
    """
    servers: list[Server] = []

    def start() -> Server:
        db.session.remove()  # the test's own transaction must not hold SQLite's lock
        port = free_port()
        log = tmp_path / f"gunicorn-{port}.log"
        environment = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "race-test-secret",
            "APP_ENV": "development",
            "RATELIMIT_ENABLED": "0",
        }
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    str(GUNICORN),
                    "--chdir",
                    str(ROOT),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(WORKERS),
                    "--threads",
                    str(THREADS),
                    "--worker-class",
                    "gthread",
                    "--timeout",
                    "30",
                    "--graceful-timeout",
                    "1",
                    "--preload",
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(process, port, log)
        servers.append(server)
        server.wait_until_ready()
        return server

    yield start
    for server in servers:
        server.stop()


# ---------------------------------------------------------------------------- the data


@pytest.fixture
def always_open(app):
    """A facility open every day of the year, 00:00-23:45, so that any real date works."""
    facility = Facility(
        code="race-center",
        ward=Ward.CHUO,
        name_ja="競争テストセンター",
        name_en="Race Test Center",
        address="札幌市中央区北1条西2丁目",
        phone="011-211-2345",
        kind=FacilityKind.SUPPORT_CENTER,
        fee_basis=FeeBasis.FULL_EXEMPTION,
        closes_on_holidays=False,
        closes_year_end=False,
        bookable_from=date(2020, 1, 1),
        opening_hours=[
            OpeningHours(weekday=d, opens=time(0, 0), closes=time(23, 45)) for d in range(7)
        ],
    )
    db.session.add(facility)
    db.session.commit()
    return facility


@pytest.fixture
def make_rooms(always_open):
    def make(count: int) -> list[int]:
        rooms = [
            Room(facility=always_open, code=f"race-{n}", name_ja=f"面談室{n}", name_en=f"Room {n}")
            for n in range(1, count + 1)
        ]
        db.session.add_all(rooms)
        db.session.commit()
        return [room.id for room in rooms]

    return make


def slot_day() -> date:
    """The day after tomorrow in Sapporo: in the future and inside the booking window."""
    return datetime.now(TOKYO).date() + timedelta(days=2)


SLOT_START = time(10, 0)
SLOT_MINUTES = 60


# ---------------------------------------------------------------------------- the race


@dataclass
class Contender:
    """A logged-in browser with a fresh booking form for one room, ready to submit."""

    browser: Browser
    room_id: int
    form: dict

    @property
    def path(self) -> str:
        return f"/rooms/{self.room_id}/reserve"


def prepare(port: int, day: date, email: str, room_id: int) -> Contender:
    browser = Browser(port)
    browser.log_in(email)
    page = browser.get(f"/rooms/{room_id}/reserve")
    assert page.status == 200, f"booking form of room {room_id} answered {page.status}"
    form = {
        "day": day.isoformat(),
        "start": SLOT_START.strftime("%H:%M"),
        "minutes": str(SLOT_MINUTES),
        "probation_officer": "none",
        "repeat": "",
        "interval_weeks": "1",
        "idempotency_key": hidden_value(page.body, "idempotency_key"),
        "csrf_token": hidden_value(page.body, "csrf_token"),
    }
    return Contender(browser, room_id, form)


def prepare_all(port: int, day: date, entrants: list[tuple[str, int]]) -> list[Contender]:
    """Log every (email, room) pair in and open its form, a few at a time."""
    contenders: list[Contender | None] = [None] * len(entrants)
    errors: list[BaseException] = []

    def work(indexes):
        for i in indexes:
            try:
                contenders[i] = prepare(port, day, *entrants[i])
            except BaseException as error:
                errors.append(error)

    threads = [
        threading.Thread(target=work, args=(range(k, len(entrants), PREPARERS),), daemon=True)
        for k in range(PREPARERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT * 3)
    if errors:
        raise errors[0]
    assert all(contenders), "some contenders were not ready in time"
    return contenders


def race(contenders: list[Contender]) -> list[Answer | BaseException]:
    """Submit every contender's form at the same moment; each result in contender order.

    Every thread connects first, waits at the barrier, then sends its request, so that the
    requests reach the server together.
    """
    barrier = threading.Barrier(len(contenders))
    results: list[Answer | BaseException | None] = [None] * len(contenders)

    def submit(i: int, contender: Contender) -> None:
        try:
            connection = contender.browser.connect()
            barrier.wait(timeout=REQUEST_TIMEOUT)
            results[i] = contender.browser.send(connection, "POST", contender.path, contender.form)
        except BaseException as error:
            barrier.abort()
            results[i] = error

    threads = [
        threading.Thread(target=submit, args=(i, c), daemon=True) for i, c in enumerate(contenders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT * 2)
    assert not any(thread.is_alive() for thread in threads), "a request never returned"
    return results


def answer_problems(results) -> list[str]:
    """What is wrong with the answers: anything but one 302 to a reservation and 409s."""
    answers = [r for r in results if isinstance(r, Answer)]
    problems = [f"request failed: {r!r}" for r in results if not isinstance(r, Answer)]
    problems += [f"answered {r.status} (a server error)" for r in answers if r.status >= 500]
    winners = [r for r in answers if r.status == 302]
    if len(winners) != 1:
        problems.append(f"{len(winners)} bookings succeeded, not exactly one")
    problems += [
        f"302 to {r.headers.get('Location')!r}, not to a reservation"
        for r in winners
        if not RESERVATION_URL.match(r.location_path)
    ]
    problems += [
        f"answered {r.status}, not 409"
        for r in answers
        if r.status not in (302, 409) and r.status < 500
    ]
    problems += [
        "a 409 without the conflict message"
        for r in answers
        if r.status == 409 and "予約があります" not in r.body
    ]
    return problems


def active_reservations() -> list[Reservation]:
    db.session.remove()  # read what the server committed, not a stale snapshot
    return list(
        db.session.scalars(
            select(Reservation).where(Reservation.status == Status.ACTIVE).order_by(Reservation.id)
        )
    )


def overlap_problems(reservations: list[Reservation]) -> list[str]:
    """Any room or officer holding two overlapping active reservations."""
    rooms: dict[int, set[int]] = {}
    officers: dict[int, set[int]] = {}
    for a, b in combinations(reservations, 2):
        if a.room_id == b.room_id and a.starts_at < b.blocks_until and b.starts_at < a.blocks_until:
            rooms.setdefault(a.room_id, set()).update((a.id, b.id))
        if a.officer_id == b.officer_id and a.starts_at < b.ends_at and b.starts_at < a.ends_at:
            officers.setdefault(a.officer_id, set()).update((a.id, b.id))
    return [
        f"{kind} {key} double-booked: overlapping reservations {sorted(ids)}"
        for kind, found in (("room", rooms), ("officer", officers))
        for key, ids in found.items()
    ]


def winner_problems(results, reservations, day, room_ids, officer_ids) -> list[str]:
    """The one reservation in the table is the winner's, for the slot that was asked for."""
    if len(reservations) != 1:
        return [f"{len(reservations)} active reservations in the table, not one"]
    (booked,) = reservations
    starts_at = at_tokyo(day, SLOT_START)
    locations = [r.location_path for r in results if isinstance(r, Answer) and r.status == 302]
    checks = {
        "the winner was sent to it": locations == [f"/reservations/{booked.public_id}"],
        "it is in a contested room": booked.room_id in room_ids,
        "it belongs to a contender": booked.officer_id in officer_ids,
        "it starts when asked": booked.starts_at == starts_at,
        "it lasts as long as asked": booked.ends_at - starts_at == timedelta(minutes=SLOT_MINUTES),
    }
    return [
        f"reservation {booked.id}: not true that {check}" for check, ok in checks.items() if not ok
    ]


def report(problems: list[str], results, server: Server) -> str:
    answers = Counter(r.status if isinstance(r, Answer) else type(r).__name__ for r in results)
    return "\n".join(
        [
            *(f"{n} x {problem}" if n > 1 else problem for problem, n in Counter(problems).items()),
            f"answers: {dict(answers)}",
            "--- server errors ---",
            *server.error_lines(),
            "--- end of server log ---",
            server.log_tail(3000),
        ]
    )


def assert_one_winner(results, server: Server, day: date, room_ids, officer_ids) -> None:
    """One 302, 409 for all others, no 5xx; the table holds that one booking and no overlap."""
    reservations = active_reservations()
    problems = (
        answer_problems(results)
        + overlap_problems(reservations)
        + winner_problems(results, reservations, day, room_ids, officer_ids)
    )
    assert not problems, report(problems, results, server)


# ---------------------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def server_strength_hash() -> str:
    """TEST_PASSWORD hashed with the server's own argon2 parameters.

    The suite hashes with cheap parameters; the server would rehash such a hash at every
    login (a write) and slow the logins down. A hash it accepts as it is avoids that.
    """
    return PasswordHasher().hash(TEST_PASSWORD)


@pytest.fixture
def make_officer(make_user, server_strength_hash):
    def make(email: str):
        return make_user(Role.OFFICER, email=email, password_hash=server_strength_hash)

    return make


def test_32_officers_race_for_one_room_and_slot(make_rooms, make_officer, start_server):
    (room_id,) = make_rooms(1)
    officers = [make_officer(f"racer{n}@example.jp") for n in range(CONTENDERS)]
    emails = [officer.email for officer in officers]
    officer_ids = {officer.id for officer in officers}
    server = start_server()

    day = slot_day()
    contenders = prepare_all(server.port, day, [(email, room_id) for email in emails])
    results = race(contenders)

    assert_one_winner(results, server, day, {room_id}, officer_ids)


def test_one_officer_races_for_several_rooms_at_one_time(make_rooms, make_officer, start_server):
    room_ids = make_rooms(4)
    officer = make_officer("busy@example.jp")
    email, officer_id = officer.email, officer.id
    server = start_server()

    day = slot_day()
    entrants = [(email, room_ids[n % len(room_ids)]) for n in range(CONTENDERS)]
    contenders = prepare_all(server.port, day, entrants)
    assert len({c.form["idempotency_key"] for c in contenders}) == CONTENDERS
    results = race(contenders)

    assert_one_winner(results, server, day, set(room_ids), {officer_id})


def test_64_officers_race_across_two_app_servers(make_rooms, make_officer, start_server):
    """Two servers over one database, as behind a load balancer: still exactly one winner."""
    (room_id,) = make_rooms(1)
    officers = [make_officer(f"racer{n}@example.jp") for n in range(2 * CONTENDERS)]
    officer_ids = {officer.id for officer in officers}
    servers = [start_server(), start_server()]

    day = slot_day()
    halves = [
        prepare_all(server.port, day, [(o.email, room_id) for o in officers[n::2]])
        for n, server in enumerate(servers)
    ]
    results = race([contender for half in halves for contender in half])

    try:
        assert_one_winner(results, servers[0], day, {room_id}, officer_ids)
    except AssertionError as failure:
        second = servers[1].log_tail(3000)
        raise AssertionError(f"{failure}\n--- second server ---\n{second}") from None
