"""One's own account: phone, home ward, name reading, and a confirmed change of e-mail."""

import email
import email.policy
import re

import pytest
from sqlalchemy import select

from booking.account import addresses
from booking.audit import AuditEvent
from booking.auth import services as accounts
from booking.auth.models import Role, User
from booking.extensions import db
from booking.notify.models import OutboxMessage
from tests.conftest import TEST_PASSWORD, csrf_token, log_in, row_count, utc


def post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/account"), **data})


def details(client, **values):
    data = {"name_kana": "", "phone": "", "home_ward": "", **values}
    return post(client, "/account/details", **data)


def change_email(client, address, password=TEST_PASSWORD):
    return post(client, "/account/email", new_email=address, email_password=password)


def mail_body(message: OutboxMessage) -> str:
    parsed = email.message_from_string(message.message, policy=email.policy.default)
    return parsed.get_body().get_content()


def confirmation_path() -> str:
    sent = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == "account.email_confirmation")
    )
    return re.search(r"https?://[^/\s]+(/account/email/confirm/\S+)", mail_body(sent)).group(1)


def confirm(client, path):
    return client.post(path, data={"csrf_token": csrf_token(client, path)})


def last_details() -> dict:
    return db.session.scalars(select(AuditEvent.details).order_by(AuditEvent.id.desc())).first()


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("090-1234-5678", "090-1234-5678"),
        ("０９０１２３４５６７８", "090-1234-5678"),
        ("011(211)2000", "011-211-2000"),
        ("+81 90 1234 5678", "090-1234-5678"),
        ("", None),
    ],
)
def test_own_phone_in_any_common_format(officer_client, officer, typed, kept):
    assert details(officer_client, phone=typed).status_code == 302
    assert db.session.get(User, officer.id).phone == kept


@pytest.mark.parametrize("typed", ["12345", "+1 202 555 0100", "abc", "0" * 40])
def test_a_phone_that_is_not_japanese_is_refused(officer_client, officer, typed):
    response = details(officer_client, phone=typed, name_kana="ほごし")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "エラー：" in page and "入力内容に問題があります" in page
    assert db.session.get(User, officer.id).name_kana is None


def test_ward_and_reading_are_kept_and_audited_by_name_only(officer_client, officer):
    response = details(officer_client, name_kana="ﾎｺﾞｼ　ｲﾁﾛｳ", home_ward="kita")
    assert response.status_code == 302
    user = db.session.get(User, officer.id)
    assert (user.name_kana, user.home_ward) == ("ホゴシ イチロウ", "kita")
    assert last_details() == {"changed": ["home_ward", "name_kana"]}
    assert "北区" in officer_client.get("/account").get_data(as_text=True)
    events = row_count(AuditEvent)
    details(officer_client, name_kana="ホゴシ イチロウ", home_ward="kita")
    assert row_count(AuditEvent) == events  # nothing changed, nothing audited


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"home_ward": "atlantis"}, "一覧から選んでください"),
        ({"name_kana": "Hogoshi"}, "ひらがなかカタカナ"),
        ({"name_kana": "ほ\x00ご"}, "使えない文字"),
        ({"name_kana": "ほ" * 101}, "長すぎます"),
    ],
)
def test_bad_details_change_nothing(officer_client, officer, values, message):
    response = details(officer_client, **values)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.get(User, officer.id).home_ward is None


@pytest.fixture
def start(clock):
    clock(utc(2026, 12, 1, 0, 0))


def test_a_new_address_takes_effect_only_when_confirmed(officer_client, officer, start):
    response = change_email(officer_client, "Ｉｃｈｉｒｏ.Hogoshi@docomo.ne.jp")
    assert response.status_code == 302
    assert db.session.get(User, officer.id).email == "officer@example.jp"
    sent = db.session.scalar(select(OutboxMessage))
    assert sent.recipient == "ichiro.hogoshi@docomo.ne.jp"
    path = confirmation_path()
    page = officer_client.get(path)
    assert page.status_code == 200 and "ichiro.hogoshi@docomo.ne.jp" in page.get_data(as_text=True)
    assert db.session.get(User, officer.id).email == "officer@example.jp"  # a GET changes nothing
    assert confirm(officer_client, path).status_code == 302
    assert db.session.get(User, officer.id).email == "ichiro.hogoshi@docomo.ne.jp"
    told = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == "account.email_changed")
    )
    assert told.recipient == "officer@example.jp"
    body = mail_body(told)
    assert "ic" + "*" * 12 + "@docomo.ne.jp" in body and "ichiro.hogoshi" not in body
    assert "市の担当者" in body
    assert confirm(officer_client, path).status_code == 410  # single use
    officer_client.post("/logout", data={"csrf_token": csrf_token(officer_client, "/account")})
    assert log_in(officer_client, "ichiro.hogoshi@docomo.ne.jp").status_code == 302
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [a for a in actions if a.startswith("user.email")] == [
        "user.email_change_requested",
        "user.email_change",
    ]


