"""The second round of the officer's pages on a 375×667 phone: measured, scanned and pictured."""

from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from booking.auth.models import Role
from booking.extensions import db
from booking.reservations import services
from booking.reservations.models import Reservation, Status
from booking.reservations.services import SafetyDetails, Slot
from booking.rooms.models import OpeningHours
from booking.timeutil import TOKYO, at_tokyo
from tests.conftest import ARTIFACTS, axe_violations, browser_log_in

pytestmark = pytest.mark.browser

SMALL_PHONE = {"width": 375, "height": 667}
BUDGET = 40 * 1024  # bytes transferred for a page and everything it loads


@pytest.fixture
def evening_room(make_room, facility, clock):
    """A room open 9:00-21:00 every day, holidays too; now is Monday 7 April 2025, 9:00."""
    facility.opening_hours = [
        OpeningHours(weekday=d, opens=time(9), closes=time(21)) for d in range(7)
    ]
    facility.closes_on_holidays = False
    db.session.commit()
    clock(datetime(2025, 4, 7, 9, tzinfo=TOKYO))
    return make_room()


@pytest.fixture
def small(chromium, live_server, request):
    """A 375×667 phone that records console errors; its last screen is kept as an artifact."""
    context = chromium.new_context(
        viewport=SMALL_PHONE, base_url=live_server, locale="ja-JP", bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    shot(page, request.node.name)
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"round2-{name}.png"), full_page=True)


def book(room, officer, day: date, start: str) -> Reservation:
    starts_at = at_tokyo(day, time.fromisoformat(start))
    slot = Slot(room, starts_at, starts_at + timedelta(hours=1))
    reservation = services.book(slot, officer, by=officer, safety=SafetyDetails())
    db.session.commit()
    return reservation


TUESDAY = date(2025, 4, 8)


def test_login_to_booked_in_five_screens_with_the_button_in_reach(small, officer, evening_room):
    screens = []
    small.on("framenavigated", lambda frame: frame == small.main_frame and screens.append(1))
    browser_log_in(small, officer.email)  # 1: login, 2: today's free rooms
    small.get_by_role("link", name="時間を選ぶ").first.click()  # 3: the week
    small.locator("#day-2025-04-07 ~ ul a", has_text="18:00").click()  # 4: the form
    form_top = small.locator("main form").first.bounding_box()["y"]
    button = small.get_by_role("button", name="予約する").bounding_box()
    assert button["y"] + button["height"] - form_top <= 2 * SMALL_PHONE["height"]
    small.get_by_role("button", name="予約する").click()  # 5: done
    assert small.get_by_role("heading", name="予約が完了しました").is_visible()
    assert len(screens) <= 5
    assert small.console_errors == []


def test_after_a_search_the_first_result_is_in_view(small, officer, evening_room):
    browser_log_in(small, officer.email)
    small.get_by_role("link", name="2025年4月8日(火)").click()
    box = small.locator(".room-card h4").first.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= SMALL_PHONE["height"]
    small.get_by_text("ほかの日や時間帯で探す").click()
    small.get_by_label("夕方・夜（17時から）").check()
    small.get_by_role("button", name="この条件でさがす").click()
    box = small.locator(".room-card h4").first.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= SMALL_PHONE["height"]


def test_a_clash_offers_a_free_time_that_books_in_one_tap(small, officer, evening_room, make_user):
    book(evening_room, make_user(Role.OFFICER, email="other@example.jp"), TUESDAY, "18:00")
    browser_log_in(small, officer.email)
    small.goto(f"/rooms/{evening_room.id}/reserve?day=2025-04-08&start=18:00")
    small.get_by_label("来館したことを窓口に伝えてほしい").check()
    small.get_by_role("button", name="予約する").click()
    assert small.get_by_role("heading", name="同じ日の近い時間なら空いています").is_visible()
    assert axe_violations(small) == []
    shot(small, "clash-offers")
    small.get_by_role("button", name="19:00〜20:00 この時間で予約").click()
    assert small.get_by_role("heading", name="予約が完了しました").is_visible()
    db.session.rollback()
    mine = db.session.query(Reservation).filter_by(officer_id=officer.id).one()
    assert mine.notify_desk and at_tokyo(TUESDAY, time(19)) == mine.starts_at


def test_the_done_panel(small, officer, evening_room):
    browser_log_in(small, officer.email)
    small.goto(f"/rooms/{evening_room.id}/reserve?day=2025-04-08&start=18:00")
    small.get_by_role("button", name="予約する").click()
    assert small.get_by_role("heading", name="予約が完了しました").is_visible()
    expect(small.get_by_role("button", name="この画面を印刷する")).to_be_visible()  # by script
    assert small.get_by_text("予約番号：").is_visible()
    tel = small.get_by_role("link", name="窓口に電話する（011-211-2345）")
    assert tel.get_attribute("href") == "tel:+81-11-211-2345"
    assert tel.bounding_box()["height"] >= 48
    maps = small.get_by_role("link", name="地図で場所を見る（Googleマップ）")
    assert maps.get_attribute("href").startswith("https://www.google.com/maps/search/")
    assert axe_violations(small) == [] and small.console_errors == []


