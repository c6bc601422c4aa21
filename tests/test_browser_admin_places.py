"""An admin in a browser: shorter Friday hours cancel a booking after confirmation, a room is
retired, and the audit viewer finds both; every new page is axe-clean, at a PC and a phone."""

from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from booking.auth.models import Role
from booking.extensions import db
from booking.reservations import services
from booking.reservations.services import SafetyDetails, Slot
from booking.timeutil import TOKYO, at_tokyo
from tests.conftest import ARTIFACTS, PHONE, axe_violations, browser_log_in

pytestmark = pytest.mark.browser

DESK = {"width": 1280, "height": 800}
FRIDAY = date(2025, 4, 11)


@pytest.fixture
def browser(chromium, live_server, request):
    """Open pages at a PC or a phone size; screenshots of each are kept as artifacts."""
    contexts = []

    def open_page(viewport=DESK):
        context = chromium.new_context(viewport=viewport, base_url=live_server, locale="ja-JP")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    ARTIFACTS.mkdir(exist_ok=True)
    for n, context in enumerate(contexts):
        for page in context.pages:
            page.screenshot(
                path=str(ARTIFACTS / f"admin-places-{request.node.name}-{n}.png"), full_page=True
            )
        context.close()


@pytest.fixture
def friday_booking(room, officer, clock):
    clock(datetime(2025, 4, 7, 9, tzinfo=TOKYO))
    starts_at = at_tokyo(FRIDAY, time(16))
    reservation = services.book(
        Slot(room, starts_at, starts_at + timedelta(hours=1)),
        officer,
        by=officer,
        safety=SafetyDetails(),
    )
    db.session.commit()
    return reservation


def test_shorter_friday_hours_retire_a_room_and_find_both_in_the_audit_log(
    browser, make_user, facility, make_room, room, officer, friday_booking
):
    spare = make_room()
    admin = make_user(Role.ADMIN, email="admin@example.jp", name="管理 一郎")
    page = browser()
    browser_log_in(page, admin.email)

    page.goto("/admin/")
    page.get_by_role("link", name="施設と部屋").click()
    page.get_by_role("link", name=facility.name_ja).click()
    assert axe_violations(page) == []
    page.get_by_label("金 閉館").fill("15:00")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("取り消しになります")
    expect(page.get_by_text("保護司 一郎")).to_be_visible()
    expect(page.get_by_text("16:00〜17:00")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="1件の予約を取り消して保存する").click()
    expect(page.get_by_text("取り消した予約：1件")).to_be_visible()

    page.goto(f"/admin/rooms/{spare.id}")
    assert axe_violations(page) == []
    page.get_by_role("link", name="この部屋の予約の受付を終える").click()
    expect(page.get_by_text("取り消しになる予約はありません。")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="受付を終える").click()
    expect(page.get_by_text("部屋の予約の受付を終えました")).to_be_visible()

    page.goto("/admin/")
    page.get_by_role("link", name="操作の記録").click()
    page.get_by_label("操作（例：reservation.cancel、room）").fill("facility.update")
    page.get_by_role("button", name="絞り込む").click()
    expect(page.locator("td", has_text="facility.update")).to_have_count(1)
    expect(page.get_by_text("changed=opening_hours")).to_be_visible()
    page.get_by_label("操作（例：reservation.cancel、room）").fill("room.retire")
    page.get_by_role("button", name="絞り込む").click()
    expect(page.locator("td", has_text="room.retire")).to_have_count(1)
    page.get_by_label("操作（例：reservation.cancel、room）").fill("reservation.cancel")
    page.get_by_label("施設").select_option(label=facility.name_ja)
    page.get_by_role("button", name="絞り込む").click()
    expect(page.locator("td", has_text="reservation.cancel")).to_have_count(1)
    assert axe_violations(page) == []

    officer_page = browser(PHONE)
    browser_log_in(officer_page, officer.email)
    officer_page.goto("/reservations/")
    expect(officer_page.get_by_text("施設の開館時間などの変更のため取り消し")).to_be_visible()
    officer_page.goto(f"/rooms/{spare.id}/reserve")
    expect(officer_page.get_by_text("予約の受付を終えました")).to_be_visible()
    assert axe_violations(officer_page) == []


def test_the_new_pages_are_axe_clean_on_a_phone(
    browser, make_user, facility, room, officer, friday_booking
):
    admin = make_user(Role.ADMIN, email="admin@example.jp")
    page = browser(PHONE)
    browser_log_in(page, admin.email)
    for path in (
        "/admin/",
        "/admin/facilities",
        "/admin/facilities/new",
        f"/admin/facilities/{facility.id}",
        f"/admin/facilities/{facility.id}/rooms/new",
        f"/admin/rooms/{room.id}",
        f"/admin/rooms/{room.id}/retire",
        "/admin/closures",
        "/admin/audit",
    ):
        page.goto(path)
        assert axe_violations(page) == [], path
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
    # An error page too: the summary and the messages next to the fields.
    page.goto(f"/admin/facilities/{facility.id}")
    page.get_by_label("金 開館").fill("18:00")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_text("入力内容に問題があります")).to_be_visible()
    assert axe_violations(page) == []
    # A city-wide closure with its confirmation.
    page.goto("/admin/closures")
    page.get_by_label("休館の始まりの日").fill("2025-04-11")
    page.get_by_label("休館の終わりの日").fill("2025-04-11")
    page.get_by_label("理由（利用者に表示されます）").fill("停電")
    page.get_by_role("button", name="休館を登録する").click()
    expect(page.get_by_text("保護司 一郎")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="1件の予約を取り消して保存する").click()
    expect(page.get_by_text("取り消した予約：1件")).to_be_visible()
