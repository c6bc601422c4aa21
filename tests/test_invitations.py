"""Invitations: a new account sets its own password from an e-mailed single-use link."""

import email
import email.policy
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.account import invitations
from booking.audit import AuditEvent
from booking.auth import services as accounts
from booking.auth.models import Role, User
from booking.errors import InvalidInput
from booking.extensions import db
from booking.notify.models import OutboxMessage
from tests.conftest import TEST_PASSWORD, csrf_token, log_in, utc

NEW_PASSWORD = "春の雪 坂の上 古い時計"


@pytest.fixture
def invited(app, clock):
    clock(utc(2026, 12, 1, 0, 0))
    user = User(email="new.officer@docomo.ne.jp", name="新人 保護司", role=Role.OFFICER)
    db.session.add(user)
    db.session.flush()
    invitations.invite(user, by=None)
    db.session.commit()
    return user


def invitation_path() -> str:
    raw = db.session.scalar(select(OutboxMessage.message))
    body = email.message_from_string(raw, policy=email.policy.default).get_body().get_content()
    return re.search(r"https?://[^/\s]+(/login/invitation/\S+)", body).group(1)


def choose(client, path, password=NEW_PASSWORD, again=None):
    return client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "new_password": password,
            "new_password_again": again if again is not None else password,
        },
    )


def test_the_invited_person_sets_a_password_once_and_logs_in(client, invited):
    path = invitation_path()
    page = client.get(path)
    assert page.status_code == 200 and "新人 保護司" in page.get_data(as_text=True)
    # Not even the stand-in that unknown accounts are checked against lets it in.
    assert log_in(client, invited.email, "not a password of anyone").status_code != 302
    response = choose(client, path)
    assert response.status_code == 302 and response.location.endswith("/login")
    assert log_in(client, invited.email, NEW_PASSWORD).status_code == 302
    again = client.get(path)
    assert again.status_code == 410 and "使用済み" in again.get_data(as_text=True)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [a for a in actions if not a.startswith("user.log")] == [
        "user.invite",
        "user.password_change",
        "user.invitation_accepted",
    ]


def test_the_link_lasts_seven_days(client, invited, clock):
    path = invitation_path()
    clock(utc(2026, 12, 8, 0, 0) - timedelta(seconds=1))
    assert client.get(path).status_code == 200
    clock(utc(2026, 12, 8, 0, 0))
    assert client.get(path).status_code == 410
    assert choose(client, path).status_code == 410
    assert db.session.get(User, invited.id).password_hash is None


@pytest.mark.parametrize(
    ("password", "again", "message"),
    [
        ("password", None, "よく使われる"),
        ("short", None, "8文字"),
        (NEW_PASSWORD, "違うパスワード", "一致しません"),
        ("", None, "入力してください"),
    ],
)
def test_a_refused_password_keeps_the_link_usable(client, invited, password, again, message):
    path = invitation_path()
    response = choose(client, path, password, again)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.get(User, invited.id).password_hash is None
    assert choose(client, path).status_code == 302


def test_a_new_invitation_replaces_the_old_link(client, invited):
    old = invitation_path()
    db.session.execute(OutboxMessage.__table__.delete())
    invitations.invite(db.session.get(User, invited.id), by=None)
    db.session.commit()
    assert client.get(old).status_code == 410
    assert client.get(invitation_path()).status_code == 200


@pytest.mark.parametrize("token", ["x", "A" * 43, "%00", "a" * 300])
def test_an_unknown_link_is_gone_not_an_error(client, invited, token):
    assert client.get(f"/login/invitation/{token}").status_code == 410


def test_the_invitation_names_no_password_and_reaches_a_carrier_address(invited):
    raw = db.session.scalar(select(OutboxMessage.message))
    message = email.message_from_string(raw, policy=email.policy.default)
    assert message["To"] == "new.officer@docomo.ne.jp"
    assert "7日間" in message.get_body().get_content()


def test_an_account_without_email_is_not_sent_an_invitation(app):
    user = User(login_id="S000123", name="紙 の人", role=Role.OFFICER)
    db.session.add(user)
    db.session.flush()
    with pytest.raises(InvalidInput):
        invitations.invite(user, by=None)


def test_an_account_with_a_password_keeps_working(client, officer):
    assert accounts.is_password_of(officer, TEST_PASSWORD)
    assert log_in(client, officer.email).status_code == 302