def test_undoing_a_cancel(small, officer, evening_room):
    reservation = book(evening_room, officer, TUESDAY, "18:00")
    browser_log_in(small, officer.email)
    small.goto(f"/reservations/{reservation.public_id}")
    small.get_by_role("link", name="取り消す").click()
    small.get_by_role("button", name="取り消す").click()
    assert small.get_by_text("予約を取り消しました。").is_visible()
    assert axe_violations(small) == []
    shot(small, "cancelled-with-undo")
    small.get_by_role("button", name="元に戻す").click()
    assert small.get_by_text("取り消しを元に戻しました。予約は有効です。").is_visible()
    db.session.rollback()
    assert db.session.get(Reservation, reservation.id).status is Status.ACTIVE


def test_a_reiwa_date_typed(small, officer, evening_room):
    browser_log_in(small, officer.email)
    small.goto(f"/rooms/{evening_room.id}/reserve")
    small.get_by_label("利用日").fill("令和7年4月8日")
    small.get_by_label("開始時刻").fill("18:00")
    small.get_by_role("button", name="予約する").click()
    assert small.get_by_text("2025年4月8日(火) 18:00〜19:00").is_visible()


def test_booking_four_weeks_ahead_from_the_month_calendar(small, officer, evening_room):
    browser_log_in(small, officer.email)
    small.get_by_text("カレンダーからほかの日を選ぶ").click()
    small.get_by_role("link", name="次の月").click()
    assert axe_violations(small) == []
    small.get_by_role("link", name="2025年5月5日(月)").click()
    assert small.evaluate("location.hash") == "#results"
    assert small.get_by_text("2025年5月5日(月)に空いている部屋は1室です。").is_visible()
    small.get_by_role("link", name="時間を選ぶ").first.click()
    small.locator("#day-2025-05-05 ~ ul a", has_text="18:00").click()
    small.get_by_role("button", name="予約する").click()
    assert small.get_by_text("2025年5月5日(月) 18:00〜19:00").is_visible()


def test_the_form_keeps_repeats_behind_a_disclosure(small, officer, evening_room):
    browser_log_in(small, officer.email)
    small.goto(f"/rooms/{evening_room.id}/reserve?day=2025-04-08&start=18:00")
    assert not small.get_by_label("繰り返しの最終日").is_visible()
    assert small.get_by_text("18:00〜19:00").is_visible()
    small.get_by_text("繰り返して予約する").click()
    assert small.get_by_label("繰り返しの最終日").is_visible()
    assert axe_violations(small) == []


def test_labels_and_links_are_large_enough(small, officer, evening_room):
    reservation = book(evening_room, officer, TUESDAY, "18:00")
    browser_log_in(small, officer.email)
    small.goto(f"/rooms/{evening_room.id}/week")
    sizes = small.eval_on_selector_all(
        ".slot__state", "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes and min(sizes) >= 16
    assert small.get_by_role("link", name="部屋選びに戻る").bounding_box()["height"] >= 44
    small.goto("/reservations/")
    row = small.locator(f'a[href="/reservations/{reservation.public_id}"]')
    assert row.bounding_box()["height"] >= 44
    small.goto(f"/reservations/{reservation.public_id}")
    assert small.get_by_role("link", name="予約の一覧に戻る").bounding_box()["height"] >= 44


def officer_pages(room, reservation) -> list[str]:
    return [
        "/",
        "/?day=2025-04-08&month=2025-05",
        f"/rooms/{room.id}/week",
        f"/rooms/{room.id}/reserve?day=2025-04-08&start=13:00",
        f"/reservations/{reservation.public_id}?booked=1",
        f"/reservations/{reservation.public_id}/edit",
        "/reservations/",
        "/rooms/",
    ]


def test_every_officer_page_is_light_clean_and_passes_axe(
    chromium, live_server, officer, evening_room
):
    reservation = book(evening_room, officer, TUESDAY, "10:00")
    for path in officer_pages(evening_room, reservation):
        # A fresh context each time: nothing cached, every byte counted.
        context = chromium.new_context(viewport=SMALL_PHONE, base_url=live_server, bypass_csp=True)
        page = context.new_page()
        errors = []
        page.on("console", lambda m, errors=errors: m.type == "error" and errors.append(m.text))
        browser_log_in(page, officer.email)
        page.goto(path)
        page.wait_for_load_state("load")
        sent = page.evaluate(
            """() => performance.getEntriesByType('navigation').concat(
                   performance.getEntriesByType('resource'))
                 .reduce((sum, e) => sum + e.transferSize, 0)"""
        )
        assert 0 < sent < BUDGET, (path, sent)
        assert errors == [], (path, errors)
        assert axe_violations(page) == [], path
        context.close()
