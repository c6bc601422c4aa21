"""Facilities, rooms, hours and city-wide closures as admins change them in the browser."""

import re
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from booking.audit import AuditEvent
from booking.auth import services as accounts
from booking.auth.models import Role
from booking.extensions import db
from booking.notify.models import OutboxMessage
from booking.notify.notices import Notice
from booking.reservations import services
from booking.reservations.models import Reservation, Status
from booking.reservations.services import SafetyDetails, Slot
from booking.rooms.models import Closure, Facility, FacilityKind, FeeBasis, OpeningHours, Room, Ward
from booking.timeutil import at_tokyo
from tests.conftest import TUESDAY, audited_changes, booked, csrf_token, log_in, row_count

FRIDAY = date(2025, 4, 11)  # in the week of NOW (Monday 7 April 2025)


@pytest.fixture
def other_facility(app):
    facility = Facility(
        code="other",
        ward=Ward.KITA,
        name_ja="別の区民センター",
        name_en="Other",
        address="札幌市北区",
        kind=FacilityKind.SUPPORT_CENTER,
        fee_basis=FeeBasis.FULL_EXEMPTION,
        bookable_from=date(2020, 1, 1),
        opening_hours=[OpeningHours(weekday=d, opens=time(9), closes=time(21)) for d in range(7)],
        rooms=[Room(code="r", name_ja="面談室B", name_en="B")],
    )
    db.session.add(facility)
    db.session.commit()
    return facility


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, email="admin@example.jp", name="管理 一郎")


def client_for(app, user):
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    return client


@pytest.fixture
def admin_client(app, admin):
    return client_for(app, admin)


def book_on(room, officer, day, start, minutes=60):
    starts_at = at_tokyo(day, time.fromisoformat(start))
    reservation = services.book(
        Slot(room, starts_at, starts_at + timedelta(minutes=minutes)),
        officer,
        by=officer,
        safety=SafetyDetails(),
    )
    db.session.commit()
    return reservation


def post(client, path, data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/admin/"), **data})


def facility_form(facility, **changes):
    """The facility page's fields as the browser sends them, with ``changes``."""
    data = {
        "name_ja": facility.name_ja,
        "name_en": facility.name_en,
        "address": facility.address,
        "phone": facility.phone or "",
        "kind": facility.kind.value,
        "fee_basis": facility.fee_basis.value,
        "bookable_from": facility.bookable_from.isoformat(),
        "bookable_until": "",
        "closes_on_holidays": "y" if facility.closes_on_holidays else "",
        "closes_year_end": "y" if facility.closes_year_end else "",
        "desk_email": facility.desk_email or "",
    }
    for day in range(7):
        hours = facility.hours_on(day)
        data[f"opens_{day}"] = hours.opens.strftime("%H:%M") if hours else ""
        data[f"closes_{day}"] = hours.closes.strftime("%H:%M") if hours else ""
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def room_form(room, **changes):
    data = {
        "name_ja": room.name_ja,
        "name_en": room.name_en,
        "floor": room.floor,
        "capacity": room.capacity,
        "buffer_minutes": room.buffer_minutes,
        "min_minutes": room.min_minutes,
        "max_minutes": room.max_minutes,
        "slot_minutes": room.slot_minutes,
        "window_days": room.window_days,
    }
    for day in range(7):
        hours = room.staffed_on(day)
        data[f"opens_{day}"] = hours.opens.strftime("%H:%M") if hours else ""
        data[f"closes_{day}"] = hours.closes.strftime("%H:%M") if hours else ""
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


# Every page, for every role ------------------------------------------------------------

PAGES = [
    "/admin/facilities",
    "/admin/facilities/new",
    "/admin/facilities/{facility}",
    "/admin/facilities/{facility}/rooms/new",
    "/admin/rooms/{room}",
    "/admin/rooms/{room}/retire",
    "/admin/closures",
    "/admin/audit",
    "/admin/audit.csv",
]
POSTS = [
    "/admin/facilities/new",
    "/admin/facilities/{facility}",
    "/admin/facilities/{facility}/rooms/new",
    "/admin/rooms/{room}",
    "/admin/rooms/{room}/retire",
    "/admin/rooms/{room}/reactivate",
    "/admin/closures",
    "/admin/closures/{closure}/delete",
]


@pytest.fixture
def scene(app, make_user, facility, other_facility, room, officer, now):
    closure = Closure(
        facility=facility,
        starts_at=at_tokyo(date(2025, 5, 1), time()),
        ends_at=at_tokyo(date(2025, 5, 2), time()),
        reason="点検",
    )
    db.session.add(closure)
    db.session.commit()
    return {
        "ids": {"facility": facility.id, "room": room.id, "closure": closure.id},
        "officer": officer,
        "other officer": make_user(email="other@example.jp"),
        "manager": make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility]),
        "other manager": make_user(
            Role.MANAGER, email="desk2@example.jp", facilities=[other_facility]
        ),
    }


