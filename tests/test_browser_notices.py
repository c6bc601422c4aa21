"""In a browser: a closure the desk records reaches the officer by e-mail and on their list."""

import re

import pytest

from booking.auth.models import Role
from booking.extensions import db
from booking.notify.sender import send_pass
from tests.conftest import ARTIFACTS, PHONE, booked, browser_log_in

pytestmark = pytest.mark.browser

DESK = {"width": 1280, "height": 800}


def test_a_closure_reaches_the_officer_by_mail_and_on_their_list(
    chromium, live_server, smtp_server, make_user, facility, room, officer, now
):
    booked(room, officer, "10:00")  # Tuesday 8 April, 10:00-11:00
    manager = make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])

    desk = chromium.new_context(viewport=DESK, base_url=live_server, locale="ja-JP").new_page()
    browser_log_in(desk, manager.email)
    desk.goto(f"/manage/facilities/{facility.id}/closures")
    desk.get_by_label("休館の始まりの日").fill("2025-04-08")
    desk.get_by_label("休館の終わりの日").fill("2025-04-08")
    desk.get_by_label("理由（利用者に表示されます）").fill("停電のため")
    desk.get_by_role("button", name="休館を登録する").click()
    assert "保護司 一郎" in desk.content()  # the hit booking is shown before anything changes
    desk.get_by_role("button", name=re.compile("予約を取り消して休館を登録する")).click()
    assert "取り消した予約：1件" in desk.content()

    db.session.commit()  # end the test's own read: the sender's claim is a transaction of its own
    send_pass()
    (notice,) = [m for m in smtp_server if str(m["Subject"]).startswith("予約が取り消されました")]
    assert notice["To"] == officer.email
    body = notice.get_body(preferencelist=("plain",)).get_content()
    assert "停電のため" in body and "2025年4月8日(火) 10:00〜11:00" in body

    page = chromium.new_context(viewport=PHONE, base_url=live_server, locale="ja-JP").new_page()
    browser_log_in(page, officer.email)
    page.goto("/reservations/")
    listed = page.locator("li", has_text="2025年4月8日(火) 10:00〜11:00")
    assert "取消" in listed.inner_text() and "停電のため" in listed.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "closure-on-the-officers-list.png"), full_page=True)
