"""The audit log viewer, the account commands' audit events, and `flask seed` after admins'
edits in the browser."""

import csv
import io
import json
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event, insert, select

from booking.audit import AuditEvent
from booking.auth import services as accounts
from booking.auth.models import Role
from booking.extensions import db
from booking.reservations import services
from booking.rooms.models import Facility, Room
from booking.rooms.seed import seed_rooms
from booking.timeutil import at_tokyo
from tests.conftest import TUESDAY, booked, csrf_token, log_in
from tests.test_admin_places import facility_form, post, room_form


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, email="admin@example.jp", name="管理 一郎")


@pytest.fixture
def admin_client(app, admin):
    client = app.test_client()
    assert log_in(client, admin.email).status_code == 302
    return client


def add_events(rows: list[dict]) -> None:
    db.session.execute(insert(AuditEvent.__table__), rows)
    db.session.commit()


def event_row(n: int, **fields) -> dict:
    return {
        "at": datetime(2025, 4, 1, tzinfo=UTC) + timedelta(minutes=n),
        "actor_id": None,
        "action": "reservation.create",
        "object_type": "reservation",
        "object_id": str(n),
        "details": {},
        "facility_id": None,
        **fields,
    }


@contextmanager
def counted_statements():
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_page_costs_the_same_statements_however_many_rows(
    admin_client, admin, facility, make_user
):
    people = [make_user(email=f"p{n}@example.jp", name=f"人{n}") for n in range(5)]
    add_events([event_row(n, actor_id=people[0].id, facility_id=facility.id) for n in range(3)])
    with counted_statements() as few:
        assert admin_client.get("/admin/audit").status_code == 200
    with counted_statements() as few_found:
        assert admin_client.get("/admin/audit?who=人&action=reservation").status_code == 200
    add_events(
        [event_row(n, actor_id=people[n % 5].id, facility_id=facility.id) for n in range(3, 300)]
    )
    with counted_statements() as many:
        html = admin_client.get("/admin/audit").get_data(as_text=True)
    assert len(many) == len(few)
    with counted_statements() as many_found:
        admin_client.get("/admin/audit?who=人&action=reservation")
    assert len(many_found) == len(few_found)
    assert html.count("<tr>") == 51  # the heading and one page of 50


def test_a_name_many_people_share_finds_each_of_them(admin_client, make_user):
    people = [make_user(email=f"m{n}@example.jp", name=f"森 {n:02d}") for n in range(25)]
    add_events([event_row(n, actor_id=people[n].id, object_id=f"m-{n:02d}") for n in range(25)])
    html = admin_client.get("/admin/audit?who=森").get_data(as_text=True)
    assert all(f"m-{n:02d}<" in html for n in range(25))
    html = admin_client.get("/admin/audit?who=森 07").get_data(as_text=True)
    assert [n for n in range(25) if f"m-{n:02d}<" in html] == [7]


def test_pages_follow_one_another_without_gaps(admin_client, facility):
    add_events([event_row(n, object_id=f"obj-{n:03d}") for n in range(120)])
    seen, path = [], "/admin/audit?action=reservation"
    while path:
        html = admin_client.get(path).get_data(as_text=True)
        seen += [n for n in range(120) if f"obj-{n:03d}<" in html]
        found = [line for line in html.splitlines() if "さらに古い記録" in line]
        path = found[0].split('href="')[1].split('"')[0].replace("&amp;", "&") if found else None
    assert sorted(seen) == list(range(120)) and len(seen) == 120


def test_filters_by_who_action_facility_and_tokyo_days(
    admin_client, facility, make_user, make_room
):
    other = Facility(
        code="o",
        ward=facility.ward,
        name_ja="他の施設",
        name_en="",
        address="",
        kind=facility.kind,
        fee_basis=facility.fee_basis,
        bookable_from=facility.bookable_from,
    )
    db.session.add(other)
    db.session.commit()
    hanako = make_user(email="hanako@example.jp", name="窓口 花子")
    taro = make_user(email="taro@example.jp", name="札幌 太郎")
    late_evening = datetime(2025, 4, 10, 14, 30, tzinfo=UTC)  # 10 April 23:30 in Sapporo
    add_events(
        [
            event_row(1, actor_id=hanako.id, object_id="A1", facility_id=facility.id),
            event_row(2, actor_id=taro.id, object_id="B2", action="room.retire"),
            event_row(3, actor_id=taro.id, object_id="C3", facility_id=other.id, at=late_evening),
        ]
    )

    def shown(query: str) -> set[str]:
        html = admin_client.get(f"/admin/audit?{query}").get_data(as_text=True)
        return {obj for obj in ("A1", "B2", "C3") if f" {obj}<" in html}

    assert shown("") == {"A1", "B2", "C3"}
    assert shown("who=花子") == {"A1"}
    assert shown("who=taro%40example") == {"B2", "C3"}
    assert shown(f"who={taro.id}") == {"B2", "C3"}
    assert shown("who=%25") == set()  # a LIKE wildcard is a plain character
    assert shown("action=room") == {"B2"}
    assert shown("action=room.retire") == {"B2"}
    assert shown("action=roo") == set()
    assert shown(f"facility={other.id}") == {"C3"}
    assert shown("first_day=2025-04-10&last_day=2025-04-10") == {"C3"}
    assert shown("last_day=令和7年4月9日") == {"A1", "B2"}
    assert shown("first_day=2025-04-11") == set()  # 14:30 UTC on the 10th is still the 10th
    # Malformed filters are ignored with a message, never a 500.
    for query in ("first_day=2025-13-01", "facility=99999999999", "before=abc", "who=%00"):
        assert admin_client.get(f"/admin/audit?{query}").status_code == 200, query


