"""The desk's pages: who may see them, the day schedule, CSV, closures, booking for officers."""

import csv
import io
import re
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from booking.audit import AuditEvent
from booking.auth.models import Role
from booking.errors import InvalidInput
from booking.extensions import db
from booking.manage import services as desk
from booking.reservations import rules
from booking.reservations.models import Reservation, Status
from booking.rooms.models import Closure, Facility, FacilityKind, FeeBasis, OpeningHours, Room, Ward
from booking.timeutil import at_tokyo
from tests.conftest import TUESDAY, audited_changes, booked, csrf_token, log_in, row_count


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
def manager(make_user, facility):
    return make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])


def client_for(app, user):
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    return client


STAFF_PAGES = [
    "/manage/facilities/{id}/schedule",
    "/manage/facilities/{id}/schedule.csv",
    "/manage/facilities/{id}/board",
    "/manage/facilities/{id}/closures",
    "/manage/facilities/{id}/book",
    "/manage/facilities/{id}/desk",
]


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_manager_sees_own_facility_only(app, manager, facility, other_facility, room, page):
    client = client_for(app, manager)
    assert client.get(page.format(id=facility.id)).status_code == 200
    response = client.get(page.format(id=other_facility.id))
    assert response.status_code == 403
    assert "権限がありません" in response.get_data(as_text=True)


@pytest.mark.parametrize("page", [*STAFF_PAGES, "/manage/"])
def test_officer_gets_403_on_every_staff_page(officer_client, facility, room, page):
    assert officer_client.get(page.format(id=facility.id)).status_code == 403


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_admin_sees_every_facility(app, make_user, facility, other_facility, room, page):
    client = client_for(app, make_user(Role.ADMIN))
    for target in (facility, other_facility):
        assert client.get(page.format(id=target.id)).status_code == 200


def test_manager_cannot_check_in_elsewhere(app, make_user, other_facility, now):
    officer = make_user(Role.OFFICER)
    manager = make_user(Role.MANAGER)
    reservation = booked(other_facility.rooms[0], officer)
    client = client_for(app, manager)
    token = csrf_token(client, "/")
    response = client.post(
        f"/reservations/{reservation.public_id}/check-in", data={"csrf_token": token}
    )
    assert response.status_code == 403
    assert db.session.get(Reservation, reservation.id).checked_in_at is None


def test_schedule_shows_safety_details_and_never_more(app, manager, facility, room, officer, now):
    officer.phone = "090-1234-5678"
    booked(room, officer, second_officer=True, caution=True, desk_note="杖をお使いです")
    html = (
        client_for(app, manager)
        .get(f"/manage/facilities/{facility.id}/schedule?day=2025-04-08")
        .get_data(as_text=True)
    )
    for text in [
        "10:00〜11:00",
        "保護司 一郎",
        "090-1234-5678",
        "もう一人の保護司",
        "杖をお使いです",
    ]:
        assert text in html


def test_csv_has_a_bom_and_the_rows_of_the_screen(app, manager, facility, room, officer, now):
    booked(room, officer, notify_desk=True, desk_note="メモ")
    response = client_for(app, manager).get(
        f"/manage/facilities/{facility.id}/schedule.csv?day=2025-04-08"
    )
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["部屋", "開始", "終了", "保護司"]
    assert rows[1][:4] == ["面談室1", "10:00", "11:00", "保護司 一郎"]
    assert rows[1][6] == "あり" and rows[1][8] == "メモ" and rows[1][9] == "予約済"


def closure_form(client, facility, **fields):
    url = f"/manage/facilities/{facility.id}/closures"
    data = {
        "room": "",
        "first_day": "2025-04-08",
        "first_time": "09:00",
        "last_day": "2025-04-08",
        "last_time": "12:00",
        "reason": "停電のため",
        "csrf_token": csrf_token(client, url),
        **fields,
    }
    return client.post(url, data=data)


