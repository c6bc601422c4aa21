"""The desk in a browser: the board shows an overdue interview in red; the schedule prints on A4."""

import re
from datetime import date, datetime, time, timedelta

import pytest

from booking.auth.models import Role
from booking.extensions import db
from booking.reservations import services
from booking.reservations.services import SafetyDetails, Slot
from booking.timeutil import TOKYO, at_tokyo
from tests.conftest import ARTIFACTS, browser_log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(make_user, facility, room, officer, clock):
    """A manager, and an interview 9:00-10:00 that nobody checked out of; now 10:30."""
    clock(datetime(2025, 4, 8, 8, tzinfo=TOKYO))
    officer.phone = "090-1111-2222"
    starts_at = at_tokyo(date(2025, 4, 8), time(9))
    services.book(
        Slot(room, starts_at, starts_at + timedelta(hours=1)),
        officer,
        by=officer,
        safety=SafetyDetails(second_officer=True, desk_note="エレベーターを使います"),
    )
    db.session.commit()
    clock(datetime(2025, 4, 8, 10, 30, tzinfo=TOKYO))
    return make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])


def test_board_shows_the_overdue_interview_in_red(phone, desk, facility):
    browser_log_in(phone, desk.email)
    phone.goto(f"/manage/facilities/{facility.id}/board")
    row = phone.locator(".board-row").first
    assert row.locator(".board-row__state").inner_text() == "超過"
    assert "090-1111-2222" in row.inner_text()
    colour = row.evaluate("e => getComputedStyle(e).borderTopColor")
    assert colour == "rgb(206, 0, 0)"


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
