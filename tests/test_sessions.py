"""Login sessions kept on the server: logout, expiry, other devices, the account page."""

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select

from booking.auth import services as accounts
from booking.auth import sessions
from booking.auth.models import LoginSession, Role
from booking.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_token, log_in

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
WINDOWS_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0"
)


def is_logged_in(client) -> bool:
    return client.get("/reservations/").status_code == 200


def second_client(app, user_agent: str = WINDOWS_EDGE) -> FlaskClient:
    other = app.test_client()
    other.environ_base.update({"HTTP_USER_AGENT": user_agent, "REMOTE_ADDR": "192.0.2.7"})
    return other


def copy_of(app, client) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_logout_ends_the_session_on_the_server(app, officer_client):
    stolen = copy_of(app, officer_client)
    assert is_logged_in(stolen)
    token = csrf_token(officer_client, "/reservations/")
    assert officer_client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not is_logged_in(stolen)
    assert db.session.scalar(select(LoginSession.ended_at)) is not None


def test_the_login_id_is_a_random_token_stored_only_as_its_hash(officer_client):
    login = db.session.scalars(select(LoginSession)).one()
    assert len(login.token_hash) == 64
    with officer_client.session_transaction() as cookie:
        token = cookie["_user_id"]
    assert len(token) >= 43
    assert sessions.hash_token(token) == login.token_hash
    assert token not in login.token_hash


def test_a_session_ends_after_its_absolute_lifetime(client, officer, clock, now):
    log_in(client, officer.email)
    for hours in range(3, 15, 3):  # used every three hours, never idle for long
        clock(now + timedelta(hours=hours))
        assert is_logged_in(client)
    clock(now + timedelta(hours=14, minutes=1))
    assert not is_logged_in(client)


def test_a_session_ends_when_idle_too_long(client, officer, clock, now):
    log_in(client, officer.email)
    clock(now + timedelta(hours=3, minutes=59))
    assert is_logged_in(client)
    clock(now + timedelta(hours=7, minutes=58))
    assert is_logged_in(client)
    clock(now + timedelta(hours=12))
    assert not is_logged_in(client)


def test_last_use_is_written_every_few_minutes_not_on_each_request(client, officer, clock, now):
    log_in(client, officer.email)
    clock(now + timedelta(minutes=4))
    assert is_logged_in(client)
    assert db.session.scalar(select(LoginSession.last_used_at)) == now
    clock(now + timedelta(minutes=6))
    assert is_logged_in(client)
    assert db.session.scalar(select(LoginSession.last_used_at)) == now + timedelta(minutes=6)


def test_loading_the_user_is_one_statement(app, officer_client):
    login = db.session.scalars(select(LoginSession)).one()
    with officer_client.session_transaction() as cookie:
        token = cookie["_user_id"]
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        user = sessions.load(token, lifetime=timedelta(hours=14), idle=timedelta(hours=4))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert user.login_session.id == login.id
    assert len(statements) == 1


def test_password_change_ends_every_other_session(app, officer_client, officer):
    other = second_client(app)
    log_in(other, officer.email)
    login = db.session.scalars(select(LoginSession).order_by(LoginSession.id)).first()
    accounts.set_password(officer, "a brand new password", keep=login)
    db.session.commit()
    assert is_logged_in(officer_client)
    assert not is_logged_in(other)


def test_deactivation_ends_every_session(app, officer_client, officer):
    other = second_client(app)
    log_in(other, officer.email)
    accounts.deactivate(officer)
    db.session.commit()
    assert not is_logged_in(officer_client)
    assert not is_logged_in(other)
    assert db.session.scalar(select(LoginSession).where(LoginSession.ended_at.is_(None))) is None


@pytest.mark.parametrize(
    ("user_agent", "summary"),
    [
        (IPHONE, "iPhone Safari"),
        (WINDOWS_EDGE, "Windows Edge"),
        ("", ""),
    ],
)
def test_the_device_is_summarised_not_stored_raw(user_agent, summary):
    assert sessions.device_summary(user_agent) == summary


def test_account_page_lists_the_open_sessions(app, client, officer):
    client.environ_base.update({"HTTP_USER_AGENT": IPHONE, "REMOTE_ADDR": "198.51.100.3"})
    log_in(client, officer.email)
    log_in(second_client(app), officer.email)
    page = client.get("/account").get_data(as_text=True)
    assert "iPhone Safari" in page
    assert "Windows Edge" in page
    assert "198.51.100.3" in page
    assert "192.0.2.7" in page
    assert page.count("この端末からログアウトする") == 1
    assert "（この端末）" in page


