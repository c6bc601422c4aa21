"""Hostile input on every route: a 4xx in Japanese or an ordinary page, never a 5xx, and a
refused request changes no row.

The examples first (each was a 500 once), then a Hypothesis search over every route of the
app, every role, and a corpus of values that break parsers and databases.
"""

import hashlib
import os
import re
import uuid
import zlib
from datetime import date, time, timedelta
from functools import partial
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, note, seed, settings
from hypothesis import strategies as st

from booking.auth.models import Role
from booking.extensions import db
from booking.rooms.models import Facility, FacilityKind, FeeBasis, OpeningHours, Room, Ward
from booking.timeutil import at_tokyo, today_tokyo
from tests.conftest import csrf_token, log_in

HUGE = "99999999999999999999"


@pytest.fixture
def other_facility(app):
    facility = Facility(
        code="other",
        ward=Ward.KITA,
        name_ja="北区民センター",
        name_en="Kita",
        address="札幌市北区",
        kind=FacilityKind.SUPPORT_CENTER,
        fee_basis=FeeBasis.FULL_EXEMPTION,
        bookable_from=date(2020, 1, 1),
        opening_hours=[OpeningHours(weekday=d, opens=time(9), closes=time(21)) for d in range(7)],
        rooms=[Room(code="kita", name_ja="面談室北", name_en="North")],
    )
    db.session.add(facility)
    db.session.commit()
    return facility


def client_for(app, user):
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    return client


@pytest.fixture
def admin_client(app, make_user):
    return client_for(app, make_user(Role.ADMIN, email="admin@example.jp"))


