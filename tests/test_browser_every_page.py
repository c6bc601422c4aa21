"""Every page of the app, for the person who sees it, at a phone's width: axe finds no
violation of any impact. A page added to the app is not done until it is scanned here."""

from datetime import date, datetime, time, timedelta

import pytest

from booking.admin import accounts, imports
from booking.auth import tokens
from booking.auth.models import Role, TokenPurpose
from booking.extensions import db
from booking.reservations import services
from booking.reservations.services import SafetyDetails, Slot
from booking.timeutil import TOKYO, at_tokyo
from tests.conftest import PHONE, TEST_PASSWORD, axe_violations, browser_log_in

# Answers that are not pages: files, feeds, probes.
NOT_PAGES = {
    "static",
    "ops.healthz",
    "ops.readyz",
    "feeds.feed",
    "feeds.reservation",
    "admin.accounts_csv",
    "admin.audit_csv",
    "imports.template",
    "manage.schedule_csv",
    "reports.csv",
    "reports.xlsx",
    "reports.trial_csv",
}

# Pages reached by filling in a form first (see reach()), not by their address alone.
REACHED = {"auth.code", "auth.letter_password"}


def addresses(s) -> dict[str, dict[str, str]]:
    """Each person's pages, endpoint → address, for the scene ``s``."""
    r = s.reservation.public_id
    return {
        "anonymous": {
            "auth.login": "/login",
            "auth.forgot_password": "/login/forgot",
            "auth.reset_sent": "/login/forgot/sent",
            "auth.invitation": f"/login/invitation/{s.invitation}",
            "auth.reset_password": f"/login/reset/{s.reset}",
            "auth.letter": "/login/letter",
        },
        "officer": {
            "rooms.find": "/",
            "rooms.index": "/rooms/",
            "rooms.week": f"/rooms/{s.room.id}/week",
            "reservations.new": f"/rooms/{s.room.id}/reserve?day=2025-04-08&start=13:00",
            "reservations.index": "/reservations/",
            "reservations.show": f"/reservations/{r}",
            "reservations.edit": f"/reservations/{r}/edit",
            "reservations.cancel": f"/reservations/{r}/cancel",
            "feeds.index": "/calendar",
            "account.index": "/account",
            "account.confirm_password": "/account/confirm?next=/account",
            "account.two_factor_page": "/account/two-factor",
            "account.confirm_email": f"/account/email/confirm/{s.new_address}",
        },
        "manager": {
            "manage.index": "/manage/",
            "manage.schedule": f"/manage/facilities/{s.facility.id}/schedule?day=2025-04-08",
            "manage.board": f"/manage/facilities/{s.facility.id}/board?refresh=0",
            "manage.book": f"/manage/facilities/{s.facility.id}/book",
            "manage.closures": f"/manage/facilities/{s.facility.id}/closures",
            "manage.desk": f"/manage/facilities/{s.facility.id}/desk",
            "manage.acknowledge": f"/manage/reservations/{r}/acknowledge",
            "manage.slip": f"/manage/reservations/{r}/slip",
            "reports.index": "/reports/",
            "reports.print_month": f"/reports/facilities/{s.facility.id}/print",
            "reports.trial": "/reports/trial",
        },
        "admin": {
            "admin.index": "/admin/",
            "admin.messages": "/admin/messages",
            "admin.accounts_list": "/admin/accounts",
            "admin.new_account": "/admin/accounts/new",
            "admin.account": f"/admin/accounts/{s.officer.id}",
            "admin.edit_account": f"/admin/accounts/{s.officer.id}/edit",
            "imports.upload_page": "/admin/accounts/import",
            "imports.preview": f"/admin/accounts/import/{s.upload}",
            "admin.facilities": "/admin/facilities",
            "admin.new_facility": "/admin/facilities/new",
            "admin.facility": f"/admin/facilities/{s.facility.id}",
            "admin.new_room": f"/admin/facilities/{s.facility.id}/rooms/new",
            "admin.room": f"/admin/rooms/{s.room.id}",
            "admin.retire_room": f"/admin/rooms/{s.room.id}/retire",
            "admin.closures": "/admin/closures",
            "admin.audit": "/admin/audit",
        },
    }


