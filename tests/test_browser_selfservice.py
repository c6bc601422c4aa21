"""In the browser: an admin imports officers from Excel's CP932 CSV, an invited officer sets
a password and logs in, an officer changes their password, and a forgotten password is reset.
axe finds no problem of any impact on any of these pages."""

import email
import email.policy
import re

import pytest
from sqlalchemy import select

from booking.auth.models import Role
from booking.extensions import db
from booking.notify.models import OutboxMessage
from tests.conftest import PHONE, TEST_PASSWORD, axe_violations, browser_log_in, utc

pytestmark = pytest.mark.browser

NEW_PASSWORD = "春の雪 坂の上 古い時計"
OFFICERS_CSV = (
    "氏名,ふりがな,メールアドレス,電話番号,居住区\r\n"
    "新人 保護司,しんじん ほごし,shinjin@example.jp,０９０－１２３４－５６７８,中央区\r\n"
    "札幌　花子,ｻｯﾎﾟﾛ ﾊﾅｺ,hanako@example.jp,011(211)2000,北\r\n"
).encode("cp932")


def link_in_mail(recipient: str, path: str) -> str:
    db.session.commit()  # see what the server committed
    raw = db.session.scalars(
        select(OutboxMessage.message)
        .where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id.desc())
    ).first()
    body = email.message_from_string(raw, policy=email.policy.default).get_body().get_content()
    return re.search(rf"https?://[^/\s]+({path}\S+)", body).group(1)


def context_page(chromium, live_server):
    context = chromium.new_context(viewport=PHONE, base_url=live_server, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def choose_password(page, password=NEW_PASSWORD) -> None:
    page.locator("#new_password").fill(password)
    page.locator("#new_password_again").fill(password)
    page.get_by_role("button", name="パスワードを決める").click()
    page.wait_for_url("**/login")


@pytest.fixture
def start(clock):
    clock(utc(2026, 12, 1, 0, 0))


def test_an_admin_imports_officers_and_one_accepts_the_invitation(
    chromium, live_server, make_user, tmp_path, start
):
    admin = make_user(Role.ADMIN, email="admin@example.jp")
    file = tmp_path / "officers.csv"
    file.write_bytes(OFFICERS_CSV)
    context, page = context_page(chromium, live_server)
    browser_log_in(page, admin.email)
    page.goto("/admin/")
    page.get_by_role("link", name="保護司の一括登録（CSV）").click()
    assert axe_violations(page) == []
    page.get_by_role("button", name="内容を確かめる").click()  # no file chosen
    assert page.title().startswith("エラー：")
    assert axe_violations(page) == []
    page.get_by_label("CSVファイル").set_input_files(str(file))
    page.get_by_role("button", name="内容を確かめる").click()
    page.get_by_role("heading", name="取り込みの確認").wait_for()
    assert page.get_by_text("新しく登録：2人").is_visible()
    assert page.get_by_role("cell", name="札幌 花子").is_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="取り込む").click()
    page.get_by_text("新しく登録2人").wait_for()
    context.close()

    context, page = context_page(chromium, live_server)
    page.goto(link_in_mail("shinjin@example.jp", "/login/invitation/"))
    assert page.get_by_text("新人 保護司 さん、ようこそ").is_visible()
    assert axe_violations(page) == []
    choose_password(page)
    browser_log_in(page, "shinjin@example.jp", NEW_PASSWORD)
    page.goto("/account")
    assert page.locator("#phone").input_value() == "090-1234-5678"
    context.close()


def test_an_officer_changes_their_password(chromium, live_server, officer, start):
    context, page = context_page(chromium, live_server)
    browser_log_in(page, officer.email)
    page.goto("/account")
    page.get_by_label("今のパスワード").fill(TEST_PASSWORD)
    page.locator("#new_password").fill(NEW_PASSWORD)
    page.locator("#new_password_again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="パスワードを変更する").click()
    page.get_by_text("パスワードを変更しました").wait_for()
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_url("**/login")
    browser_log_in(page, officer.email, NEW_PASSWORD)
    context.close()


def test_an_officer_keeps_their_own_details(chromium, live_server, officer, start):
    context, page = context_page(chromium, live_server)
    browser_log_in(page, officer.email)
    page.goto("/account")
    page.get_by_label("電話番号").fill("12345")
    page.get_by_role("button", name="登録内容を保存する").click()
    assert page.title().startswith("エラー：")
    assert axe_violations(page) == []
    page.get_by_label("電話番号").fill("０１１（２１１）２０００")
    page.get_by_label("お名前のふりがな").fill("ほごし いちろう")
    page.get_by_label("いつも使う区").select_option(label="北区")
    page.get_by_role("button", name="登録内容を保存する").click()
    page.get_by_text("登録内容を保存しました").wait_for()
    assert page.get_by_label("電話番号").input_value() == "011-211-2000"
    page.get_by_label("新しいメールアドレス").fill("ichiro@docomo.ne.jp")
    page.get_by_label("ご本人確認のため、お使いのパスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="確認のメールを送る").click()
    page.get_by_text("確認のメールを送りました").wait_for()
    page.goto(link_in_mail("ichiro@docomo.ne.jp", "/account/email/confirm/"))
    assert axe_violations(page) == []
    page.get_by_role("button", name="このアドレスに変える").click()
    page.get_by_text("メールアドレスを変更しました").wait_for()
    assert page.get_by_text("ichiro@docomo.ne.jp").first.is_visible()
    context.close()


def test_a_forgotten_password_end_to_end(chromium, live_server, officer, start):
    context, page = context_page(chromium, live_server)
    page.goto("/login")
    page.get_by_role("link", name="パスワードを忘れた時").click()
    assert axe_violations(page) == []
    page.get_by_role("button", name="リンクを送る").click()
    assert page.title().startswith("エラー：")
    assert axe_violations(page) == []
    page.get_by_label("メールアドレス").fill("Officer@example.jp")
    page.get_by_role("button", name="リンクを送る").click()
    page.get_by_role("heading", name="メールをご確認ください").wait_for()
    assert axe_violations(page) == []
    page.goto(link_in_mail("officer@example.jp", "/login/reset/"))
    assert axe_violations(page) == []
    choose_password(page)
    assert page.get_by_text("新しいパスワードでログインしてください").is_visible()
    browser_log_in(page, officer.email, NEW_PASSWORD)
    context.close()
