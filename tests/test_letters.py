"""Printed letters: an account without e-mail starts with a login id and a one-time code, then
logs in with the login id."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.admin import accounts
from booking.audit import AuditEvent
from booking.auth import services as auth
from booking.auth.models import AccountToken, Role, User
from booking.extensions import db
from tests.conftest import csrf_token, log_in, utc
from tests.test_throttling import client_at, throttled_app

NEW_PASSWORD = "雪まつり 大通 時計台"
WRONG = "ログインIDか確認コードが違います。"


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, email="admin@example.jp")


@pytest.fixture
def paper(app, admin, clock):
    """An officer without e-mail, and the code printed for them."""
    clock(utc(2026, 12, 1, 0, 0))
    user = accounts.create(
        accounts.Details("紙 太郎", "カミ タロウ", None, None, Role.OFFICER, [], None), by=admin
    )
    code = accounts.letter(user, by=admin).code
    db.session.commit()
    return user, code


def enter(client, login_id, code):
    token = csrf_token(client, "/login/letter")
    return client.post(
        "/login/letter", data={"csrf_token": token, "login_id": login_id, "code": code}
    )


def choose(client, password=NEW_PASSWORD, again=None):
    token = csrf_token(client, "/login/letter")
    return client.post(
        "/login/letter/password",
        data={
            "csrf_token": token,
            "new_password": password,
            "new_password_again": again if again is not None else password,
        },
    )


def as_typed(code: str) -> str:
    """The code as an elderly person may type it: full-width, lower case, spaces, no dashes."""
    plain = code.replace("-", " ").lower()
    return "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else "\u3000" for c in plain)


def test_the_code_and_login_id_lead_to_a_password_then_a_login(client, paper):
    user, code = paper
    response = enter(client, "ｈ" + user.login_id[1:], as_typed(code))
    assert response.status_code == 302 and response.location.endswith("/login/letter/password")
    # The code is not in the session cookie, in clear or otherwise.
    cookie = client.get_cookie("session").value
    assert code not in cookie and code.replace("-", "") not in cookie
    page = client.get("/login/letter/password").get_data(as_text=True)
    assert "紙 太郎" in page and user.login_id in page
    response = choose(client)
    assert response.status_code == 302 and response.location.endswith("/login")
    assert log_in(client, user.login_id.lower(), NEW_PASSWORD).status_code == 302
    # Spent: neither the code nor the step after it works again.
    other = client.__class__(client.application)
    assert enter(other, user.login_id, code).status_code == 422
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert "user.letter_accepted" in actions and "user.password_change" in actions


def test_a_wrong_login_id_and_a_wrong_code_get_the_same_answer(client, paper):
    user, code = paper
    wrong_id = enter(client, "H000000" if user.login_id != "H000000" else "H000001", code)
    wrong_code = enter(client, user.login_id, "AAAA-BBBB-CCCC")
    assert wrong_id.status_code == wrong_code.status_code == 422
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(wrong_id) == strip(wrong_code)
    assert WRONG in strip(wrong_id)
    assert client.get("/login/letter/password").status_code == 302
    db.session.refresh(user)
    assert user.password_hash is None


def test_a_code_for_someone_else_does_not_open_this_account(client, paper, admin):
    _user, code = paper
    second = accounts.create(
        accounts.Details("紙 花子", None, None, None, Role.OFFICER, [], None), by=admin
    )
    db.session.commit()
    assert enter(client, second.login_id, code).status_code == 422


def test_printing_again_withdraws_the_first_code(client, paper, admin):
    user, code = paper
    newer = accounts.letter(db.session.get(User, user.id), by=admin).code
    db.session.commit()
    assert enter(client, user.login_id, code).status_code == 422
    assert enter(client, user.login_id, newer).status_code == 302


def test_the_code_lasts_thirty_days(client, paper, clock):
    user, code = paper
    clock(utc(2026, 12, 31, 0, 0))
    assert enter(client, user.login_id, code).status_code == 422


def test_the_step_after_the_code_waits_half_an_hour(client, paper, clock):
    user, code = paper
    assert enter(client, user.login_id, code).status_code == 302
    clock(utc(2026, 12, 1, 0, 0) + timedelta(minutes=31))
    assert choose(client).status_code == 302
    assert db.session.get(User, user.id).password_hash is None


def test_a_deactivated_account_cannot_use_its_code(client, paper, admin):
    user, code = paper
    assert enter(client, user.login_id, code).status_code == 302
    accounts.deactivate(db.session.get(User, user.id), by=admin)
    db.session.commit()
    response = choose(client)
    assert response.status_code == 302 and response.location.endswith("/login/letter")
    assert db.session.get(User, user.id).password_hash is None


def test_an_unacceptable_password_keeps_the_code_usable(client, paper):
    user, code = paper
    enter(client, user.login_id, code)
    response = choose(client, user.login_id.lower() + "abc")
    assert response.status_code == 422
    response = choose(client, "password")
    assert response.status_code == 422
    token = db.session.scalar(select(AccountToken).where(AccountToken.user_id == user.id))
    assert token.used_at is None
    assert choose(client).status_code == 302


def test_codes_are_throttled_per_login_id_and_client(database_url, paper):
    user, code = paper
    app = throttled_app(database_url)
    guesser = client_at(app, "203.0.113.66")
    statuses = [enter(guesser, user.login_id, "AAAA-BBBB-CCCC").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    # The owner, elsewhere, is not locked out.
    assert enter(client_at(app, "198.51.100.10"), user.login_id, code).status_code == 302


def test_codes_are_throttled_per_client_across_login_ids(database_url, paper):
    app = throttled_app(database_url, LOGIN_LIMIT_PER_IP="4 per 10 minutes")
    sprayer = client_at(app, "203.0.113.66")
    statuses = [enter(sprayer, f"H00000{n}", "AAAA-BBBB-CCCC").status_code for n in range(5)]
    assert statuses == [422, 422, 422, 422, 429]


# -- Logging in with a login id ------------------------------------------------------------


def test_the_login_page_asks_for_an_address_or_a_login_id(client):
    page = client.get("/login").get_data(as_text=True)
    assert "メールアドレス（またはログインID）" in page and 'href="/login/letter"' in page


def test_a_login_id_logs_in_typed_any_way(client, paper):
    user, code = paper
    enter(client, user.login_id, code)
    choose(client)
    for typed in (user.login_id, user.login_id.lower(), " ｈ" + user.login_id[1:] + " "):
        fresh = client.__class__(client.application)
        assert log_in(fresh, typed, NEW_PASSWORD).status_code == 302


def test_an_unknown_login_id_is_checked_like_a_wrong_password(client, paper, monkeypatch):
    checked = []

    class Recording:
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, stored, password):
            checked.append(stored)
            return real.verify(stored, password)

    real = auth.hasher
    monkeypatch.setattr(auth, "hasher", Recording())
    unknown = log_in(client, "H999999", NEW_PASSWORD)
    no_password_yet = log_in(client, paper[0].login_id, NEW_PASSWORD)
    assert unknown.status_code == no_password_yet.status_code == 422
    assert checked == [auth._DUMMY_HASH, auth._DUMMY_HASH]
    assert "メールアドレスかパスワードが違います。" in unknown.get_data(as_text=True)


def test_failed_logins_by_login_id_are_throttled(database_url, paper):
    user, _code = paper
    app = throttled_app(database_url)
    guesser = client_at(app, "203.0.113.66")
    typed = [user.login_id, user.login_id.lower(), "ｈ" + user.login_id[1:], user.login_id]
    statuses = [log_in(guesser, t, "guess").status_code for t in typed]
    assert statuses == [422, 422, 422, 429]


@pytest.mark.parametrize(
    "role", ["anonymous", "officer", "manager", "other manager", "admin", "deactivated"]
)
def test_the_code_pages_for_every_role(app, make_user, facility, paper, role):
    """Public pages: anyone may enter a code; the step after it needs a right code first."""
    user, code = paper
    client = app.test_client()
    if role != "anonymous":
        kind = {"officer": Role.OFFICER, "admin": Role.ADMIN}.get(role, Role.MANAGER)
        served = [facility] if role == "manager" else []
        someone = make_user(
            kind, email=f"{role.replace(' ', '-')}.visitor@example.jp", facilities=served
        )
        assert log_in(client, someone.email).status_code == 302
        if role == "deactivated":
            someone.active = False
            db.session.commit()
    assert client.get("/login/letter").status_code == 200
    assert client.get("/login/letter/password").status_code == 302
    assert enter(client, user.login_id, "AAAA-BBBB-CCCC").status_code == 422
    assert enter(client, user.login_id, code).status_code == 302
    assert choose(client).status_code == 302
    assert db.session.get(User, user.id).password_hash is not None
