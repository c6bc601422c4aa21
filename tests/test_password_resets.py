"""Forgotten passwords: the same answer for every address, a 30-minute single-use link."""

import email
import email.policy
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.account import invitations
from booking.audit import AuditEvent
from booking.auth import services as accounts
from booking.auth.models import AccountToken, LoginSession, Role, TokenPurpose, User
from booking.extensions import db
from booking.notify.models import OutboxMessage
from booking.security import security_log
from tests.conftest import TEST_PASSWORD, csrf_token, log_in, row_count, utc
from tests.test_throttling import client_at, throttled_app

NEW_PASSWORD = "春の雪 坂の上 古い時計"


def ask(client, address):
    data = {"email": address, "csrf_token": csrf_token(client, "/login/forgot")}
    return client.post("/login/forgot", data=data)


def reset_path() -> str:
    raw = db.session.scalars(select(OutboxMessage.message).order_by(OutboxMessage.id)).all()[-1]
    body = email.message_from_string(raw, policy=email.policy.default).get_body().get_content()
    return re.search(r"https?://[^/\s]+(/login/reset/\S+)", body).group(1)


def choose(client, path, password=NEW_PASSWORD, again=None):
    return client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "new_password": password,
            "new_password_again": again if again is not None else password,
        },
    )


@pytest.fixture
def start(clock):
    clock(utc(2026, 12, 1, 0, 0))


def test_the_login_page_links_to_it(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/login/forgot"' in page and "パスワードを忘れた時" in page


def test_a_known_and_an_unknown_address_get_the_same_answer(client, officer, start):
    known = ask(client, "Officer@Example.jp ")
    unknown = ask(client, "nobody@example.jp")
    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location == "/login/forgot/sent"
    assert row_count(OutboxMessage) == 1  # only the real account's
    message = db.session.scalar(select(OutboxMessage))
    assert message.recipient == "officer@example.jp" and message.kind == "account.password_reset"
    body = email.message_from_string(message.message, policy=email.policy.default)
    assert "30分間" in body.get_body().get_content()
    sent = client.get("/login/forgot/sent").get_data(as_text=True)
    assert "登録されていれば" in sent


def test_the_link_sets_a_new_password_once_and_ends_every_session(client, app, officer, start):
    other = app.test_client()
    assert log_in(other, officer.email).status_code == 302
    ask(client, officer.email)
    path = reset_path()
    assert client.get(path).status_code == 200
    response = choose(client, path)
    assert response.status_code == 302 and response.location == "/login"
    assert other.get("/account").status_code == 302  # signed out there
    open_sessions = db.session.scalars(
        select(LoginSession).where(LoginSession.ended_at.is_(None))
    ).all()
    assert open_sessions == []
    assert log_in(client, officer.email, TEST_PASSWORD).status_code == 422
    assert log_in(client, officer.email, NEW_PASSWORD).status_code == 302
    assert client.get(path).status_code == 410
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [a for a in actions if not a.startswith("user.log")] == [
        "user.password_reset_requested",
        "user.password_change",
        "user.password_reset",
    ]


def test_the_link_lasts_thirty_minutes(client, officer, start, clock):
    ask(client, officer.email)
    path = reset_path()
    clock(utc(2026, 12, 1, 0, 30) - timedelta(seconds=1))
    assert client.get(path).status_code == 200
    clock(utc(2026, 12, 1, 0, 30))
    page = client.get(path)
    assert page.status_code == 410 and "30分" in page.get_data(as_text=True)
    assert choose(client, path).status_code == 410
    assert accounts.is_password_of(db.session.get(User, officer.id), TEST_PASSWORD)


def test_the_token_is_stored_only_as_its_hash(client, officer, start):
    ask(client, officer.email)
    raw = reset_path().rsplit("/", 1)[1]
    stored = db.session.scalar(select(AccountToken.token_hash))
    assert raw not in stored and len(stored) == 64
    assert db.session.scalar(select(AccountToken.purpose)) is TokenPurpose.RESET


def test_a_second_request_replaces_the_first_link(client, officer, start):
    ask(client, officer.email)
    first = reset_path()
    ask(client, officer.email)
    assert client.get(first).status_code == 410
    assert client.get(reset_path()).status_code == 200


def test_an_unknown_address_is_audited_without_naming_it(client, officer, start):
    ask(client, "nobody@example.jp")
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.object_type, event.object_id) == (
        "user.password_reset_requested",
        "address",
        "unknown",
    )
    assert event.details == {} and event.actor_id is None


