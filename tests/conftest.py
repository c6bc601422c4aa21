"""Fixtures shared by the whole suite: one app per backend, factories, a logged-in client.

Every database test runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.
The schema is always made by the migrations, never by create_all().
"""

import email
import email.policy
import os
import re
import shutil
import socket
import threading
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from pathlib import Path

import flask_migrate
import pyotp
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import func, select

from booking import create_app
from booking.auth import services as accounts
from booking.auth.models import Role
from booking.extensions import db
from booking.reservations import services
from booking.reservations.services import SafetyDetails, Slot
from booking.rooms.seed import seed_rooms
from booking.timeutil import at_tokyo, now_utc

TEST_PASSWORD = "correct horse battery"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def config_for(database_url: str, **extra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_ENABLED": False,
        "FEED_CACHE_URL": "off",
        "PWNED_PASSWORDS_URL": "",  # no test reaches the internet (tests/test_breached.py)
        **extra,
    }


def reset_postgresql(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Argon2id still, with the cheapest parameters: the suite hashes hundreds of passwords."""
    from argon2 import PasswordHasher

    strong, accounts.hasher = accounts.hasher, PasswordHasher(time_cost=1, memory_cost=1024)
    yield
    accounts.hasher = strong


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> str:
    """A database of one backend, migrated to head once for the session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite')}/suite.sqlite3"
    else:
        url = os.environ["TEST_DATABASE_URL"]
        reset_postgresql(url)
    app = create_app(config_for(url))
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def backend(database_url) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


class Client(FlaskClient):
    """Each request gets its own app context and database session, as in production.

    The test's own transaction is committed first, so that the request sees what the test
    made and the test afterwards reads what the request committed, not a stale snapshot.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url, tmp_path):
    """The app inside an app context; every table is emptied afterwards.

    Its feed bodies are kept in the test's own folder: ids and frozen clocks repeat from test
    to test, and so would ETags.
    """
    app = create_app(config_for(database_url, FEED_CACHE_URL=str(tmp_path)))
    app.test_client_class = Client
    with app.app_context():
        yield app
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def seeded(app):
    """Sapporo's facilities and rooms, as `flask seed` loads them."""
    seed_rooms()
    db.session.commit()


@pytest.fixture
def make_user(app):
    """Create and commit a user; password TEST_PASSWORD unless given."""
    serial = count(1)

    def make(
        role=Role.OFFICER,
        *,
        email=None,
        password=TEST_PASSWORD,
        facilities=(),
        two_factor=None,
        **fields,
    ):
        user = accounts.create_user(
            email or f"user{next(serial)}@example.jp",
            fields.pop("name", "テスト 利用者"),
            role,
            password,
            facility_ids=[f.id for f in facilities],
        )
        for name, value in fields.items():
            setattr(user, name, value)
        if user.is_staff if two_factor is None else two_factor:
            enrol_second_factor(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def officer(make_user):
    return make_user(Role.OFFICER, email="officer@example.jp", name="保護司 一郎")


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token a page of ``path`` carries for this client's session."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def enrol_second_factor(user) -> None:
    """Staff must have a second factor: as if they had set up an authenticator app."""
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed_at = datetime(2025, 1, 6, tzinfo=UTC)


def current_code(email: str) -> str:
    """The code the account's authenticator app shows now (by the app's clock).

    A used time step is forgotten first, so that a test may log the same person in twice
    while its clock stands still; test_two_factor.py checks that codes are not reused.
    """
    user = accounts.find_user(email)
    user.totp_last_step = None
    db.session.commit()
    return pyotp.TOTP(user.totp_secret).at(now_utc())


def log_in(client, email: str, password: str = TEST_PASSWORD, **extra):
    """Log in through the login page, and its code page when the account has a second factor."""
    data = {"email": email, "password": password, "csrf_token": csrf_token(client), **extra}
    response = client.post("/login", data=data)
    if response.status_code == 302 and response.headers["Location"] == "/login/code":
        code = {"code": current_code(email), "csrf_token": csrf_token(client, "/login/code")}
        response = client.post("/login/code", data=code)
    return response


@pytest.fixture
def officer_client(client, officer):
    assert log_in(client, officer.email).status_code == 302
    return client


def row_count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


LOGIN_ACTIONS = ("user.login", "user.login_failed", "user.logout")


def audited_changes() -> int:
    """Audit events of changes, leaving out the logins and logouts a test made on its way."""
    from booking.audit import AuditEvent

    query = select(func.count()).where(AuditEvent.action.not_in(LOGIN_ACTIONS))
    return db.session.scalar(query)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """Set the application's clock: clock(datetime(..., tzinfo=...))."""
    import booking.timeutil

    def set_now(moment: datetime) -> None:
        monkeypatch.setattr(booking.timeutil, "frozen_now", moment.astimezone(UTC))

    return set_now


@pytest.fixture
def facility(app):
    """A ward office: weekdays 8:45-17:15, closed on national holidays and at the year end."""
    from booking.rooms.models import Facility, FacilityKind, FeeBasis, OpeningHours, Ward

    facility = Facility(
        code="test-office",
        ward=Ward.CHUO,
        name_ja="テスト区役所",
        name_en="Test Ward Office",
        address="札幌市中央区北1条西2丁目",
        phone="011-211-2345",
        kind=FacilityKind.SUPPORT_CENTER,
        fee_basis=FeeBasis.FULL_EXEMPTION,
        bookable_from=date(2020, 1, 1),
        opening_hours=[
            OpeningHours(weekday=d, opens=time(8, 45), closes=time(17, 15)) for d in range(5)
        ],
    )
    db.session.add(facility)
    db.session.commit()
    return facility


@pytest.fixture
def make_room(facility):
    """Add a room to the test facility; staffed 9:30-16:00 on weekdays."""
    from booking.rooms.models import Room, StaffedHours

    serial = count(1)

    def make(**rules):
        number = next(serial)
        room = Room(
            facility=facility,
            code=f"room-{number}",
            name_ja=f"面談室{number}",
            name_en=f"Room {number}",
            staffed_hours=[
                StaffedHours(weekday=d, opens=time(9, 30), closes=time(16)) for d in range(5)
            ],
            **rules,
        )
        db.session.add(room)
        db.session.commit()
        return room

    return make


@pytest.fixture
def room(make_room):
    return make_room()


# Monday 7 April 2025, 9:00 in Sapporo: the suite's usual "now".
NOW = datetime(2025, 4, 7, 0, 0, tzinfo=UTC)


TUESDAY = date(2025, 4, 8)  # the day after NOW


def booked(room, officer, start="10:00", minutes=60, **safety):
    """A reservation on TUESDAY made through the service and committed, as the view does."""
    starts_at = at_tokyo(TUESDAY, time.fromisoformat(start))
    reservation = services.book(
        Slot(room, starts_at, starts_at + timedelta(minutes=minutes)),
        officer,
        by=officer,
        safety=SafetyDetails(**safety),
    )
    db.session.commit()
    return reservation


@pytest.fixture
def now(clock):
    clock(NOW)
    return NOW


class MailServer(list):
    """A real SMTP server on localhost (aiosmtpd): the messages it took, in order.

    ``answer`` makes it refuse every message with that reply (``"451 ..."``, ``"550 ..."``);
    ``stop()`` and ``start()`` take it down and bring it back on the same port.
    """

    def __init__(self):
        super().__init__()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.answer: str | None = None
        self.controller = None

    async def handle_DATA(self, _server, _session, envelope):
        if self.answer:
            return self.answer
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.append(parsed)
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(app):
    """A running mail server the app is configured to send through."""
    server = MailServer()
    server.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    yield server
    server.stop()


# Browser tests: Debian's Chromium driven by Playwright against a live threaded server.

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONE = {"width": 375, "height": 812}


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium; skipped without one, unless REQUIRE_BROWSER=1 (as in CI)."""
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed: `apt-get install -y chromium` to run browser tests"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The app served by a threaded server in this process, so that the clock fixture holds."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def phone(chromium, live_server, request):
    """A phone-sized page; a screenshot of where it ended is saved as a test artifact."""
    context = chromium.new_context(viewport=PHONE, base_url=live_server, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()


def axe_violations(page) -> list[str]:
    """What axe-core finds on the page, of any impact: every page is held to none."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} × {len(v['nodes'])}" for v in found]


def browser_log_in(page, email: str, password: str = TEST_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログインする").click()
    page.wait_for_load_state()
    if page.url.endswith("/login/code"):
        page.get_by_label("確認コード").fill(current_code(email))
        page.get_by_role("button", name="ログインする").click()
    page.wait_for_url("**/")
    # The login wrote its session and audit event: end the test's own transaction, begun
    # before them, so that on SQLite the test may write after them (as the Client does).
    db.session.commit()