@pytest.mark.parametrize(
    "path",
    [
        f"/rooms/{HUGE}/week",
        f"/rooms/{HUGE}/reserve",
        "/rooms/2147483648/week",  # one beyond PostgreSQL's integer
        "/rooms/0/week",
        f"/manage/facilities/{HUGE}/schedule",
        f"/manage/facilities/{HUGE}/schedule.csv",
        f"/manage/facilities/{HUGE}/desk",
        f"/manage/facilities/{'9' * 5000}/board",  # more digits than int() accepts
    ],
)
def test_ids_beyond_the_database_are_a_japanese_404(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 404
    assert "ページが見つかりません" in response.get_data(as_text=True)


def test_deleting_a_closure_beyond_the_database_is_a_404(app, admin_client):
    token = csrf_token(admin_client, "/manage/")
    response = admin_client.post(f"/manage/closures/{HUGE}/delete", data={"csrf_token": token})
    assert response.status_code == 404


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"])
@pytest.mark.parametrize("page", ["schedule", "schedule.csv"])
def test_schedule_of_an_impossible_day_shows_today(admin_client, facility, now, day, page):
    response = admin_client.get(f"/manage/facilities/{facility.id}/{page}?day={day}")
    assert response.status_code == 200
    if page == "schedule.csv":
        assert today_tokyo().isoformat() in response.headers["Content-Disposition"]


@pytest.mark.parametrize("start", ["9999-12-31", "0001-01-01", "2101-01-01"])
def test_week_of_an_impossible_day_starts_today(officer_client, room, now, start):
    response = officer_client.get(f"/rooms/{room.id}/week?start={start}")
    assert response.status_code == 200
    assert "2025年4月7日" in response.get_data(as_text=True)


@pytest.mark.parametrize("email", ["officer\x00@example.jp", "officer@example.jp\x1b", "\x7f"])
def test_login_refuses_control_characters_in_japanese(client, officer, email):
    data = {"email": email, "password": "x", "csrf_token": csrf_token(client)}
    response = client.post("/login", data=data)
    assert response.status_code == 422
    assert "使えない文字が含まれています" in response.get_data(as_text=True)


@pytest.mark.parametrize("feed", ["facility-9999999999", "room-2147483648", "facility-0"])
def test_issuing_a_feed_beyond_the_database_is_refused(admin_client, feed):
    token = csrf_token(admin_client, "/calendar")
    response = admin_client.post("/calendar/issue", data={"feed": feed, "csrf_token": token})
    assert response.status_code == 400
    assert "カレンダーの指定が正しくありません" in response.get_data(as_text=True)


def test_every_id_in_a_route_goes_through_the_id_converter(app):
    """A plain <int:...> would let a number beyond the database through to a query."""
    from werkzeug.routing import IntegerConverter

    from booking.inputs import IdConverter

    for rule in app.url_map.iter_rules():
        for converter in rule._converters.values():
            if isinstance(converter, IntegerConverter):
                assert isinstance(converter, IdConverter), rule.rule


# --- A search over every route, every role and a corpus of hostile values ----------------------

# Values that break parsers and databases, as text (percent-encoded when sent) ...
HOSTILE_TEXT = [
    HUGE,
    "-1",
    "0",
    "2147483648",
    "-9223372036854775809",
    "1e309",
    "NaN",
    "0001-01-01",
    "9999-12-31",
    "2025-02-29",
    "2025-04-08",
    "令和7年4月8日",
    "２０２５－０４－０８",
    "25:00",
    "10:00",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\r\n",
    "\x7f",
    "\u202egnp.exe",
    "x" * 10_240,
    "あ" * 3_500,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "//evil.example/",
    "=cmd|' /C calc'!A0",
    "{{7*7}}",
    "mine",
    "facility-9999999999",
    "room-1",
    "weekly",
    "monthly_nth",
    "",
]
# ... and as bytes that are not UTF-8 once decoded, sent as they are.
RAW = ["%ff%fe", "%00", "%c0%af", "%e2%80%ae", "%", "%zz"]


ORDINARY = ["officer@example.jp", "メモ", "2025-04-08", "1"]
CONTROL = ["\x00", "\x01", "\x08", "\x1b", "\x7f", "\u202e", "\u2028", "\ufeff"]


def text_values():
    """A hostile value, encoded for a URL or a form body; each kind of trouble equally often."""
    encoded = partial(quote, safe="")
    return st.one_of(
        st.sampled_from(HOSTILE_TEXT).map(encoded),
        st.sampled_from(RAW),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
        # An ordinary-looking value with a control character or an RTL override in it.
        st.tuples(
            st.sampled_from(["officer@example.jp", "メモ", "2025-04-08", "1"]),
            st.sampled_from(CONTROL),
        ).map(lambda pair: encoded(pair[0] + pair[1])),
        st.text(max_size=20).map(encoded),
    )


QUERY_KEYS = ["day", "start", "next", "refresh", "ward", "part", "evening_or_weekend", "minutes"]
QUERY_KEYS += ["q", "role", "facility", "status", "page"]  # the account list
# A valid booking, closure, login... : hostile values replace some fields, so that the others
# carry the request past the form into the services.
BASELINE = {
    "day": "2025-04-08",
    "start": "15:00",
    "minutes": "60",
    "probation_officer": "none",
    "repeat": "",
    "interval_weeks": "1",
    "repeat_until": "2025-04-22",
    "desk_note": "駐車場を使います",
    "first_day": "2025-04-14",
    "last_day": "2025-04-14",
    "reason": "点検",
    "phone": "011-211-2345",
    "desk_location": "1階",
    "desk_email": "desk@example.jp",
    "feed": "mine",
    "lang": "en",
    "email": "officer@example.jp",
    "password": "wrong",
    "name": "保護司 二郎",  # an account, as an administrator types it
    "name_kana": "ほごし じろう",
    "role": "officer",
    "home_ward": "kita",
    "login_id": "H123456",
    "code": "ABCD-EFGH-JKMN",
}
FORM_KEYS = [*BASELINE, "room", "officer", "confirm", "idempotency_key", "caution", "next"]
ROLES = ["anonymous", "officer", "manager", "other manager", "admin"]


class Visitors:
    """A logged-in session cookie and a CSRF token per role; each request gets a new client."""

    def __init__(self, app, users):
        self.app, self.users, self.sessions = app, users, {}
        for role in ROLES:
            self.log_in(role)

    def log_in(self, role):
        client = self.app.test_client()
        if role != "anonymous":
            assert log_in(client, self.users[role].email).status_code == 302
        token = csrf_token(client, "/login" if role == "anonymous" else "/calendar")
        self.sessions[role] = (client.get_cookie("session"), token)

    def client(self, role):
        client = self.app.test_client()
        cookie, token = self.sessions[role]
        if cookie is not None:
            client.set_cookie("session", cookie.value)
        return client, token


@pytest.fixture
def scene(app, make_user, facility, other_facility, make_room, officer, now):
    """Two facilities with a room each, every role, reservations, a closure and a feed."""
    from booking.admin import imports
    from booking.feeds import services as feeds
    from booking.feeds.models import Feed, FeedKind
    from booking.reservations.services import SafetyDetails, Slot, book
    from booking.rooms.models import Closure

    room = make_room()
    users = {
        "officer": officer,
        "manager": make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility]),
        "other manager": make_user(
            Role.MANAGER, email="kita@example.jp", facilities=[other_facility]
        ),
        "admin": make_user(Role.ADMIN, email="admin@example.jp"),
    }
    colleague = make_user(Role.OFFICER, email="colleague@example.jp")
    starts = at_tokyo(date(2025, 4, 8), time(10))
    mine = book(
        Slot(room, starts, starts + timedelta(hours=1)),
        officer,
        by=officer,
        safety=SafetyDetails(desk_note="メモ"),
    )
    kita = other_facility.rooms[0]
    theirs = book(
        Slot(kita, starts, starts + timedelta(hours=1)),
        colleague,
        by=colleague,
        safety=SafetyDetails(),
    )
    closure = Closure(
        facility_id=facility.id,
        starts_at=at_tokyo(date(2025, 4, 21), time(0)),
        ends_at=at_tokyo(date(2025, 4, 22), time(0)),
        reason="点検",
    )
    db.session.add(closure)
    token = feeds.issue(officer, Feed(FeedKind.MINE), by=officer)
    upload = imports.store(
        "氏名,メールアドレス\r\n新人,new@example.jp\r\n".encode("cp932"), "a.csv", by=users["admin"]
    )
    db.session.commit()
    real = {
        "room_id": [str(room.id), str(kita.id)],
        "facility_id": [str(facility.id), str(other_facility.id)],
        "closure_id": [str(closure.id)],
        "public_id": [str(mine.public_id), str(theirs.public_id), str(uuid.uuid4())],
        "token": [token],
        "import_id": [str(upload.id)],
        "filename": ["css/app.css"],
        "room": [str(room.id), str(kita.id)],
        "officer": [str(officer.id), str(colleague.id)],
        "user_id": [str(colleague.id)],  # not a visitor: a deactivation would log one out
        "action": ["deactivate", "reactivate", "end-sessions", "reset-two-factor", "invite"],
    }
    return Visitors(app, users), real