def test_closure_lists_hit_reservations_before_cancelling(
    app, manager, facility, room, officer, now
):
    officer.phone = "090-1234-5678"
    reservation = booked(room, officer)
    client = client_for(app, manager)
    first = closure_form(client, facility)
    page = first.get_data(as_text=True)
    assert first.status_code == 200  # a page to confirm on, not an error
    assert "この休館で1件の予約が取り消しになります" in page and "エラー" not in page
    assert "保護司 一郎：" in page and 'href="tel:+81-90-1234-5678"' in page
    assert row_count(Closure) == 0
    assert db.session.get(Reservation, reservation.id).status is Status.ACTIVE

    carried = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    assert carried["confirm"] == "1" and carried["reason"] == "停電のため"
    url = f"/manage/facilities/{facility.id}/closures"
    assert client.post(url, data=carried).status_code == 302
    reservation = db.session.get(Reservation, reservation.id)
    assert reservation.status is Status.CANCELLED
    assert row_count(Closure) == 1
    mine = client_for(app, officer).get("/reservations/").get_data(as_text=True)
    assert "休館のため取り消し（停電のため）" in mine


def test_closure_without_hits_is_saved_at_once_and_blocks_booking(
    app, manager, facility, room, officer, now
):
    client = client_for(app, manager)
    assert closure_form(client, facility).status_code == 302
    from booking.errors import NotBookable

    with pytest.raises(NotBookable):
        booked(room, officer, "11:00")
    db.session.rollback()


def test_a_booking_made_while_a_closure_is_recorded_is_not_left_inside_it(
    backend, manager, facility, room, officer, now, monkeypatch
):
    """PostgreSQL: a booking may commit between the closure's look and its locks."""
    if backend == "sqlite":
        pytest.skip("SQLite queues writing requests at BEGIN IMMEDIATE: nothing read is stale")
    lock = rules.lock_for_reservations

    def booked_meanwhile(*args, **kwargs):
        starts_at = at_tokyo(TUESDAY, time(10))
        with db.session.session_factory() as other:  # another request's booking
            other.add(
                Reservation(
                    room_id=room.id,
                    officer_id=officer.id,
                    created_by_id=officer.id,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(hours=1),
                    blocks_until=starts_at + timedelta(hours=1),
                )
            )
            other.commit()
        lock(*args, **kwargs)

    monkeypatch.setattr(rules, "lock_for_reservations", booked_meanwhile)
    closure = Closure(
        facility_id=facility.id,
        starts_at=at_tokyo(TUESDAY, time(9)),
        ends_at=at_tokyo(TUESDAY, time(12)),
        reason="停電のため",
    )
    with pytest.raises(InvalidInput, match="予約の状況が変わりました"):
        desk.add_closure(facility, closure, by=manager, cancel_hit=True)
    db.session.rollback()
    assert row_count(Closure) == 0
    assert db.session.scalars(select(Reservation)).one().status is Status.ACTIVE


def test_closure_end_before_start_is_refused(app, manager, facility, room, now):
    client = client_for(app, manager)
    response = closure_form(client, facility, last_time="08:00")
    assert response.status_code == 400
    assert "終わりは始まりより後" in response.get_data(as_text=True)
    assert row_count(Closure) == 0


def test_remove_closure(app, manager, facility, now):
    closure_form(client_for(app, manager), facility)
    closure = db.session.query(Closure).one()
    client = client_for(app, manager)
    token = csrf_token(client, f"/manage/facilities/{facility.id}/closures")
    client.post(f"/manage/closures/{closure.id}/delete", data={"csrf_token": token})
    assert row_count(Closure) == 0


def staff_booking(client, facility, room, officer, start):
    """The desk's booking form for ``officer``, one hour on TUESDAY from ``start``."""
    url = f"/manage/facilities/{facility.id}/book"
    data = {
        "officer": str(officer.id),
        "room": str(room.id),
        "day": TUESDAY.isoformat(),
        "start": start,
        "minutes": "60",
        "probation_officer": "none",
        "csrf_token": csrf_token(client, url),
    }
    return client.post(url, data=data)


