"""The security log and the audit trail of logins: what happened, to whom, from where, when."""

import logging

import pytest
from sqlalchemy import select

from booking.audit import AuditEvent
from booking.auth.models import Role
from booking.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_token, log_in


@pytest.fixture
def security_log(caplog):
    caplog.set_level(logging.INFO, logger="booking.security")

    def events() -> list[dict]:
        return [r.security for r in caplog.records if r.name == "booking.security"]

    events.text = lambda: caplog.text
    return events


def actions() -> list[tuple]:
    query = select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.object_id)
    return [tuple(row) for row in db.session.execute(query.order_by(AuditEvent.id))]


def test_login_and_logout_are_logged_and_audited(client, officer, security_log):
    client.environ_base["REMOTE_ADDR"] = "198.51.100.3"
    log_in(client, officer.email)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/reservations/")})
    events = security_log()
    assert [(e["event"], e["account_id"]) for e in events] == [
        ("login", officer.id),
        ("logout", officer.id),
    ]
    assert all(e["client_address"] == "198.51.100.3" and e["at"] for e in events)
    me = str(officer.id)
    assert actions() == [("user.login", officer.id, me), ("user.logout", officer.id, me)]


def test_a_failed_login_is_logged_without_what_was_typed(client, officer, security_log):
    response = log_in(client, officer.email, "my secret guess")
    assert response.status_code == 422
    assert [(e["event"], e["account_id"]) for e in security_log()] == [("login.failed", officer.id)]
    assert "my secret guess" not in security_log.text()
    assert officer.email not in security_log.text()
    assert actions() == [("user.login_failed", None, str(officer.id))]


def test_a_failed_login_for_no_account_answers_the_same(client, officer, security_log):
    known = log_in(client, officer.email, "wrong password").get_data(as_text=True)
    unknown = log_in(client, "nobody@example.jp", "wrong password").get_data(as_text=True)
    strip = lambda page: page.replace(officer.email, "").replace("nobody@example.jp", "")  # noqa: E731
    assert "メールアドレスかパスワードが違います" in unknown
    assert (
        strip(known).split('name="csrf_token"')[0] == strip(unknown).split('name="csrf_token"')[0]
    )
    assert [(e["event"], e["account_id"]) for e in security_log()][-1] == ("login.failed", None)
    assert len(actions()) == 1  # nothing to audit about an account that does not exist


def test_refusals_are_logged(client, make_user, facility, security_log):
    officer = make_user(Role.OFFICER)
    log_in(client, officer.email)
    assert client.get("/manage/").status_code == 403
    assert ("forbidden", officer.id) in [(e["event"], e["account_id"]) for e in security_log()]


def test_password_changes_and_ended_sessions_are_logged(app, officer_client, officer, security_log):
    data = {
        "current_password": TEST_PASSWORD,
        "new_password": "a fresh spring morning",
        "new_password_again": "a fresh spring morning",
        "csrf_token": csrf_token(officer_client, "/account"),
    }
    officer_client.post("/account/password", data=data)
    officer_client.post("/account/sessions/end-others", data={"csrf_token": data["csrf_token"]})
    names = [e["event"] for e in security_log()]
    assert "password.change" in names and "sessions.end_others" in names
    assert "a fresh spring morning" not in security_log.text()


def test_a_refused_csrf_token_is_a_security_event(app, client, caplog):
    app.config["WTF_CSRF_ENABLED"] = True
    with caplog.at_level("INFO", logger="booking.security"):
        response = client.post("/login", data={"email": "a@example.jp", "password": "x"})
    assert response.status_code == 400
    assert "event=csrf.refused" in caplog.text
    assert "a@example.jp" not in caplog.text
