"""In the browser: an administrator creates officers, who start from an e-mailed link or a
printed letter, choose a password and log in; axe finds nothing on these pages."""

import re

import pytest
from sqlalchemy import select

from booking.auth.models import Role, User
from booking.extensions import db
from tests.conftest import ARTIFACTS, axe_violations, browser_log_in
from tests.test_invitations import invitation_path

pytestmark = pytest.mark.browser

NEW_PASSWORD = "藻岩山 夜景 路面電車"


def log_out(page) -> None:
    page.get_by_role("button", name="ログアウト", exact=True).click()
    page.wait_for_url("**/login")


def create_officer(page, name: str, email: str = "") -> None:
    page.goto("/admin/")
    page.get_by_role("link", name="アカウントを作る").click()
    page.get_by_label("氏名").fill(name)
    page.get_by_label("ふりがな").fill("ほごし はじめ")
    if email:
        page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("電話番号").fill("０９０−１２３４−５６７８")
    page.get_by_label("保護司").check()
    page.get_by_role("button", name="アカウントを作る").click()
    page.wait_for_load_state()


def choose_password(page) -> None:
    page.locator("#new_password").fill(NEW_PASSWORD)
    page.locator("#new_password_again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="パスワードを決める").click()
    page.wait_for_url("**/login")


def log_in_as(page, login: str) -> None:
    page.get_by_label("メールアドレス（またはログインID）").fill(login)
    page.get_by_label("パスワード").fill(NEW_PASSWORD)
    page.get_by_role("button", name="ログインする").click()
    page.wait_for_url("**/")
    assert page.get_by_role("button", name="ログアウト").is_visible()


def test_an_invited_officer_sets_a_password_from_the_e_mail_and_logs_in(phone, make_user):
    admin = make_user(Role.ADMIN, email="admin@city.example")
    browser_log_in(phone, admin.email)
    create_officer(phone, "招待 一", email="hajime@docomo.ne.jp")
    assert "hajime@docomo.ne.jp に案内のメールを送りました" in phone.content()
    log_out(phone)
    db.session.commit()  # see what the server committed
    phone.goto(invitation_path())
    assert phone.get_by_text("招待 一 さん、ようこそ").is_visible()
    choose_password(phone)
    log_in_as(phone, "hajime@docomo.ne.jp")


def test_an_officer_without_e_mail_starts_from_the_printed_letter(
    phone, chromium, live_server, make_user
):
    admin = make_user(Role.ADMIN, email="admin@city.example")
    browser_log_in(phone, admin.email)
    create_officer(phone, "紙 一")
    assert phone.get_by_role(
        "heading", name="面談室予約サイトを使い始めるためのお知らせ"
    ).is_visible()
    text = phone.locator("article.letter").inner_text()
    login_id = re.search(r"H[0-9]{6}", text).group(0)
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", text).group(0)
    assert "/login/letter" in text
    assert code not in phone.url
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = phone.pdf(path=str(ARTIFACTS / "account-letter.pdf"), format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one sheet of A4
    phone.emulate_media(media="print")
    assert not phone.locator(".site-header").is_visible()  # only the letter is printed
    phone.emulate_media(media="screen")
    assert axe_violations(phone) == []

    # The officer, on their own phone, types the code as it comes: small letters, no dashes.
    officer = chromium.new_context(viewport={"width": 375, "height": 812}, base_url=live_server)
    page = officer.new_page()
    page.goto("/login")
    page.get_by_role("link", name="市から確認コードの紙が届いた方").click()
    page.get_by_label("ログインID").fill(login_id.lower())
    page.get_by_label("確認コード").fill(code.replace("-", " ").lower())
    page.get_by_role("button", name="次へ").click()
    page.wait_for_url("**/login/letter/password")
    assert page.get_by_text(f"あなたのログインIDは {login_id} です").is_visible()
    assert axe_violations(page) == []
    choose_password(page)
    log_in_as(page, login_id)
    officer.close()
    db.session.commit()
    user = db.session.scalar(select(User).where(User.login_id == login_id))
    assert user.email is None and user.password_hash is not None


@pytest.fixture
def account_pages(make_user, facility):
    """The admin's new pages, with an officer with and one without e-mail."""
    admin = make_user(Role.ADMIN, email="admin@city.example")
    desk = make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])
    paper = User(name="紙 二郎", name_kana="カミ ジロウ", login_id="H135790", role=Role.OFFICER)
    db.session.add(paper)
    db.session.commit()
    return admin, {
        "list": "/admin/accounts",
        "list-filtered": "/admin/accounts?q=かみ&status=invited",
        "account": f"/admin/accounts/{desk.id}",
        "account-without-e-mail": f"/admin/accounts/{paper.id}",
        "new": "/admin/accounts/new",
        "new-errors": "/admin/accounts/new",
        "edit": f"/admin/accounts/{desk.id}/edit",
        "letter": f"/admin/accounts/{paper.id}",
    }


@pytest.mark.parametrize(
    "name",
    [
        "list",
        "list-filtered",
        "account",
        "account-without-e-mail",
        "new",
        "new-errors",
        "edit",
        "letter",
    ],
)
def test_account_pages_are_accessible(phone, account_pages, name):
    admin, paths = account_pages
    browser_log_in(phone, admin.email)
    phone.goto(paths[name])
    if name == "new-errors":
        phone.get_by_label("メールアドレス").fill("not an address")
        phone.get_by_role("button", name="アカウントを作る").click()
        assert phone.title().startswith("エラー：")
    if name == "letter":
        phone.get_by_role("button", name="確認コードの紙を印刷する").click()
        phone.get_by_role("heading", name="面談室予約サイトを使い始めるためのお知らせ").wait_for()
    assert axe_violations(phone) == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll


@pytest.mark.parametrize("name", ["letter", "letter-errors"])
def test_the_code_entry_is_accessible(phone, name):
    phone.goto("/login/letter")
    if name == "letter-errors":
        phone.get_by_label("ログインID").fill("H000000")
        phone.get_by_label("確認コード").fill("AAAA-BBBB-CCCC")
        phone.get_by_role("button", name="次へ").click()
        assert phone.title().startswith("エラー：")
        assert phone.get_by_text("ログインIDか確認コードが違います").first.is_visible()
    assert axe_violations(phone) == []