def test_ending_one_other_session_from_the_account_page(app, officer_client, officer):
    other = second_client(app)
    log_in(other, officer.email)
    other_id = db.session.scalar(select(LoginSession.id).where(LoginSession.device != ""))
    token = csrf_token(officer_client, "/account")
    response = officer_client.post(f"/account/sessions/{other_id}/end", data={"csrf_token": token})
    assert response.status_code == 302
    assert not is_logged_in(other)
    assert is_logged_in(officer_client)


def test_nobody_ends_someone_elses_session(app, officer_client, make_user):
    stranger = make_user(email="stranger@example.jp")
    theirs = second_client(app)
    log_in(theirs, stranger.email)
    their_id = db.session.scalar(select(LoginSession.id).where(LoginSession.user_id == stranger.id))
    token = csrf_token(officer_client, "/account")
    response = officer_client.post(f"/account/sessions/{their_id}/end", data={"csrf_token": token})
    assert response.status_code == 404
    assert is_logged_in(theirs)


def test_ending_all_other_sessions(app, officer_client, officer):
    others = [second_client(app), second_client(app, IPHONE)]
    for other in others:
        log_in(other, officer.email)
    token = csrf_token(officer_client, "/account")
    officer_client.post("/account/sessions/end-others", data={"csrf_token": token})
    assert is_logged_in(officer_client)
    assert not any(is_logged_in(other) for other in others)


def test_an_admin_ends_every_session_of_an_account(app, officer_client, officer, make_user):
    admin = make_user(Role.ADMIN)
    assert accounts.end_sessions(officer, by=admin) == 1
    db.session.commit()
    assert not is_logged_in(officer_client)


def test_an_officer_cannot_end_someone_elses_sessions(officer_client, officer, make_user):
    from booking.errors import NotAllowed

    other = make_user()
    with pytest.raises(NotAllowed):
        accounts.end_sessions(officer, by=other)


def test_end_sessions_command(app, officer_client, officer):
    result = app.test_cli_runner().invoke(args=["users", "end-sessions", officer.email])
    assert result.exit_code == 0, result.output
    assert "ended 1 session" in result.output
    assert not is_logged_in(officer_client)


# Ending sessions and setting up a second factor ask for the password again once the login
# is more than ten minutes old (ASVS 7.5.1, 7.5.2).


def confirm(client, password, next_path="/account"):
    token = csrf_token(client, f"/account/confirm?next={next_path}")
    return client.post(
        "/account/confirm", data={"csrf_token": token, "password": password, "next": next_path}
    )


def test_an_old_login_types_the_password_again_before_ending_sessions(
    app, client, officer, clock, now
):
    assert log_in(client, officer.email).status_code == 302
    other = second_client(app)
    log_in(other, officer.email)
    clock(now + timedelta(minutes=11))
    token = csrf_token(client, "/account")
    response = client.post("/account/sessions/end-others", data={"csrf_token": token})
    assert response.headers["Location"] == "/account/confirm?next=/account"
    assert is_logged_in(other)
    wrong = confirm(client, "not my password")
    assert wrong.status_code == 422 and "パスワードが違います" in wrong.get_data(as_text=True)
    right = confirm(client, TEST_PASSWORD)
    assert right.status_code == 302 and right.headers["Location"] == "/account"
    client.post("/account/sessions/end-others", data={"csrf_token": token})
    assert not is_logged_in(other) and is_logged_in(client)
    clock(now + timedelta(minutes=22))  # the confirmation lasts ten minutes too
    assert (
        client.post("/account/sessions/end-others", data={"csrf_token": token}).status_code == 302
    )
    assert (
        "/account/confirm"
        in client.post("/account/sessions/end-others", data={"csrf_token": token}).headers[
            "Location"
        ]
    )


def test_setting_up_a_second_factor_late_asks_for_the_password(client, officer, clock, now):
    log_in(client, officer.email)
    clock(now + timedelta(minutes=30))
    token = csrf_token(client, "/account/two-factor")
    response = client.post("/account/two-factor/start", data={"csrf_token": token})
    assert response.headers["Location"] == "/account/confirm?next=/account/two-factor"
    db.session.refresh(officer)
    assert officer.totp_secret is None
    assert confirm(client, TEST_PASSWORD, "/account/two-factor").status_code == 302
    client.post("/account/two-factor/start", data={"csrf_token": token})
    db.session.refresh(officer)
    assert officer.totp_secret is not None


def test_the_confirmation_belongs_to_its_own_login(client, officer, clock, now):
    from booking.auth import recent

    log_in(client, officer.email)
    clock(now + timedelta(minutes=11))
    with client.session_transaction() as stored:  # a fresh mark, but for another login
        stored[recent.MARK] = {
            "login": stored[recent.MARK]["login"] + 1,
            "at": now.timestamp() + 600,
        }
    token = csrf_token(client, "/account")
    response = client.post("/account/sessions/end-others", data={"csrf_token": token})
    assert "/account/confirm" in response.headers["Location"]
