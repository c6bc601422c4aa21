"""axe-core finds no problem of any impact on the officer's and the desk's pages, errors shown."""

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import update

from booking.auth.models import Role
from booking.extensions import db
from booking.notify.models import MessageStatus, OutboxMessage
from booking.notify.outbox import compose, enqueue
from booking.reservations import services
from booking.reservations.services import SafetyDetails, Slot
from booking.safety.models import AlarmKind, Outcome
from booking.safety.services import acknowledge
from booking.timeutil import TOKYO, at_tokyo
from tests.conftest import ARTIFACTS, PHONE, axe_violations, browser_log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def pages(room, officer, clock):
    """The URLs of every officer page, with one reservation in place."""
    clock(datetime(2025, 4, 7, 9, tzinfo=TOKYO))
    starts_at = at_tokyo(date(2025, 4, 8), time(10))
    reservation = services.book(
        Slot(room, starts_at, starts_at + timedelta(hours=1)),
        officer,
        by=officer,
        safety=SafetyDetails(desk_note="階段が苦手です"),
    )
    db.session.commit()
    return {
        "find": "/?day=2025-04-08",
        "week": f"/rooms/{room.id}/week",
        "booking-form": f"/rooms/{room.id}/reserve?day=2025-04-08&start=13:00",
        "booking-form-errors": f"/rooms/{room.id}/reserve?day=2025-04-08&start=13:00",
        "confirmation": f"/reservations/{reservation.public_id}",
        "my-reservations": "/reservations/",
        "rooms": "/rooms/",
        "account": "/account",
        "account-errors": "/account",
    }


def test_login_page(chromium, live_server):
    context = chromium.new_context(viewport=PHONE, base_url=live_server, bypass_csp=True)
    page = context.new_page()
    page.goto("/login")
    page.get_by_role("button", name="ログインする").click()  # empty: errors shown
    assert page.title().startswith("エラー：")
    assert axe_violations(page) == []
    context.close()


@pytest.mark.parametrize(
    "name",
    [
        "find",
        "week",
        "booking-form",
        "booking-form-errors",
        "confirmation",
        "my-reservations",
        "rooms",
        "account",
        "account-errors",
    ],
)
def test_officer_pages(chromium, live_server, officer, pages, name):
    context = chromium.new_context(viewport=PHONE, base_url=live_server, bypass_csp=True)
    page = context.new_page()
    browser_log_in(page, officer.email)
    page.goto(pages[name])
    if name == "booking-form-errors":
        page.get_by_label("利用日").fill("")
        page.get_by_role("button", name="予約する").click()
        assert page.title().startswith("エラー：")
    if name == "account-errors":
        page.get_by_label("今のパスワード").fill("not my password")
        page.get_by_role("button", name="パスワードを変更する").click()
        assert page.title().startswith("エラー：")
    assert axe_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"page-{name}.png"), full_page=True)
    context.close()


DESK = {"width": 1280, "height": 800}  # the desk works on a PC


@pytest.mark.parametrize(
    "path",
    [
        "/manage/",
        "/manage/facilities/{id}/schedule?day=2025-04-08",
        "/manage/facilities/{id}/board?refresh=0",
        "/manage/facilities/{id}/closures",
        "/manage/facilities/{id}/book",
        "/manage/facilities/{id}/desk",
        "desk-errors",
    ],
)
def test_desk_pages(chromium, live_server, make_user, facility, pages, path):
    manager = make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])
    context = chromium.new_context(viewport=DESK, base_url=live_server, bypass_csp=True)
    page = context.new_page()
    browser_log_in(page, manager.email)
    if path == "desk-errors":
        page.goto(f"/manage/facilities/{facility.id}/desk")
        page.get_by_label("見守りのお知らせを受けるメールアドレス").fill("desk.example.jp")
        page.get_by_role("button", name="保存する").click()
        assert page.title().startswith("エラー：")
    else:
        page.goto(path.format(id=facility.id))
    assert axe_violations(page) == []
    if "desk" in path:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{path.strip('/').split('/')[-1]}.png"))
    context.close()


@pytest.mark.parametrize("path", ["/admin/", "/admin/messages"])
def test_admin_pages(chromium, live_server, make_user, now, path):
    admin = make_user(Role.ADMIN, email="admin@city.example")
    failed = compose("nobody@example.jp", "【確認のお願い】退室の記録がありません", "本文")
    enqueue("reservation.overdue", failed)
    enqueue("reservation.overdue", compose("desk@example.jp", "お知らせ", "本文"))
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.recipient.startswith("nobody"))
        .values(status=MessageStatus.FAILED, attempts=10, last_error="SMTP 550")
    )
    db.session.commit()
    context = chromium.new_context(viewport=DESK, base_url=live_server, bypass_csp=True)
    page = context.new_page()
    browser_log_in(page, admin.email)
    page.goto(path)
    assert axe_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-{path.strip('/').replace('/', '-')}.png"))
    context.close()


