"""The desk's second round in a browser: schedule by date, officer search, free grid, closures."""

from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from booking.auth.models import Role
from booking.extensions import db
from booking.reservations import services
from booking.reservations.models import Reservation
from booking.reservations.services import SafetyDetails, Slot
from booking.timeutil import TOKYO, at_tokyo
from tests.conftest import ARTIFACTS, axe_violations, browser_log_in

pytestmark = pytest.mark.browser

DESK = {"width": 1280, "height": 800}


@pytest.fixture
def desk_page(chromium, live_server, make_user, facility, room, officer, clock, request):
    """A manager at a PC; the officer has a reading and a phone and 10:00 on Tuesday."""
    clock(datetime(2025, 4, 7, 9, tzinfo=TOKYO))
    officer.name_kana, officer.phone = "ホゴシ イチロウ", "090-1111-2222"
    starts_at = at_tokyo(date(2025, 4, 8), time(10))
    slot = Slot(room, starts_at, starts_at + timedelta(hours=1))
    services.book(slot, officer, by=officer, safety=SafetyDetails())
    db.session.commit()
    manager = make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])
    context = chromium.new_context(viewport=DESK, base_url=live_server, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    browser_log_in(page, manager.email)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"desk2-{request.node.name}.png"), full_page=True)
    context.close()


def test_the_schedule_of_a_picked_day_with_a_print_button(desk_page, facility):
    desk_page.goto(f"/manage/facilities/{facility.id}/schedule")
    expect(desk_page.get_by_role("button", name="印刷する")).to_be_visible()  # by script
    desk_page.get_by_label("日付を選ぶ").fill("2025-04-08")
    desk_page.get_by_role("button", name="この日を表示").click()
    expect(desk_page.get_by_text("2025年4月8日(火)").first).to_be_visible()  # the new page
    assert desk_page.get_by_text("保護司 一郎").is_visible()
    assert axe_violations(desk_page) == []


def test_booking_for_an_officer_found_by_reading_from_the_free_grid(desk_page, facility, officer):
    desk_page.goto(f"/manage/facilities/{facility.id}/book?day=2025-04-08")
    desk_page.get_by_label("名前・よみがな・電話番号").fill("いちろう")
    desk_page.get_by_role("button", name="探す").click()
    expect(desk_page.get_by_text("見つかった保護司：1人")).to_be_visible()
    assert axe_violations(desk_page) == []
    desk_page.locator("a.slot--free", has_text="14:00").first.click()
    assert desk_page.get_by_label("開始時刻").input_value() == "14:00"
    desk_page.get_by_role("button", name="予約する").click()
    assert desk_page.get_by_text("保護司 一郎様").first.is_visible()
    db.session.rollback()
    assert db.session.query(Reservation).count() == 2


def test_a_closure_that_hits_a_booking_is_confirmed_on_its_own_page(desk_page, facility):
    desk_page.goto(f"/manage/facilities/{facility.id}/closures")
    desk_page.get_by_label("休館の始まりの日").fill("令和7年4月8日")
    desk_page.get_by_label("休館の終わりの日").fill("2025-04-08")
    desk_page.get_by_label("理由（利用者に表示されます）").fill("停電のため")
    desk_page.get_by_role("button", name="休館を登録する").click()
    assert desk_page.get_by_role(
        "heading", name="この休館で1件の予約が取り消しになります"
    ).is_visible()
    assert desk_page.get_by_role("link", name="090-1111-2222").get_attribute("href") == (
        "tel:+81-90-1111-2222"
    )
    assert not desk_page.title().startswith("エラー")
    assert axe_violations(desk_page) == []
    desk_page.get_by_role("button", name="1件の予約を取り消して休館を登録する").click()
    assert desk_page.get_by_text("休館を登録しました。取り消した予約：1件").is_visible()