def database_checksum() -> dict[str, tuple[int, str]]:
    """Each table's row count and a hash of its rows, in primary-key order."""
    state = {}
    for table in db.metadata.sorted_tables:
        query = sa.select(table).order_by(*table.primary_key.columns)
        if table.name == "audit_event":  # a refused login is audited, by design
            query = query.where(table.c.action != "user.login_failed")
        rows = db.session.execute(query).all()
        state[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    db.session.rollback()
    return state


def fill_path(rule: str, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda match: values[match.group(1)], rule)


@st.composite
def hostile_inputs(draw, rule, real):
    """Path, query and form values for one route: each field hostile or ordinary, half and half.

    Ordinary values in the other fields carry the request past the form into the services.
    """
    # Mostly real ids, so that the request reaches the view and the values after it.
    path = {
        name: draw(
            st.sampled_from(real.get(name, ["1"])) if draw(st.integers(0, 3)) else text_values()
        )
        for name in rule.arguments
    }
    query = draw(st.dictionaries(st.sampled_from(QUERY_KEYS), text_values(), max_size=3))
    form = {}
    for key in FORM_KEYS:
        ordinary = real.get(key) or [quote(BASELINE.get(key, ""), safe="")]
        form[key] = draw(st.one_of(st.sampled_from(ordinary), text_values()))
    with_token = draw(st.integers(0, 9)) > 0  # a few forged posts; most pass CSRF to the form
    return path, query, form, with_token


# Tried on every route besides the random examples: each value in every query and form field.
EVERYWHERE = ["a%00b%E2%80%AE", HUGE, "0001-01-01", "%ff%fe"]


def everywhere(rule, real, value):
    """Real path values (to reach the view), ``value`` in every query and form field."""
    path = {name: real.get(name, ["1"])[0] for name in rule.arguments}
    fields = {key: value for key in FORM_KEYS}
    return path, dict.fromkeys(QUERY_KEYS, value), fields, True


def send(client, method, url, form, token):
    if method == "GET":
        return client.get(url)
    if token:
        form = {**form, "csrf_token": token}
    body = "&".join(f"{key}={value}" for key, value in form.items())
    return client.post(url, data=body, content_type="application/x-www-form-urlencoded")


@pytest.fixture
def routes(app):
    """Every route of the app with each method it answers, GET and POST."""
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)
    return [(rule, method) for rule in rules for method in sorted(rule.methods & {"GET", "POST"})]


def test_no_route_answers_5xx_and_no_refusal_changes_a_row(app, scene, routes):
    """Every route, as every role, with hostile path, query and form values."""
    visitors, real = scene
    tables = [database_checksum()]  # as the last request left them

    def search(rule, method):
        @settings(
            max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "4")),
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        # A fixed seed per route: the same examples on every run (CI), different on each route.
        @seed(zlib.crc32(f"{method} {rule.rule}".encode()))
        @given(hostile_inputs(rule, real))
        def each_role(inputs):
            path, query, form, with_token = inputs
            url = fill_path(rule.rule, path)
            if query:
                url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
            for role in ROLES:
                client, token = visitors.client(role)
                response = send(client, method, url, form, with_token and token)
                note(f"{method} {url[:300]} as {role}: {response.status_code}")
                assert response.status_code < 500, response.get_data(as_text=True)[:300]
                after = database_checksum()
                if response.status_code >= 400:
                    assert after == tables[-1], "a refused request changed a row"
                tables.append(after)
                if rule.endpoint == "auth.logout" and response.status_code < 400:
                    visitors.log_in(role)
                    tables.append(database_checksum())

        for value in EVERYWHERE:
            each_role = example(everywhere(rule, real, value))(each_role)
        each_role()

    for rule, method in routes:
        search(rule, method)