def test_staff_books_for_an_officer_and_prints_a_slip(app, manager, facility, room, officer, now):
    client = client_for(app, manager)
    response = staff_booking(client, facility, room, officer, "14:00")
    assert response.status_code == 302
    reservation = db.session.query(Reservation).one()
    assert (reservation.officer_id, reservation.created_by_id) == (officer.id, manager.id)
    slip = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "保護司 一郎様" in slip and "14:00〜15:00" in slip
    # No desk phone yet: the slip gives the facility's main number, not only 110.
    assert "110番／施設の代表電話 011-211-2345" in slip


def test_staff_booking_errors_are_shown_on_the_form(app, manager, facility, room, officer, now):
    client = client_for(app, manager)
    response = staff_booking(client, facility, room, officer, "17:00")
    assert response.status_code == 422
    assert "この部屋は17:15までです。" in response.get_data(as_text=True)
    assert row_count(Reservation) == 0


def desk_form(client, facility, **fields):
    url = f"/manage/facilities/{facility.id}/desk"
    data = {"desk_phone": "", "desk_location": "", "desk_email": "", **fields}
    return client.post(url, data={"csrf_token": csrf_token(client, url), **data})


def test_desk_contacts_reach_the_emergency_card_and_are_audited(
    app, manager, facility, room, officer, officer_client, now
):
    client = client_for(app, manager)
    assert "メールアドレスが未設定です" in client.get("/manage/").get_data(as_text=True)

    response = desk_form(
        client,
        facility,
        desk_phone="０１１ ２２２ ３３４４",  # typed in full width, with spaces
        desk_location="1階 正面入口の右",
        desk_email=" Desk@Ward.example.jp ",
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert (facility.desk_phone, facility.desk_location, facility.desk_email) == (
        "011-222-3344",
        "1階 正面入口の右",
        "Desk@Ward.example.jp",
    )
    assert facility.phone == "011-211-2345"  # the main number is the admins' to change
    assert "メールアドレスが未設定です" not in client.get("/manage/").get_data(as_text=True)
    events = db.session.scalars(select(AuditEvent).filter_by(action="facility.desk")).all()
    assert [(e.actor_id, e.details) for e in events] == [
        (manager.id, {"changed": ["desk_email", "desk_location", "desk_phone"]})
    ]
    card = officer_client.get(f"/reservations/{booked(room, officer).public_id}")
    page = card.get_data(as_text=True)
    assert card.status_code == 200, page[-2000:]
    assert "窓口の場所：1階 正面入口の右" in page and 'href="tel:+81-11-222-3344"' in page


def test_desk_contacts_can_be_emptied(app, manager, facility):
    facility.desk_phone, facility.desk_email = "011-222-3344", "desk@ward.example.jp"
    db.session.commit()
    assert desk_form(client_for(app, manager), facility).status_code == 302
    db.session.expire_all()
    assert (facility.desk_phone, facility.desk_location, facility.desk_email) == (None, "", None)
    assert facility.phone == "011-211-2345"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"desk_email": "desk.example.jp"}, "desk@example.jp のように"),
        ({"desk_email": "desk@"}, "desk@example.jp のように"),
        ({"desk_email": "a" * 250 + "@x.jp"}, "メールアドレスが長すぎます"),
        ({"desk_phone": "12"}, "011-211-2345 のように"),
        ({"desk_phone": "電話"}, "011-211-2345 のように"),
        ({"desk_phone": "0" * 300}, "011-211-2345 のように"),
        ({"desk_location": "受付" * 151}, "300文字以内"),
        ({"desk_location": "受付\x00"}, "使えない文字"),
    ],
)
def test_bad_desk_contacts_are_refused_and_change_nothing(app, manager, facility, fields, message):
    before = (facility.desk_phone, facility.desk_location, facility.desk_email)
    response = desk_form(client_for(app, manager), facility, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert (facility.desk_phone, facility.desk_location, facility.desk_email) == before
    assert audited_changes() == 0


def test_desk_contacts_of_another_facility_are_refused(app, manager, other_facility):
    response = desk_form(client_for(app, manager), other_facility, desk_email="x@example.jp")
    assert response.status_code == 403
    db.session.expire_all()
    assert other_facility.desk_email is None


def test_csv_has_the_date_and_the_facility_in_columns(app, manager, facility, room, officer, now):
    booked(room, officer)
    response = client_for(app, manager).get(
        f"/manage/facilities/{facility.id}/schedule.csv?day=2025-04-08"
    )
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][-2:] == ["日付", "施設"]
    assert rows[1][-2:] == ["2025-04-08", "テスト区役所"]