def test_a_deactivated_account_gets_no_link(client, officer, start):
    accounts.deactivate(db.session.get(User, officer.id))
    db.session.commit()
    assert ask(client, officer.email).location == "/login/forgot/sent"
    assert row_count(OutboxMessage) == 0 and row_count(AccountToken) == 0


def test_a_link_stops_working_when_the_account_is_deactivated(client, officer, start):
    ask(client, officer.email)
    path = reset_path()
    accounts.deactivate(db.session.get(User, officer.id))
    db.session.commit()
    assert choose(client, path).status_code == 410


def test_an_invited_person_may_use_it_instead_of_the_invitation(client, start):
    user = User(email="new@example.jp", name="新人 保護司", role=Role.OFFICER)
    db.session.add(user)
    db.session.flush()
    invitations.invite(user, by=None)
    db.session.commit()
    invitation = re.search(
        r"/login/invitation/\S+",
        email.message_from_string(
            db.session.scalar(select(OutboxMessage.message)), policy=email.policy.default
        )
        .get_body()
        .get_content(),
    ).group(0)
    ask(client, "new@example.jp")
    assert choose(client, reset_path()).status_code == 302
    assert log_in(client, "new@example.jp", NEW_PASSWORD).status_code == 302
    assert client.get(invitation).status_code == 410  # the invitation is spent too


@pytest.mark.parametrize(
    ("password", "again", "message"),
    [
        ("password", None, "よく使われる"),
        (NEW_PASSWORD, "違うパスワード", "一致しません"),
        ("", None, "入力してください"),
    ],
)
def test_a_refused_password_keeps_the_link(client, officer, start, password, again, message):
    ask(client, officer.email)
    path = reset_path()
    response = choose(client, path, password, again)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert choose(client, path).status_code == 302


@pytest.mark.parametrize("address", ["", "x" * 300 + "@example.jp", "a\x00b@example.jp"])
def test_bad_addresses_are_refused_plainly(client, address):
    response = ask(client, address)
    assert response.status_code == 422 and "エラー：" in response.get_data(as_text=True)
    assert row_count(OutboxMessage) == 0


@pytest.mark.parametrize("token", ["x", "A" * 43, "%00", "a" * 300])
def test_an_unknown_link_is_gone(client, token):
    assert client.get(f"/login/reset/{token}").status_code == 410


def test_requests_and_resets_reach_the_security_log(client, officer, start, caplog):
    caplog.set_level("INFO", logger=security_log.name)
    ask(client, officer.email)
    ask(client, "nobody@example.jp")
    choose(client, reset_path())
    events = [r.security["event"] for r in caplog.records if hasattr(r, "security")]
    assert events.count("password.reset_requested") == 2
    assert "password.reset" in events
    assert officer.email not in caplog.text


def test_requests_are_limited_per_address(database_url, officer):
    app = throttled_app(database_url, PASSWORD_RESET_LIMIT_PER_ADDRESS="2 per hour")
    statuses = [ask(client_at(app, f"198.51.100.{n}"), officer.email).status_code for n in range(3)]
    assert statuses == [302, 302, 429]
    assert ask(client_at(app, "198.51.100.9"), "other@example.jp").status_code == 302


def test_requests_are_limited_per_client(database_url, officer):
    app = throttled_app(database_url, PASSWORD_RESET_LIMIT_PER_IP="3 per hour")
    client = client_at(app, "203.0.113.66")
    statuses = [ask(client, f"person{n}@example.jp").status_code for n in range(4)]
    assert statuses == [302, 302, 302, 429]


@pytest.mark.parametrize(
    "role", ["anonymous", "officer", "manager", "other-manager", "admin", "deactivated"]
)
def test_the_public_pages_answer_every_role_alike(client, make_user, facility, role):
    """Anyone may ask for a link; the links themselves are the only key."""
    if role != "anonymous":
        kind = Role.ADMIN if role == "admin" else Role.OFFICER
        kind = Role.MANAGER if "manager" in role else kind
        user = make_user(kind, facilities=[facility] if role == "manager" else ())
        assert log_in(client, user.email).status_code == 302
        if role == "deactivated":
            accounts.deactivate(db.session.get(User, user.id))
            db.session.commit()
    assert client.get("/login/forgot").status_code == 200
    assert ask(client, "somebody@example.jp").location == "/login/forgot/sent"
    assert client.get("/login/forgot/sent").status_code == 200
    assert client.get("/login/reset/" + "A" * 43).status_code == 410
    assert client.get("/account/email/confirm/" + "A" * 43).status_code == 410
    assert row_count(OutboxMessage) == 0
