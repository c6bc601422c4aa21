"""A manager sets up the second factor on a phone, then logs in with a code and a recovery code."""

import time

import pyotp
import pytest

from booking.auth.models import Role
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def log_in_with_password(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログインする").click()


def log_out(page) -> None:
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_url("**/login")


def enrol(page) -> tuple[str, list[str]]:
    """Set up the authenticator as a person would; the secret and recovery codes shown."""
    page.get_by_role("button", name="2段階認証の設定を始める").click()
    assert page.get_by_role("img", name="認証アプリに読み取らせるQRコード").is_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("確認コード").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="確認して設定する").click()
    page.get_by_role("heading", name="2段階認証を設定しました").wait_for()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    return secret, codes


def test_a_manager_enrols_then_logs_in_with_a_code_and_with_a_recovery_code(
    phone, make_user, facility
):
    manager = make_user(Role.MANAGER, facilities=[facility], two_factor=False)
    log_in_with_password(phone, manager.email)
    phone.wait_for_url("**/account/two-factor")
    secret, codes = enrol(phone)
    assert len(codes) == 10
    phone.get_by_role("link", name="書き写したので、次へ進む").click()
    phone.goto("/manage/")
    assert phone.url.endswith("/manage/")
    log_out(phone)

    log_in_with_password(phone, manager.email)
    phone.wait_for_url("**/login/code")
    # The next step's code: the one used to enrol cannot be used again.
    phone.get_by_label("確認コード").fill(pyotp.TOTP(secret).at(time.time() + 30))
    phone.get_by_role("button", name="ログインする").click()
    phone.wait_for_url("**/")
    assert phone.get_by_role("button", name="ログアウト").is_visible()
    log_out(phone)

    log_in_with_password(phone, manager.email)
    phone.wait_for_url("**/login/code")
    phone.get_by_label("確認コード").fill(codes[0])
    phone.get_by_role("button", name="ログインする").click()
    phone.wait_for_url("**/")
    assert phone.get_by_role("button", name="ログアウト").is_visible()