def test_the_link_works_in_another_browser_without_a_login(
    officer_client, client, app, officer, start
):
    change_email(officer_client, "new@example.jp")
    other = app.test_client()
    assert confirm(other, confirmation_path()).status_code == 302
    assert db.session.get(User, officer.id).email == "new@example.jp"


def test_an_address_of_another_account_changes_nothing(officer_client, officer, make_user, start):
    make_user(email="taken@example.jp")
    response = change_email(officer_client, "TAKEN@example.jp")
    assert response.status_code == 409
    assert "ほかのアカウントで使われています" in response.get_data(as_text=True)
    assert row_count(OutboxMessage) == 0


def test_the_check_repeats_when_the_link_is_opened(officer_client, officer, make_user, start):
    change_email(officer_client, "late@example.jp")
    path = confirmation_path()
    make_user(email="late@example.jp")
    response = confirm(officer_client, path)
    assert response.status_code == 409
    assert db.session.get(User, officer.id).email == "officer@example.jp"
    assert row_count(OutboxMessage) == 1  # only the confirmation request


@pytest.mark.parametrize(
    ("address", "password", "status", "message"),
    [
        ("new@example.jp", "wrong password", 422, "今のパスワードが違います"),
        ("officer@example.jp", TEST_PASSWORD, 409, "今と同じ"),
        ("not an address", TEST_PASSWORD, 422, "taro@example.jp のように"),
        ("a@b", TEST_PASSWORD, 422, "taro@example.jp のように"),
        ("", TEST_PASSWORD, 422, "入力してください"),
    ],
)
def test_a_refused_change_sends_nothing(
    officer_client, officer, start, address, password, status, message
):
    response = change_email(officer_client, address, password)
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert row_count(OutboxMessage) == 0


def test_the_link_lasts_a_day(officer_client, officer, start, clock):
    change_email(officer_client, "new@example.jp")
    clock(utc(2026, 12, 2, 0, 0))
    path = confirmation_path()
    assert officer_client.get(path).status_code == 410
    assert confirm(officer_client, path).status_code == 410


def test_masking_keeps_the_domain():
    assert addresses.masked("ab@example.jp") == "ab***@example.jp"
    assert addresses.masked("taro.yamada@docomo.ne.jp") == "ta*********@docomo.ne.jp"


# Every role: each may change only their own account; the anonymous go to the login page.
ROLES = ["anonymous", "officer", "manager", "other-manager", "admin", "deactivated"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_changes_only_its_own_details(client, make_user, facility, role):
    others = make_user(email="other@example.jp")
    user = None
    if role != "anonymous":
        kind = {"admin": Role.ADMIN}.get(role, Role.MANAGER if "manager" in role else Role.OFFICER)
        serves = [facility] if role == "manager" else ()
        user = make_user(kind, email="me@example.jp", facilities=serves)
        assert log_in(client, user.email).status_code == 302
        if role == "deactivated":
            accounts.deactivate(db.session.get(User, user.id))
            db.session.commit()
    data = {"name_kana": "じぶん", "phone": "", "home_ward": "", "other": others.id}
    token = csrf_token(client, "/login/forgot")
    response = client.post("/account/details", data={**data, "csrf_token": token})
    mail = client.post(
        "/account/email",
        data={"new_email": "x@example.jp", "email_password": TEST_PASSWORD, "csrf_token": token},
    )
    assert db.session.get(User, others.id).name_kana is None
    if role in ("anonymous", "deactivated"):
        assert response.status_code == mail.status_code == 302
        assert "/login" in response.location
        assert row_count(OutboxMessage) == 0
    else:
        assert response.status_code == mail.status_code == 302
        assert db.session.get(User, user.id).name_kana == "じぶん"
        assert db.session.scalar(select(OutboxMessage.recipient)) == "x@example.jp"
