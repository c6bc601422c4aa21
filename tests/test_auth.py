"""Logging in and out: good and bad passwords, inactive users, CSRF, redirects, revocation."""

import pytest

from booking import create_app
from booking.auth import services as accounts
from booking.auth.models import Role
from booking.extensions import db
from tests.conftest import TEST_PASSWORD, config_for, csrf_token, log_in


def is_logged_in(client) -> bool:
    return client.get("/rooms/").status_code == 200


def test_good_password_logs_in(client, officer):
    response = log_in(client, officer.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_logged_in(client)


def test_email_is_not_case_sensitive(client, officer):
    assert log_in(client, "  Officer@Example.JP ").status_code == 302


@pytest.mark.parametrize("password", ["wrong password", "", TEST_PASSWORD.upper()])
def test_wrong_password_is_refused_in_japanese(client, officer, password):
    response = log_in(client, officer.email, password)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "入力内容に問題があります" in page
    assert "<title>エラー：" in page
    assert not is_logged_in(client)


def test_unknown_email_gets_the_same_answer(client, officer):
    response = log_in(client, "nobody@example.jp")
    assert response.status_code == 422
    assert "メールアドレスかパスワードが違います" in response.get_data(as_text=True)


def test_inactive_user_cannot_log_in(client, make_user):
    user = make_user(email="retired@example.jp", active=False)
    assert log_in(client, user.email).status_code == 422
    assert not is_logged_in(client)


def test_missing_csrf_token_is_refused_and_changes_nothing(client, officer):
    response = client.post("/login", data={"email": officer.email, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "もう一度操作してください" in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_wrong_csrf_token_is_refused(client, officer):
    csrf_token(client)
    response = client.post(
        "/login",
        data={"email": officer.email, "password": TEST_PASSWORD, "csrf_token": "forged"},
    )
    assert response.status_code == 400
    assert not is_logged_in(client)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/rooms/?ward=kita", "/rooms/?ward=kita"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/\n/evil.example", "/"),
        ("", "/"),
    ],
)
def test_redirect_after_login_stays_on_this_site(client, officer, next_url, expected):
    response = log_in(client, officer.email, next=next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_login_page_keeps_the_next_path(client):
    response = client.get("/rooms/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert 'value="/rooms/"' in client.get(response.headers["Location"]).get_data(as_text=True)


def test_logout_needs_csrf_and_ends_the_session(officer_client):
    assert officer_client.post("/logout").status_code == 400
    assert is_logged_in(officer_client)
    token = csrf_token(officer_client, "/rooms/")
    assert officer_client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not is_logged_in(officer_client)


def test_password_change_ends_open_sessions(officer_client, officer):
    accounts.set_password(officer, "a brand new password")
    db.session.commit()
    assert not is_logged_in(officer_client)


def test_deactivation_ends_open_sessions(officer_client, officer):
    accounts.deactivate(officer)
    db.session.commit()
    assert not is_logged_in(officer_client)


def test_passwords_are_stored_as_argon2id(officer):
    assert officer.password_hash.startswith("$argon2id$")
    assert TEST_PASSWORD not in officer.password_hash


def test_session_cookie_is_http_only_and_same_site(client, officer):
    log_in(client, officer.email)
    cookie = client.get_cookie("session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_login_is_throttled_per_account(database_url, officer):
    limited = create_app(
        config_for(database_url, RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT="3 per minute")
    )
    client = limited.test_client()
    statuses = [log_in(client, officer.email, "wrong").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    assert "操作の回数が多すぎます" in log_in(client, officer.email).get_data(as_text=True)
    other = log_in(client, "someone.else@example.jp", "wrong")
    assert other.status_code == 422


@pytest.mark.parametrize("role", list(Role))
def test_every_role_can_log_in(client, make_user, role):
    user = make_user(role)
    assert log_in(client, user.email).status_code == 302