def test_the_viewer_never_shows_a_desk_note_or_contact(
    app, admin_client, facility, room, officer, make_user, now
):
    booked(room, officer, desk_note="秘密のメモ", caution=True)
    manager = make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])
    desk = app.test_client()
    log_in(desk, manager.email)
    data = {
        "desk_phone": "011-222-3333",
        "desk_location": "2階の受付",
        "desk_email": "secret-desk@example.jp",
        "csrf_token": csrf_token(desk, f"/manage/facilities/{facility.id}/desk"),
    }
    assert desk.post(f"/manage/facilities/{facility.id}/desk", data=data).status_code == 302
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    download = admin_client.get("/admin/audit.csv").get_data(as_text=True)
    assert "facility.desk" in page and "desk_email" in page
    for text in (page, download):
        for secret in ("秘密のメモ", "011-222-3333", "2階の受付", "secret-desk"):
            assert secret not in text


def test_the_csv_export_is_filtered_and_formula_safe(admin_client, facility, make_user):
    tricky = make_user(email="t@example.jp", name="=HYPERLINK(1)")
    add_events(
        [
            event_row(
                1, actor_id=tricky.id, facility_id=facility.id, details={"changed": ["name_ja"]}
            ),
            event_row(2, action="room.retire"),
        ]
    )
    response = admin_client.get("/admin/audit.csv?action=reservation.create")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff") and "\r\n" in text
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["日時", "操作", "誰が", "対象", "施設", "内容"]
    assert len(rows) == 2
    assert rows[1][0] == "2025-04-01 09:01:00"  # Sapporo time
    assert rows[1][2].startswith("'=HYPERLINK")
    assert rows[1][4] == facility.name_ja and rows[1][5] == "changed=name_ja"


def test_place_changes_are_found_by_facility(admin_client, facility, room, now):
    post(
        admin_client, f"/admin/facilities/{facility.id}", facility_form(facility, closes_4="16:00")
    )
    post(admin_client, f"/admin/rooms/{room.id}", room_form(room, capacity=3))
    post(admin_client, f"/admin/rooms/{room.id}/retire", {"confirm": ""})
    assert {"facility.update", "room.update", "room.retire"} <= actions_at(admin_client, facility)


def test_an_interview_at_a_facility_is_found_by_that_facility(
    admin_client, facility, room, officer, now, clock
):
    reservation = booked(room, officer)
    clock(at_tokyo(TUESDAY, time(10, 5)))
    services.check_in(reservation, by=officer)
    clock(at_tokyo(TUESDAY, time(10, 55)))
    services.check_out(reservation, by=officer)
    services.cancel(booked(room, officer, start="14:00"), by=officer)
    db.session.commit()
    assert actions_at(admin_client, facility) == {
        "reservation.create",
        "reservation.check_in",
        "reservation.check_out",
        "reservation.cancel",
    }


def actions_at(admin_client, facility) -> set[str]:
    """The actions the viewer's export lists when filtered by ``facility``."""
    text = admin_client.get(f"/admin/audit.csv?facility={facility.id}").get_data(as_text=True)
    return {row[1] for row in list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:]}


# The account commands ---------------------------------------------------------------------


def test_account_commands_are_audited_as_from_the_command_line(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "cli@example.jp", "--name", "新井 保", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    runner.invoke(
        args=["users", "set-password", "cli@example.jp", "--password-stdin"],
        input="another fine password\n",
    )
    runner.invoke(args=["users", "end-sessions", "cli@example.jp"])
    runner.invoke(args=["users", "deactivate", "cli@example.jp"])
    user = accounts.find_user("cli@example.jp")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == str(user.id)).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == [
        "user.create",
        "user.password_change",
        "user.end_sessions",
        "user.deactivate",
    ]
    assert all(e.details.get("via") == "cli" and e.actor_id is None for e in events)
    assert "password" not in json.dumps([e.details for e in events]).replace("password_", "")
    # A page's events afterwards do not claim to come from the command line.
    log_in(client, "nobody@example.jp", "wrong password")
    failed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.login_failed"))
    assert failed is None or "via" not in failed.details


# `flask seed` after the browser ------------------------------------------------------------


def test_seed_keeps_what_the_admin_changed_in_the_browser_until_update(app, admin_client):
    seed_rooms()
    db.session.commit()
    teine = db.session.scalar(select(Facility).where(Facility.code == "teine-ward-office"))
    room = teine.rooms[0]
    data = facility_form(teine, name_ja="手稲区役所（新庁舎）", opens_4="10:00")
    assert post(admin_client, f"/admin/facilities/{teine.id}", data).status_code == 302
    assert (
        post(admin_client, f"/admin/rooms/{room.id}", room_form(room, capacity=9)).status_code
        == 302
    )
    assert post(admin_client, f"/admin/rooms/{room.id}/retire", {"confirm": ""}).status_code == 302

    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed"]).exit_code == 0
    db.session.expire_all()
    teine = db.session.get(Facility, teine.id)
    room = db.session.get(Room, room.id)
    assert teine.name_ja == "手稲区役所（新庁舎）" and teine.hours_on(4).opens == time(10)
    assert (room.capacity, room.active) == (9, False)

    assert runner.invoke(args=["seed", "--update"]).exit_code == 0
    db.session.expire_all()
    teine = db.session.get(Facility, teine.id)
    assert teine.name_ja != "手稲区役所（新庁舎）" and teine.hours_on(4).opens != time(10)
    # The data file says nothing of retirement: a retired room stays retired.
    assert db.session.get(Room, room.id).active is False