@pytest.fixture
def safety_day(room, make_room, officer, make_user, facility, clock):
    """Tuesday 10:30: the officer checked in at 9:00 to 9:00-10:00 and has 14:00-15:00 to come;
    another interview, 10:00-11:00, nobody came to; one acknowledged at 9:20."""
    clock(datetime(2025, 4, 8, 8, tzinfo=TOKYO))

    def book(target, who, start):
        starts_at = at_tokyo(date(2025, 4, 8), time.fromisoformat(start))
        slot = Slot(target, starts_at, starts_at + timedelta(hours=1))
        return services.book(slot, who, by=who, safety=SafetyDetails())

    in_room = book(room, officer, "09:00")
    in_room.checked_in_at = in_room.starts_at
    book(room, officer, "14:00")
    other = make_user(Role.OFFICER, name="保護司 二郎")
    book(make_room(), other, "10:00")
    acknowledged = book(make_room(), make_user(Role.OFFICER), "09:00")
    db.session.commit()
    manager = make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])
    acknowledge(
        acknowledged,
        kind=AlarmKind.NOT_ARRIVED,
        outcome=Outcome.OTHER,
        note="別の場所で面談中と電話で確認",
        by=manager,
        now=datetime(2025, 4, 8, 9, 20, tzinfo=TOKYO),
        grace=timedelta(minutes=15),
    )
    db.session.commit()
    clock(datetime(2025, 4, 8, 10, 30, tzinfo=TOKYO))
    return manager


def test_home_page_with_the_today_panel(chromium, live_server, officer, safety_day):
    context = chromium.new_context(viewport=PHONE, base_url=live_server, bypass_csp=True)
    page = context.new_page()
    browser_log_in(page, officer.email)
    assert page.get_by_role("heading", name="今日の面談").is_visible()
    assert page.get_by_text("入室の記録は13:30からできます").is_visible()
    assert axe_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home-today-panel.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("path", ["board?refresh=0", "board"])
def test_board_with_both_alarms_and_an_acknowledgement(
    chromium, live_server, facility, safety_day, path
):
    context = chromium.new_context(viewport=DESK, base_url=live_server, bypass_csp=True)
    page = context.new_page()
    browser_log_in(page, safety_day.email)
    page.goto(f"/manage/facilities/{facility.id}/{path}")
    states = page.locator(".board-row__state").all_inner_texts()
    assert states[:3] == ["退室未記録", "未到着", "これから"] and "確認済み" in states
    assert axe_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "board-alarms.png"), full_page=True)
    context.close()


def test_acknowledgement_form_with_an_error(chromium, live_server, facility, safety_day):
    context = chromium.new_context(viewport=DESK, base_url=live_server, bypass_csp=True)
    page = context.new_page()
    browser_log_in(page, safety_day.email)
    page.goto(f"/manage/facilities/{facility.id}/board?refresh=0")
    page.get_by_role("link", name="確認した結果を記録する").first.click()
    page.get_by_label("その他", exact=True).check()
    page.get_by_role("button", name="記録して警告を消す").click()
    assert page.title().startswith("エラー：")
    assert axe_violations(page) == []
    context.close()


def test_two_factor_pages(chromium, live_server, make_user, facility):
    """The setup page with its QR code, the recovery codes, the code step and its error."""
    import pyotp

    from tests.test_browser_two_factor import log_in_with_password, log_out

    manager = make_user(Role.MANAGER, facilities=[facility], two_factor=False)
    context = chromium.new_context(viewport=PHONE, base_url=live_server, bypass_csp=True)
    page = context.new_page()
    log_in_with_password(page, manager.email)
    page.wait_for_url("**/account/two-factor")
    assert axe_violations(page) == []
    page.get_by_role("button", name="2段階認証の設定を始める").click()
    page.get_by_label("確認コード").fill("12")
    page.get_by_role("button", name="確認して設定する").click()
    assert page.title().startswith("エラー：")
    assert axe_violations(page) == []
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("確認コード").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="確認して設定する").click()
    page.get_by_role("heading", name="2段階認証を設定しました").wait_for()
    assert axe_violations(page) == []
    log_out(page)
    log_in_with_password(page, manager.email)
    page.wait_for_url("**/login/code")
    assert axe_violations(page) == []
    page.get_by_label("確認コード").fill("nonsense")
    page.get_by_role("button", name="ログインする").click()
    assert page.title().startswith("エラー：")
    assert axe_violations(page) == []
    context.close()