def test_every_page_of_the_app_is_scanned(app):
    """The list above is the app's: a new page that is not scanned fails here."""
    pages = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and rule.endpoint not in NOT_PAGES
    }
    scanned = {e for role in addresses(Anything()).values() for e in role} | REACHED
    assert pages == scanned


class Anything:
    """A stand-in scene: every attribute is itself, and it reads as 1."""

    def __getattr__(self, _name):
        return self

    def __str__(self) -> str:
        return "1"


def details(name: str, email: str | None) -> accounts.Details:
    return accounts.Details(name, None, email, None, Role.OFFICER, [], None)


class Scene:
    """One facility with a room, its manager, an admin, an officer with a booking, and the
    links and uploads the token pages and the import preview need."""

    def __init__(self, make_user, facility, room):
        self.facility, self.room = facility, room
        self.officer = make_user(Role.OFFICER, email="officer@example.jp", name="保護司 一郎")
        self.manager = make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])
        self.admin = make_user(Role.ADMIN, email="admin@example.jp")
        starts_at = at_tokyo(date(2025, 4, 8), time(10))
        self.reservation = services.book(
            Slot(room, starts_at, starts_at + timedelta(hours=1)),
            self.officer,
            by=self.officer,
            safety=SafetyDetails(),
        )
        newcomer = accounts.create(details("招待 一", "new@example.jp"), by=self.admin)
        self.invitation = tokens.issue(newcomer, TokenPurpose.INVITATION, by=self.admin)
        self.reset = tokens.issue(self.officer, TokenPurpose.RESET, by=None)
        self.new_address = tokens.issue(
            self.officer, TokenPurpose.EMAIL, by=self.officer, new_email="ichiro@example.jp"
        )
        paper = accounts.create(details("紙 一", None), by=self.admin)
        self.letter = (paper.login_id, accounts.letter(paper, by=self.admin).code)
        officers_csv = "氏名,メールアドレス\r\n新人 保護司,shinjin@example.jp\r\n"
        self.upload = imports.store(officers_csv.encode("cp932"), "officers.csv", by=self.admin).id
        db.session.commit()


@pytest.fixture
def scene(make_user, facility, room, clock):
    clock(datetime(2025, 4, 7, 9, tzinfo=TOKYO))
    return Scene(make_user, facility, room)


def reach(page, endpoint: str, s: Scene) -> None:
    """Fill in the form that leads to a page with no address of its own."""
    if endpoint == "auth.code":
        page.goto("/login")
        page.get_by_label("メールアドレス").fill(s.manager.email)
        page.get_by_label("パスワード").fill(TEST_PASSWORD)
        page.get_by_role("button", name="ログインする").click()
        page.wait_for_url("**/login/code")
    else:
        page.goto("/login/letter")
        page.get_by_label("ログインID").fill(s.letter[0])
        page.get_by_label("確認コード").fill(s.letter[1])
        page.get_by_role("button", name="次へ").click()
        page.wait_for_url("**/login/letter/password")


@pytest.mark.browser
@pytest.mark.parametrize("person", ["anonymous", "officer", "manager", "admin"])
def test_no_page_has_any_axe_violation(chromium, live_server, scene, person):
    context = chromium.new_context(
        viewport=PHONE, base_url=live_server, locale="ja-JP", bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    found = {}
    if person == "anonymous":
        for endpoint in sorted(REACHED):
            reach(page, endpoint, scene)
            found[endpoint] = axe_violations(page)
            context.clear_cookies()
    else:
        browser_log_in(page, getattr(scene, person).email)
        assert page.goto("/no-such-page").status == 404
        found["404"] = axe_violations(page)
    for endpoint, path in addresses(scene)[person].items():
        response = page.goto(path)
        assert response.status == 200, (endpoint, path, response.status)
        found[endpoint] = axe_violations(page)
    context.close()
    assert {e: v for e, v in found.items() if v} == {}