def test_anonymous_visitors_are_sent_to_the_login(client, scene):
    for page in PAGES:
        response = client.get(page.format(**scene["ids"]))
        assert response.status_code == 302 and "/login" in response.headers["Location"], page
    token = csrf_token(client)
    for page in POSTS:
        response = client.post(page.format(**scene["ids"]), data={"csrf_token": token})
        assert response.status_code == 302 and "/login" in response.headers["Location"], page


@pytest.mark.parametrize("role", ["officer", "other officer", "manager", "other manager"])
def test_only_admins_reach_the_place_pages(app, scene, role):
    client = client_for(app, scene[role])
    for page in PAGES:
        assert client.get(page.format(**scene["ids"])).status_code == 403, page
    token = csrf_token(client, "/")
    before = audited_changes()
    for page in POSTS:
        path = page.format(**scene["ids"])
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path
    assert audited_changes() == before


def test_admins_reach_every_page(admin_client, scene):
    for page in PAGES:
        assert admin_client.get(page.format(**scene["ids"])).status_code == 200, page


def test_a_deactivated_admin_is_signed_out(app, admin, scene):
    client = client_for(app, admin)
    accounts.deactivate(admin)
    db.session.commit()
    for page in PAGES:
        response = client.get(page.format(**scene["ids"]))
        assert response.status_code == 302 and "/login" in response.headers["Location"], page


def test_the_admin_index_links_the_new_pages(admin_client):
    html = admin_client.get("/admin/").get_data(as_text=True)
    for path in ("/admin/facilities", "/admin/closures", "/admin/audit"):
        assert f'href="{path}"' in html


# Facilities and their hours --------------------------------------------------------------


def test_shorter_friday_hours_list_the_hit_reservation_then_cancel_it_on_confirmation(
    app, admin_client, facility, room, officer, now
):
    hit = book_on(room, officer, FRIDAY, "16:00")
    kept = book_on(room, officer, FRIDAY, "10:00")
    path = f"/admin/facilities/{facility.id}"
    response = post(admin_client, path, facility_form(facility, closes_4="15:00"))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "取り消しになります" in html and "16:00" in html and officer.name in html
    assert db.session.get(Reservation, hit.id).status is Status.ACTIVE
    assert db.session.get(Facility, facility.id).hours_on(4).closes == time(17, 15)

    ids = re.search(r'name="confirm" value="([^"]*)"', html).group(1)
    data = facility_form(facility, closes_4="15:00", confirm=ids)
    assert post(admin_client, path, data).status_code == 302
    db.session.expire_all()
    cancelled = db.session.get(Reservation, hit.id)
    assert cancelled.status is Status.CANCELLED
    assert "施設の開館時間" in cancelled.cancel_reason
    assert db.session.get(Reservation, kept.id).status is Status.ACTIVE
    assert db.session.get(Facility, facility.id).hours_on(4).closes == time(15)
    notice = db.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.reservation_id == hit.id, OutboxMessage.kind == Notice.CANCELLATION
        )
    )
    assert notice.details["reason"] == cancelled.cancel_reason
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "facility.update"))
    assert event.facility_id == facility.id
    assert event.details == {"changed": ["opening_hours"], "cancelled": 1}
    cancel = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reservation.cancel"))
    assert cancel.facility_id == facility.id

    officer_client = client_for(app, officer)
    mine = officer_client.get("/reservations/?show=past").get_data(as_text=True)
    mine += officer_client.get(f"/reservations/{hit.public_id}").get_data(as_text=True)
    assert "施設の開館時間などの変更のため取り消し" in mine


