"""An officer on a phone: find, book, see the emergency card, cancel, check in and out."""

from datetime import date, datetime, time, timedelta

import pytest

from booking.auth.models import Role
from booking.extensions import db
from booking.reservations import services
from booking.reservations.models import Reservation, Status
from booking.reservations.services import SafetyDetails, Slot
from booking.rooms.models import OpeningHours
from booking.timeutil import TOKYO, at_tokyo
from tests.conftest import ARTIFACTS, browser_log_in

SMALL_PHONE = {"width": 375, "height": 667}

pytestmark = pytest.mark.browser


@pytest.fixture
def evening_room(make_room, facility, clock):
    """A ward-center-like room open 9:00-21:00 every day; now is Monday 7 April 2025, 9:00."""
    facility.opening_hours = [
        OpeningHours(weekday=d, opens=time(9), closes=time(21)) for d in range(7)
    ]
    facility.closes_on_holidays = False
    db.session.commit()
    clock(datetime(2025, 4, 7, 9, tzinfo=TOKYO))
    return make_room()


def assert_fits_a_phone(page) -> None:
    """No horizontal scroll at 375px, body text at least 18px, targets at least 44px."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 18
    small = page.evaluate(
        """[...document.querySelectorAll(
                '.button, button, select, textarea, .slot--free, .checkbox, ' +
                'input:not([type=hidden]):not([type=checkbox]):not([type=radio])')]
            .filter(e => e.offsetParent !== null)
            .filter(e => {
                const r = e.getBoundingClientRect();
                return r.height < 44 || r.width < 44;
            }).map(e => e.outerHTML.slice(0, 80))"""
    )
    assert small == []


def test_find_book_and_cancel_in_three_screens(phone, officer, evening_room):
    browser_log_in(phone, officer.email)
    assert_fits_a_phone(phone)
    phone.get_by_text("ほかの日や時間帯で探す").click()
    phone.get_by_label("夕方・夜（17時から）").check()
    phone.get_by_role("button", name="この条件でさがす").click()
    assert phone.get_by_text("17:00〜21:00").first.is_visible()
    # Screen 1: the room.  Screen 2: the time.  Screen 3: the details, then confirmed.
    phone.get_by_role("link", name="時間を選ぶ").first.click()
    assert_fits_a_phone(phone)
    phone.locator("#day-2025-04-07 ~ ul a", has_text="18:00").click()
    assert phone.get_by_label("開始時刻").input_value() == "18:00"
    assert_fits_a_phone(phone)
    phone.get_by_label("もう一人の保護司が同席する").check()
    phone.get_by_role("button", name="予約する").click()
    assert phone.get_by_text("2025年4月7日(月) 18:00〜19:00").is_visible()
    assert phone.get_by_role("link", name="110番に電話する").get_attribute("href") == "tel:110"
    assert_fits_a_phone(phone)
    phone.get_by_role("link", name="取り消す").click()
    phone.get_by_role("button", name="取り消す").click()
    assert phone.get_by_text("予約を取り消しました。").is_visible()
    db.session.rollback()
    assert db.session.query(Reservation).one().status is Status.CANCELLED


def test_conflict_shows_the_japanese_error_and_keeps_the_input(
    phone, officer, evening_room, make_user
):
    browser_log_in(phone, officer.email)
    phone.goto(f"/rooms/{evening_room.id}/reserve?day=2025-04-08&start=18:00")
    phone.get_by_text("ほかに窓口に伝えること").click()
    phone.get_by_label("窓口へのメモ").fill("車いすで伺います")
    other = make_user(Role.OFFICER)
    starts_at = at_tokyo(date(2025, 4, 8), time(18))
    services.book(
        Slot(evening_room, starts_at, starts_at + timedelta(hours=1)),
        other,
        by=other,
        safety=SafetyDetails(),
    )
    db.session.commit()
    phone.get_by_role("button", name="予約する").click()
    assert phone.title().startswith("エラー：")
    assert phone.locator("#error-summary").evaluate("e => e === document.activeElement")
    assert phone.locator("#start-error").get_by_text("この時間は既に予約があります").is_visible()
    assert phone.get_by_label("窓口へのメモ").input_value() == "車いすで伺います"
    assert phone.get_by_label("開始時刻").input_value() == "18:00"


def test_check_in_and_out(phone, officer, evening_room, clock):
    starts_at = at_tokyo(date(2025, 4, 7), time(10))
    services.book(
        Slot(evening_room, starts_at, starts_at + timedelta(hours=1)),
        officer,
        by=officer,
        safety=SafetyDetails(),
    )
    db.session.commit()
    clock(datetime(2025, 4, 7, 9, 40, tzinfo=TOKYO))
    browser_log_in(phone, officer.email)
    phone.goto("/reservations/")
    phone.get_by_role("button", name="入室しました").click()
    assert phone.get_by_text("入室中").is_visible()
    phone.get_by_role("button", name="退室しました").click()
    assert phone.get_by_text("退室済").is_visible()
    assert_fits_a_phone(phone)


def test_an_overrunning_interview_checks_out_from_the_home_page(
    chromium, live_server, officer, evening_room, clock
):
    starts_at = at_tokyo(date(2025, 4, 7), time(10))
    reservation = services.book(
        Slot(evening_room, starts_at, starts_at + timedelta(hours=1)),
        officer,
        by=officer,
        safety=SafetyDetails(),
    )
    reservation.checked_in_at = starts_at
    db.session.commit()
    clock(datetime(2025, 4, 7, 13, tzinfo=TOKYO))  # two hours past the end
    context = chromium.new_context(viewport=SMALL_PHONE, base_url=live_server, locale="ja-JP")
    page = context.new_page()
    browser_log_in(page, officer.email)
    button = page.get_by_role("button", name="退室しました")
    heading = page.get_by_role("heading", name="空いている部屋をさがす")
    assert button.bounding_box()["y"] < heading.bounding_box()["y"]
    assert button.bounding_box()["y"] + button.bounding_box()["height"] <= SMALL_PHONE["height"]
    assert_fits_a_phone(page)
    button.click()
    assert page.get_by_text("退室を記録しました。").is_visible()
    page.screenshot(path=str(ARTIFACTS / "home-check-out-overrun.png"), full_page=True)
    context.close()
    db.session.rollback()
    assert db.session.get(Reservation, reservation.id).checked_out_at is not None


def test_switch_to_english_and_back(phone, officer, evening_room):
    browser_log_in(phone, officer.email)
    phone.get_by_role("button", name="English").click()
    assert phone.get_by_role("heading", name="Find a free room").is_visible()
    phone.goto(f"/rooms/{evening_room.id}/week")
    assert phone.get_by_role("link", name="Next week").is_visible()
    phone.get_by_role("button", name="日本語").click()
    assert phone.get_by_role("heading", name="テスト区役所 面談室1").is_visible() or (
        phone.get_by_text("次の週").is_visible()
    )


def test_pages_work_without_javascript(chromium, live_server, officer, evening_room):
    context = chromium.new_context(
        viewport={"width": 375, "height": 812}, base_url=live_server, java_script_enabled=False
    )
    page = context.new_page()
    browser_log_in(page, officer.email)
    page.goto(f"/rooms/{evening_room.id}/reserve?day=2025-04-08&start=18:00")
    page.get_by_role("button", name="予約する").click()
    assert page.get_by_role("heading", name="予約が完了しました").is_visible()
    context.close()
