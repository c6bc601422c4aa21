"""The desk in a browser: the board shows an overdue interview in red; the schedule prints on A4."""

import re
from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from booking.auth.models import Role
from booking.extensions import db
from booking.reservations import services
from booking.reservations.services import SafetyDetails, Slot
from booking.timeutil import TOKYO, at_tokyo
from tests.conftest import ARTIFACTS, browser_log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(make_user, facility, room, officer, clock):
    """A manager, and an interview 9:00-10:00 checked in to but not out of; now 10:30."""
    clock(datetime(2025, 4, 8, 8, tzinfo=TOKYO))
    officer.phone = "090-1111-2222"
    starts_at = at_tokyo(date(2025, 4, 8), time(9))
    reservation = services.book(
        Slot(room, starts_at, starts_at + timedelta(hours=1)),
        officer,
        by=officer,
        safety=SafetyDetails(second_officer=True, desk_note="エレベーターを使います"),
    )
    reservation.checked_in_at = starts_at
    db.session.commit()
    clock(datetime(2025, 4, 8, 10, 30, tzinfo=TOKYO))
    return make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])


def test_board_shows_the_overdue_interview_in_red(phone, desk, facility):
    browser_log_in(phone, desk.email)
    phone.goto(f"/manage/facilities/{facility.id}/board")
    row = phone.locator(".board-row").first
    assert row.locator(".board-row__state").inner_text() == "退室未記録"
    assert "090-1111-2222" in row.inner_text()
    colour = row.evaluate("e => getComputedStyle(e).borderTopColor")
    assert colour == "rgb(206, 0, 0)"


@pytest.fixture
def absent(make_room, make_user, clock):
    """A second interview, 10:00-11:00, that nobody checked in to: not arrived at 10:30."""
    clock(datetime(2025, 4, 8, 8, tzinfo=TOKYO))
    starts_at = at_tokyo(date(2025, 4, 8), time(10))
    other = make_user(Role.OFFICER, name="保護司 二郎")
    services.book(
        Slot(make_room(), starts_at, starts_at + timedelta(hours=1)),
        other,
        by=other,
        safety=SafetyDetails(),
    )
    db.session.commit()
    clock(datetime(2025, 4, 8, 10, 30, tzinfo=TOKYO))


def test_board_tells_both_alarms_apart_and_an_acknowledgement_clears_one(
    phone, desk, absent, facility
):
    browser_log_in(phone, desk.email)
    phone.goto(f"/manage/facilities/{facility.id}/board?refresh=0")
    states = phone.locator(".board-row__state").all_inner_texts()
    assert states == ["退室未記録", "未到着"]
    for row in phone.locator(".board-row").all():
        assert row.evaluate("e => getComputedStyle(e).borderTopColor") == "rgb(206, 0, 0)"

    absent_card = phone.locator(".board-row", has_text="保護司 二郎")
    absent_card.get_by_role("link", name="確認した結果を記録する").click()
    phone.get_by_label("電話で無事を確認").check()
    phone.get_by_role("button", name="記録して警告を消す").click()

    assert phone.get_by_text("確認した結果を記録しました。").is_visible()
    states = phone.locator(".board-row__state").all_inner_texts()
    assert states == ["退室未記録", "確認済み"]  # the other alarm stays red, first
    card = phone.locator(".board-row", has_text="保護司 二郎")
    assert "確認済み（未到着）：電話で無事を確認（テスト 利用者、10:30）" in card.inner_text()
    colour = card.evaluate("e => getComputedStyle(e).borderTopColor")
    assert colour != "rgb(206, 0, 0)"


def test_board_refresh_brings_the_new_time_and_offers_a_sound(
    chromium, live_server, desk, facility, clock
):
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server)
    page = context.new_page()
    page.clock.install(time=datetime(2025, 4, 8, 10, 30, tzinfo=TOKYO))
    browser_log_in(page, desk.email)
    page.goto(f"/manage/facilities/{facility.id}/board")
    assert "10:30 現在" in page.locator("#board-now").inner_text()
    sound = page.get_by_role("button", name="新しい警告を音で知らせる")
    sound.click()
    assert sound.get_attribute("aria-pressed") == "true"
    clock(datetime(2025, 4, 8, 10, 31, tzinfo=TOKYO))
    page.clock.run_for(61_000)
    expect(page.locator("#board-now")).to_contain_text("10:31 現在")
    context.close()


# Counts the tones the board plays: a stand-in for the Web Audio API, which is silent here.
COUNT_TONES = """
window.tones = 0;
window.AudioContext = class {
  constructor() { this.currentTime = 0; this.destination = {}; }
  resume() { return Promise.resolve(); }
  createGain() {
    return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} },
             connect(target) { return target; } };
  }
  createOscillator() {
    return { frequency: {}, connect(target) { return target; },
             start() { window.tones += 1; }, stop() {} };
  }
};
"""


def test_a_tone_sounds_when_a_refresh_brings_a_new_alarm(
    chromium, live_server, desk, absent, facility, clock
):
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server)
    context.add_init_script(COUNT_TONES)
    page = context.new_page()
    clock(datetime(2025, 4, 8, 10, 10, tzinfo=TOKYO))  # the second interview: not late yet
    page.clock.install(time=datetime(2025, 4, 8, 10, 10, tzinfo=TOKYO))
    browser_log_in(page, desk.email)
    page.goto(f"/manage/facilities/{facility.id}/board")
    page.get_by_role("button", name="新しい警告を音で知らせる").click()
    assert page.evaluate("window.tones") == 1  # a sample, on the click
    page.evaluate("document.querySelectorAll('#board article').forEach(a => a.dataset.old = 1)")
    page.clock.run_for(61_000)
    expect(page.locator("#board article[data-old]")).to_have_count(0)  # refreshed
    assert page.evaluate("window.tones") == 1  # the same alarm: no tone

    clock(datetime(2025, 4, 8, 10, 20, tzinfo=TOKYO))  # now nobody has come: a new alarm
    page.clock.run_for(61_000)
    expect(page.locator("#board-now")).to_contain_text("10:20 現在")
    expect(page.locator(".board-row--not_arrived")).to_have_count(1)
    assert page.evaluate("window.tones") == 2
    context.close()


def test_day_schedule_prints_on_one_a4_page(chromium, live_server, desk, facility):
    context = chromium.new_context(base_url=live_server)
    page = context.new_page()
    browser_log_in(page, desk.email)
    page.goto(f"/manage/facilities/{facility.id}/schedule?day=2025-04-08")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = page.pdf(path=str(ARTIFACTS / "day-schedule-a4.pdf"), prefer_css_page_size=True)
    context.close()
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert len(boxes) == 1  # one page
    width, height = (float(number) for number in boxes[0])
    assert abs(width - 595) < 2 and abs(height - 842) < 2  # A4 in points