def test_a_reservation_booked_after_the_confirmation_page_is_shown_again(
    admin_client, facility, room, officer, make_user, now
):
    first = book_on(room, officer, FRIDAY, "16:00")
    path = f"/admin/facilities/{facility.id}"
    second = book_on(room, make_user(email="late@example.jp"), date(2025, 4, 18), "16:00")
    response = post(
        admin_client, path, facility_form(facility, closes_4="15:00", confirm=str(first.id))
    )
    assert response.status_code == 409  # the late booking was not on the page the admin saw
    db.session.expire_all()
    assert db.session.get(Reservation, first.id).status is Status.ACTIVE
    assert db.session.get(Reservation, second.id).status is Status.ACTIVE


def test_reservations_already_begun_are_never_touched(
    admin_client, clock, facility, room, officer, now
):
    started = book_on(room, officer, date(2025, 4, 7), "16:00")
    clock(at_tokyo(date(2025, 4, 7), time(16, 30)))
    response = post(
        admin_client,
        f"/admin/facilities/{facility.id}",
        facility_form(facility, opens_0="", closes_0=""),
    )
    assert response.status_code == 302  # nothing future was hit: saved at once
    db.session.expire_all()
    assert db.session.get(Reservation, started.id).status is Status.ACTIVE
    assert db.session.get(Facility, facility.id).hours_on(0) is None


def test_closing_on_a_new_lending_end_strands_later_reservations(
    admin_client, facility, room, officer, now
):
    later = booked(room, officer)  # Tuesday 8 April
    data = facility_form(facility, bookable_until="2025-04-07")
    response = post(admin_client, f"/admin/facilities/{facility.id}", data)
    assert response.status_code == 409 and "4月8日" in response.get_data(as_text=True)
    assert (
        post(
            admin_client, f"/admin/facilities/{facility.id}", {**data, "confirm": str(later.id)}
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Reservation, later.id).status is Status.CANCELLED


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"opens_4": "18:00", "closes_4": "09:00"}, "閉じる時刻は開く時刻より後"),
        ({"opens_4": "09:00", "closes_4": "09:00"}, "閉じる時刻は開く時刻より後"),
        ({"opens_4": "09:10"}, "15分単位"),
        ({"closes_4": ""}, "両方を入力するか"),
        ({"opens_4": "25:00"}, "24時間制"),
        ({"name_ja": " "}, "入力してください"),
        ({"phone": "123"}, "電話番号は"),
        ({"bookable_from": "2025-05-01", "bookable_until": "2025-04-01"}, "最初の日より後"),
        ({"kind": "castle"}, "一覧から選んで"),
        ({"name_ja": "a\x00b"}, "使えない文字"),
    ],
)
def test_bad_facility_input_is_refused_and_changes_nothing(
    admin_client, facility, changes, message
):
    before = audited_changes()
    response = post(
        admin_client, f"/admin/facilities/{facility.id}", facility_form(facility, **changes)
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Facility, facility.id).hours_on(4).opens == time(8, 45)
    assert audited_changes() == before


def test_full_width_times_are_accepted(admin_client, facility):
    data = facility_form(facility, opens_5="１０：００", closes_5="１５：３０")
    assert post(admin_client, f"/admin/facilities/{facility.id}", data).status_code == 302
    db.session.expire_all()
    saturday = db.session.get(Facility, facility.id).hours_on(5)
    assert (saturday.opens, saturday.closes) == (time(10), time(15, 30))


def test_an_unchanged_form_records_nothing(admin_client, facility):
    before = audited_changes()
    assert (
        post(admin_client, f"/admin/facilities/{facility.id}", facility_form(facility)).status_code
        == 302
    )
    assert audited_changes() == before