def test_the_schedule_has_a_date_picker_and_a_print_button(app, manager, facility, now):
    client = client_for(app, manager)
    page = client.get(f"/manage/facilities/{facility.id}/schedule").get_data(as_text=True)
    assert 'name="day" type="date" value="2025-04-07"' in page
    assert "data-print hidden>印刷する</button>" in page and "js/print.js" in page
    later = client.get(f"/manage/facilities/{facility.id}/schedule?day=令和7年4月9日")
    assert "2025年4月9日(水)" in later.get_data(as_text=True)


@pytest.mark.parametrize("typed", ["一郎", "いちろう", "イチロウ", "ｲﾁﾛｳ", "1234-56", "09012345"])
def test_the_desk_finds_an_officer_by_name_reading_or_phone(
    app, manager, make_user, facility, room, officer, now, typed
):
    officer.name_kana, officer.phone = "ホゴシ イチロウ", "090-1234-5678"
    make_user(Role.OFFICER, email="jiro@example.jp", name="保護司 次郎", name_kana="ホゴシ ジロウ")
    make_user(Role.OFFICER, email="gone@example.jp", name="保護司 一郎", active=False)
    db.session.commit()
    page = client_for(app, manager).get(f"/manage/facilities/{facility.id}/book?q={typed}")
    select = re.search(r'<select[^>]*name="officer".*?</select>', page.get_data(as_text=True), re.S)
    options = re.findall(r'<option[^>]*value="(\d+)"', select.group(0))
    assert options == [str(officer.id)]
    assert "保護司 一郎（ホゴシ イチロウ） 090-1234-5678" in page.get_data(as_text=True)


def test_without_a_search_no_officer_is_listed(app, manager, facility, room, officer, now):
    page = client_for(app, manager).get(f"/manage/facilities/{facility.id}/book")
    html = page.get_data(as_text=True)
    assert not re.search(r'<select[^>]*name="officer"[^>]*>\s*<option', html)
    assert officer.email not in html and "保護司 一郎" not in html


def test_a_booking_for_someone_who_is_not_an_officer_is_refused(app, manager, facility, room, now):
    response = staff_booking(client_for(app, manager), facility, room, manager, "14:00")
    assert response.status_code == 422 and row_count(Reservation) == 0


def test_the_free_times_grid_fills_the_form_in(app, manager, facility, room, officer, now):
    booked(room, officer, start="10:00")
    client = client_for(app, manager)
    url = f"/manage/facilities/{facility.id}/book?q=一郎&day=2025-04-08"
    page = client.get(url).get_data(as_text=True)
    assert "2025年4月8日(火)の空いている時間" in page
    free = re.findall(r'<a class="slot slot--free" href="([^"]+)">', page)
    taken = re.findall(r'<span class="slot slot--taken">(\d+:\d+)', page)
    assert "10:00" in taken and "10:30" in taken
    tapped = next(link for link in free if "start=14:00" in link).replace("&amp;", "&")
    form = client.get(tapped).get_data(as_text=True)
    assert 'value="14:00"' in form and 'value="2025-04-08"' in form
    assert re.search(rf'<option selected value="{room.id}">', form)
