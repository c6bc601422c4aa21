"""Password rules (long, not common, not one's own name) and changing one's own password."""

import pytest
from sqlalchemy import select

from booking.audit import AuditEvent
from booking.auth import passwords
from booking.auth import services as accounts
from booking.auth.models import LoginSession, Role
from booking.auth.passwords import UnacceptablePassword
from booking.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_token, log_in

EMAIL, NAME = "yamada.hanako@example.jp", "山田 花子"


def test_the_common_password_list_is_long():
    assert len(passwords.common_passwords()) >= 10_000


@pytest.mark.parametrize(
    "password",
    [
        "eight ch",  # exactly 8, a space among them
        "x" * 128,
        "さくら咲く札幌の春",  # Unicode
        "  spaces at both ends  ",
        "🐻 ひぐま 🐻 bears",
        "tr0ub4dor&3 horse",
        "sapporo snow festival",  # the service's word and words of one's own
    ],
)
def test_long_uncommon_passwords_of_any_characters_are_accepted(password):
    passwords.ensure_acceptable(password, email=EMAIL, name=NAME)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("seven c", "8文字以上"),
        ("x" * 129, "128文字以内"),
        ("password", "よく使われていて"),
        ("Password1", "よく使われていて"),
        ("iloveyou", "よく使われていて"),
        ("12345678", "よく使われていて"),
        ("yamada.hanako", "メールアドレスや名前"),
        ("my yamada.hanako 2025", "メールアドレスや名前"),
        ("山田花子です、よろしく", "メールアドレスや名前"),
        ("花子の大切なパスワード", "メールアドレスや名前"),
        ("sapporo2025", "このサービスのことば"),
        ("Hogoshi 1234!", "このサービスのことば"),
        ("札幌の保護司です", "このサービスのことば"),
        ("予約予約予約予約", "このサービスのことば"),
    ],
)
def test_weak_passwords_are_refused_in_japanese(password, message):
    with pytest.raises(UnacceptablePassword, match=message):
        passwords.ensure_acceptable(password, email=EMAIL, name=NAME)


def test_every_way_of_setting_a_password_uses_the_rules(app, officer):
    with pytest.raises(UnacceptablePassword):
        accounts.create_user("new@example.jp", "新井", Role.OFFICER, "password")
    with pytest.raises(UnacceptablePassword):
        accounts.set_password(officer, "qwertyuiop")


def change(client, current=TEST_PASSWORD, new="a fresh spring morning", again=None):
    data = {
        "current_password": current,
        "new_password": new,
        "new_password_again": new if again is None else again,
        "csrf_token": csrf_token(client, "/account"),
    }
    return client.post("/account/password", data=data)


def test_changing_ones_password_keeps_this_device_and_ends_the_others(app, officer_client, officer):
    other = app.test_client()
    log_in(other, officer.email)
    response = change(officer_client)
    assert response.status_code == 302
    assert officer_client.get("/reservations/").status_code == 200
    assert other.get("/reservations/").status_code == 302
    assert log_in(app.test_client(), officer.email, "a fresh spring morning").status_code == 302
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.password_change")
    ).one()
    assert (event.actor_id, event.object_id) == (officer.id, str(officer.id))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"current": "not my password"}, "今のパスワードが違います"),
        ({"new": "password1"}, "よく使われていて"),
        ({"new": "short"}, "8文字以上"),
        ({"again": "something else entirely"}, "一致しません"),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(officer_client, officer, fields, message):
    before = officer.password_hash
    response = change(officer_client, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and "<title>エラー：" in page
    db.session.refresh(officer)
    assert officer.password_hash == before
    assert db.session.scalar(select(LoginSession.ended_at)) is None