def test_add_a_facility_then_a_room(admin_client, facility, now):
    data = facility_form(facility, code="new-hall", ward="teine", name_ja="新しい会館")
    response = post(admin_client, "/admin/facilities/new", data)
    assert response.status_code == 302
    new = db.session.scalar(select(Facility).where(Facility.code == "new-hall"))
    assert new.ward is Ward.TEINE and len(new.opening_hours) == 5
    room = Room(name_ja="会議室", name_en="", floor="", slot_minutes=15, buffer_minutes=0)
    room.window_days = 60
    data = {**room_form(room, capacity=6, min_minutes=30, max_minutes=120), "code": "r-1"}
    assert post(admin_client, f"/admin/facilities/{new.id}/rooms/new", data).status_code == 302
    db.session.expire_all()
    added = db.session.scalar(select(Room).where(Room.facility_id == new.id))
    assert (added.name_ja, added.capacity, added.active) == ("会議室", 6, True)
    actions = set(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.facility_id == new.id))
    )
    assert actions == {"facility.create", "room.create"}
    again = post(
        admin_client,
        "/admin/facilities/new",
        {**data, **facility_form(facility, code="new-hall", ward="teine")},
    )
    assert again.status_code == 400 and "既に使われています" in again.get_data(as_text=True)


@pytest.mark.parametrize("code", ["Big Hall", "-x", "ホール", "a" * 65])
def test_bad_facility_codes_are_refused(admin_client, facility, code):
    data = facility_form(facility, code=code, ward="kita")
    response = post(admin_client, "/admin/facilities/new", data)
    assert response.status_code == 422 and "コードは" in response.get_data(as_text=True)


def test_renaming_a_facility_moves_its_rooms_in_the_feeds(admin_client, facility, room):
    version = room.place_version
    data = facility_form(facility, name_ja="新しい名前の区役所")
    assert post(admin_client, f"/admin/facilities/{facility.id}", data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Room, room.id).place_version == version + 1


# Rooms ------------------------------------------------------------------------------------


def test_a_stricter_room_rule_strands_what_no_longer_fits(admin_client, room, officer, now):
    off_step = book_on(room, officer, FRIDAY, "10:15", minutes=45)
    fine = book_on(room, officer, FRIDAY, "13:00", minutes=60)
    path = f"/admin/rooms/{room.id}"
    data = room_form(room, slot_minutes=30, min_minutes=60, name_ja="面談室あ")
    response = post(admin_client, path, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "10:15" in html and "13:00" not in html
    assert post(admin_client, path, {**data, "confirm": str(off_step.id)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Reservation, off_step.id).status is Status.CANCELLED
    assert db.session.get(Reservation, fine.id).status is Status.ACTIVE
    changed = db.session.get(Room, room.id)
    assert (changed.slot_minutes, changed.min_minutes, changed.name_ja) == (30, 60, "面談室あ")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "room.update"))
    assert event.details["changed"] == ["min_minutes", "name_ja", "slot_minutes"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"capacity": "0"}, "1から200まで"),
        ({"min_minutes": "90", "max_minutes": "60"}, "いちばん短い予約以上"),
        ({"slot_minutes": "20"}, "一覧から選んで"),
        ({"min_minutes": "45", "slot_minutes": "30"}, "刻みの倍数"),
        ({"window_days": "abc"}, "数字で"),
        ({"opens_1": "16:00", "closes_1": "09:30"}, "開く時刻より後"),
    ],
)
def test_bad_room_input_is_refused_and_changes_nothing(admin_client, room, changes, message):
    before = audited_changes()
    response = post(admin_client, f"/admin/rooms/{room.id}", room_form(room, **changes))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert audited_changes() == before


