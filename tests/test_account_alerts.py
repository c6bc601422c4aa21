"""The owner hears of repeated failed logins (one e-mail an hour at most, never a lockout)
and of logins from a device the account has not used lately."""

import email
import email.policy
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.auth import services as accounts
from booking.auth.models import LoginSession, Role, User
from booking.extensions import db
from booking.notify.models import OutboxMessage
from tests.conftest import log_in, utc


def warnings_sent() -> list[str]:
    return db.session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.kind == "account.failed_logins")
    ).all()


def fail(address: str, times: int) -> None:
    for _ in range(times):
        accounts.record_failed_login(address)
        db.session.commit()


@pytest.fixture
def at_nine(clock):
    clock(utc(2026, 12, 1, 0, 0))


def test_the_fifth_failure_in_an_hour_tells_the_owner_once(client, officer, at_nine):
    for attempt in range(4):
        assert log_in(client, officer.email, f"wrong guess {attempt}").status_code == 422
    assert warnings_sent() == []
    assert log_in(client, officer.email, "wrong guess 5").status_code == 422
    assert warnings_sent() == [officer.email]
    fail(officer.email, 5)
    assert warnings_sent() == [officer.email]
    raw = db.session.scalar(select(OutboxMessage.message))
    body = email.message_from_string(raw, policy=email.policy.default).get_body().get_content()
    assert "5回" in body and "/account" in body
    assert "wrong guess" not in raw  # no attempted password is ever repeated
    # The owner still gets in.
    assert log_in(client, officer.email).status_code == 302


def test_failures_spread_over_more_than_an_hour_send_nothing(officer, clock):
    for hour in range(5):
        clock(utc(2026, 12, 1, hour, 0))
        fail(officer.email, 1)
    assert warnings_sent() == []


def test_an_hour_after_a_warning_another_can_come(officer, clock):
    clock(utc(2026, 12, 1, 0, 0))
    fail(officer.email, 5)
    clock(utc(2026, 12, 1, 0, 59))
    fail(officer.email, 5)
    assert len(warnings_sent()) == 1
    clock(utc(2026, 12, 1, 1, 30))
    fail(officer.email, 5)
    assert len(warnings_sent()) == 2


def test_unknown_addresses_and_accounts_without_email_get_nothing(app, at_nine):
    fail("nobody@example.jp", 10)
    user = User(login_id="H000001", name="紙 の人", role=Role.OFFICER)
    db.session.add(user)
    db.session.commit()
    for _ in range(10):
        accounts.alerts.warn_of_failed_logins(user)
    assert warnings_sent() == []


def test_the_number_is_configurable(app, officer, at_nine):
    app.config["FAILED_LOGINS_BEFORE_WARNING"] = 2
    fail(officer.email, 1)
    assert warnings_sent() == []
    fail(officer.email, 1)
    assert warnings_sent() == [officer.email]


def test_nothing_but_the_warning_is_left_in_the_window(officer, clock):
    clock(utc(2026, 12, 1, 0, 0))
    fail(officer.email, 4)
    clock(utc(2026, 12, 1, 0, 0) + timedelta(hours=1, seconds=1))
    fail(officer.email, 1)
    assert warnings_sent() == []


# A login from a device the account has not used lately is told to its owner.

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"  # noqa: E501
WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0"  # noqa: E501


def device_notices() -> list[str]:
    return db.session.scalars(
        select(OutboxMessage.message).where(OutboxMessage.kind == "account.new_device")
    ).all()


def log_in_from(app, user_agent: str, address: str) -> None:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    assert log_in(client, address).status_code == 302


def test_a_login_from_a_new_device_is_told_to_the_owner(app, officer, clock):
    clock(utc(2026, 12, 1, 0, 0))
    log_in_from(app, IPHONE, officer.email)  # the first login ever: nothing to compare
    log_in_from(app, IPHONE, officer.email)  # the same phone again
    assert device_notices() == []
    clock(utc(2026, 12, 1, 3, 5))
    log_in_from(app, WINDOWS, officer.email)
    (raw,) = device_notices()
    body = email.message_from_string(raw, policy=email.policy.default).get_body().get_content()
    assert "端末：Windows Edge" in body and "12:05" in body  # Sapporo's time
    assert "/account" in body


def test_a_device_unused_for_half_a_year_counts_as_new(app, officer, clock):
    clock(utc(2026, 1, 1, 0, 0))
    log_in_from(app, IPHONE, officer.email)
    clock(utc(2026, 12, 1, 0, 0))
    log_in_from(app, IPHONE, officer.email)
    assert len(device_notices()) == 1


def test_an_account_without_email_is_not_told(app, make_user, clock):
    from booking.auth import alerts as told

    clock(utc(2026, 12, 1, 0, 0))
    user = make_user(email="paper@example.jp")
    log_in_from(app, IPHONE, user.email)
    log_in_from(app, WINDOWS, user.email)
    assert len(device_notices()) == 1
    user.email, user.login_id = None, "H000002"
    user.login_session = db.session.scalars(select(LoginSession)).first()
    assert told.tell_of_new_device(user) is False