def test_retiring_a_room_lists_its_future_reservations_then_cancels_them(
    app, admin_client, facility, room, officer, now
):
    future = booked(room, officer)
    page = admin_client.get(f"/admin/rooms/{room.id}/retire").get_data(as_text=True)
    assert "1件の予約が取り消し" in page and officer.name in page
    ids = re.search(r'name="confirm" value="([^"]*)"', page).group(1)
    response = post(admin_client, f"/admin/rooms/{room.id}/retire", {"confirm": ids})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Room, room.id).active is False
    assert db.session.get(Room, room.id).retired_at == now
    page = admin_client.get(f"/admin/rooms/{room.id}").get_data(as_text=True)
    assert "この部屋は2025年4月7日(月)に予約の受付を終えました。" in page
    cancelled = db.session.get(Reservation, future.id)
    assert cancelled.status is Status.CANCELLED and "利用終了" in cancelled.cancel_reason
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "room.retire"))
    assert event.facility_id == facility.id and event.details == {"cancelled": 1}

    officer_client = client_for(app, officer)
    gone = officer_client.get(f"/rooms/{room.id}/reserve")
    assert gone.status_code == 410 and "予約の受付を終えました" in gone.get_data(as_text=True)
    assert officer_client.get(f"/rooms/{room.id}/week").status_code == 410
    token = csrf_token(officer_client, "/")
    gone = officer_client.post(f"/rooms/{room.id}/reserve", data={"csrf_token": token})
    assert gone.status_code == 410
    assert room.name_ja not in officer_client.get("/rooms/").get_data(as_text=True)
    # The history stays: the officer still sees the cancelled reservation and its room.
    shown = officer_client.get(f"/reservations/{future.public_id}").get_data(as_text=True)
    assert room.name_ja in shown


def test_a_booking_after_the_retire_page_was_shown_asks_again(admin_client, room, officer, now):
    page = admin_client.get(f"/admin/rooms/{room.id}/retire").get_data(as_text=True)
    assert "取り消しになる予約はありません" in page
    late = booked(room, officer)
    response = post(admin_client, f"/admin/rooms/{room.id}/retire", {"confirm": ""})
    assert response.status_code == 409 and officer.name in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Room, room.id).active is True
    assert db.session.get(Reservation, late.id).status is Status.ACTIVE


def test_a_retired_room_leaves_the_desk_pages_and_may_come_back(
    app, admin_client, make_user, facility, make_room, room, now
):
    retired = make_room(active=False)
    manager = make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])
    desk = client_for(app, manager)
    for page in ("book", "closures"):
        html = desk.get(f"/manage/facilities/{facility.id}/{page}").get_data(as_text=True)
        assert retired.name_ja not in html and room.name_ja in html, page
    assert post(admin_client, f"/admin/rooms/{retired.id}/reactivate", {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Room, retired.id).active is True


def test_retiring_twice_is_refused(admin_client, make_room, now):
    retired = make_room(active=False)
    response = post(admin_client, f"/admin/rooms/{retired.id}/retire", {"confirm": ""})
    assert response.status_code == 400 and "既に" in response.get_data(as_text=True)


# City-wide closures -----------------------------------------------------------------------


def test_a_ward_closure_lists_hits_cancels_on_confirmation_and_can_be_removed(
    admin_client, facility, other_facility, room, officer, now
):
    hit = booked(room, officer)  # Tuesday 8 April, in the Chuo ward facility
    data = {
        "ward": "chuo",
        "first_day": "2025-04-08",
        "last_day": "令和7年4月9日",
        "reason": "選挙",
    }
    response = post(admin_client, "/admin/closures", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and officer.name in html
    assert row_count(Closure) == 0
    ids = re.search(r'name="confirm" value="([^"]*)"', html).group(1)
    assert post(admin_client, "/admin/closures", {**data, "confirm": ids}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Reservation, hit.id).status is Status.CANCELLED
    assert "選挙" in db.session.get(Reservation, hit.id).cancel_reason
    closures = db.session.scalars(select(Closure)).all()
    assert [c.facility_id for c in closures] == [facility.id]  # Kita's facility stays open

    listing = admin_client.get("/admin/closures").get_data(as_text=True)
    assert "選挙" in listing and "1施設" in listing
    assert post(admin_client, f"/admin/closures/{closures[0].id}/delete", {}).status_code == 302
    assert row_count(Closure) == 0
    assert db.session.get(Reservation, hit.id).status is Status.CANCELLED


def test_a_city_closure_covers_every_facility(admin_client, facility, other_facility, now):
    data = {"ward": "", "first_day": "2025-12-01", "last_day": "2025-12-01", "reason": "停電"}
    assert post(admin_client, "/admin/closures", data).status_code == 302
    closures = db.session.scalars(select(Closure)).all()
    assert {c.facility_id for c in closures} == {facility.id, other_facility.id}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "closure.create"))
    assert {e.facility_id for e in events} == {facility.id, other_facility.id}
    assert "2施設" in admin_client.get("/admin/closures").get_data(as_text=True)
    post(admin_client, f"/admin/closures/{closures[0].id}/delete", {})
    assert row_count(Closure) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"last_day": "2025-04-01"}, "始まりの日と同じか後"),
        ({"reason": ""}, "入力してください"),
        ({"ward": "atlantis"}, "一覧から選んで"),
        ({"first_day": "2025-02-30"}, "日付は"),
    ],
)
def test_bad_city_closures_are_refused(admin_client, facility, changes, message):
    data = {"ward": "", "first_day": "2025-04-08", "last_day": "2025-04-09", "reason": "点検"}
    response = post(admin_client, "/admin/closures", {**data, **changes})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert row_count(Closure) == 0


@pytest.mark.parametrize("path", ["/admin/rooms/99999999999/retire", "/admin/facilities/0"])
def test_huge_or_unknown_ids_are_404(admin_client, path):
    assert admin_client.get(path).status_code == 404


def test_the_booking_rules_follow_new_hours(admin_client, facility, room, officer, now):
    data = facility_form(facility, opens_1="12:00")
    assert post(admin_client, f"/admin/facilities/{facility.id}", data).status_code == 302
    with pytest.raises(Exception, match="12:00から"):
        booked(room, officer, start="10:00")
    db.session.rollback()
    assert booked(room, officer, start="12:00").status is Status.ACTIVE
    assert TUESDAY.weekday() == 1


def test_renaming_a_room_in_the_browser_reaches_the_officers_feed(
    app, admin_client, room, officer, now
):
    from booking.feeds import services as feeds
    from booking.feeds.models import Feed, FeedKind

    booked(room, officer)
    token = feeds.issue(officer, Feed(FeedKind.MINE), by=officer)
    db.session.commit()
    calendar = app.test_client()
    before = calendar.get(f"/feeds/{token}.ics")
    assert "面談室1" in before.get_data(as_text=True)
    data = room_form(room, name_ja="相談室みどり")
    assert post(admin_client, f"/admin/rooms/{room.id}", data).status_code == 302
    after = calendar.get(f"/feeds/{token}.ics", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    text = after.get_data(as_text=True).replace("\r\n ", "")
    assert "相談室みどり" in text and "面談室1" not in text


def test_shorter_staffed_hours_strand_only_caution_flagged_interviews(
    admin_client, room, officer, make_user, now
):
    starts_at = at_tokyo(FRIDAY, time(15))
    caution = services.book(
        Slot(room, starts_at, starts_at + timedelta(hours=1)),
        officer,
        by=officer,
        safety=SafetyDetails(caution=True),
    )
    plain = book_on(room, make_user(email="p@example.jp"), FRIDAY, "13:00")
    db.session.commit()
    data = room_form(room, closes_4="14:30")
    response = post(admin_client, f"/admin/rooms/{room.id}", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "15:00" in html and "13:00" not in html
    assert (
        post(
            admin_client, f"/admin/rooms/{room.id}", {**data, "confirm": str(caution.id)}
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Reservation, caution.id).status is Status.CANCELLED
    assert db.session.get(Reservation, plain.id).status is Status.ACTIVE


def test_the_cancellation_mail_of_a_retired_room_gives_the_reason_and_no_link_to_it(
    admin_client, room, officer, now
):
    from booking.notify.messages import render

    hit = booked(room, officer)
    post(admin_client, f"/admin/rooms/{room.id}/retire", {"confirm": str(hit.id)})
    notice = db.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.reservation_id == hit.id, OutboxMessage.kind == Notice.CANCELLATION
        )
    )
    mail = render(notice)
    body = (mail.get_body(("plain",)) or mail).get_content()
    assert "部屋の利用終了のため取り消し" in body
    assert f"/rooms/{room.id}/week" not in body and "/?day=" in body
