"""Usage reports: every figure of a known month, small-count suppression, who sees what,
exports, charts, the command, a constant number of queries; the page in a browser."""

import csv
import io
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import date, datetime, time, timedelta

import flask_migrate
import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from booking import create_app, exports
from booking.admin import places
from booking.audit import AuditEvent
from booking.auth.models import Role, User
from booking.extensions import db
from booking.reports import export, queries, services
from booking.reports.hours import opening_minutes
from booking.reports.periods import fiscal_year, month
from booking.reports.services import Table
from booking.reservations import services as reservations
from booking.reservations.models import ProbationOfficer, Reservation
from booking.rooms.models import Closure, Facility, FacilityKind, FeeBasis, OpeningHours, Room, Ward
from booking.timeutil import TOKYO, at_tokyo
from tests.conftest import ARTIFACTS, PHONE, axe_violations, browser_log_in, config_for, log_in
from tests.test_migrations import empty_database  # noqa: F401 (a fixture)

MAY = month(2025, 5)
AFTER_MAY = datetime(2025, 6, 1, 12, tzinfo=TOKYO)
LESS_THAN_3 = "3未満"


def tokyo_at(day: date, clock: str) -> datetime:
    return at_tokyo(day, time.fromisoformat(clock))


def reservation(room, officer, day, start, minutes, created, checked_in=False, **fields):
    """A reservation written as it stands after the fact (booked earlier, maybe attended)."""
    starts_at = tokyo_at(day, start)
    ends_at = starts_at + timedelta(minutes=minutes)
    held = Reservation(
        room=room,
        officer=officer,
        created_by=officer,
        starts_at=starts_at,
        ends_at=ends_at,
        blocks_until=ends_at,
        created_at=created,
        updated_at=created,
        checked_in_at=starts_at if checked_in else None,
        **fields,
    )
    db.session.add(held)
    db.session.flush()
    return held


@pytest.fixture
def officers(make_user):
    return [make_user(Role.OFFICER, name=f"保護司 {letter}") for letter in "ABCD"]


@pytest.fixture
def manager(make_user, facility):
    return make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])


@pytest.fixture
def other_facility(app):
    """Another support center, in Kita ward, open on weekdays like the test facility."""
    facility = Facility(
        code="other",
        ward=Ward.KITA,
        name_ja="北区民センター",
        name_en="Kita Ward Center",
        address="札幌市北区",
        kind=FacilityKind.SUPPORT_CENTER,
        fee_basis=FeeBasis.FULL_EXEMPTION,
        bookable_from=date(2020, 1, 1),
        opening_hours=[
            OpeningHours(weekday=d, opens=time(8, 45), closes=time(17, 15)) for d in range(5)
        ],
        rooms=[Room(code="r", name_ja="面談室B", name_en="B")],
    )
    db.session.add(facility)
    db.session.commit()
    return facility


@pytest.fixture
def may(app, clock, facility, make_room, officers, manager, other_facility):
    """May 2025 at the test office: Golden Week holidays (5 and 6 May), a closed day, a closed
    afternoon, a day room 2 is closed, six interviews held by four officers, cancellations
    by officers and by the desk, no-shows; one interview before and one after the month.

    Opening: room 1, 19 days x 510 minutes - 240 = 9,450; room 2 one day less: 8,940.
    """
    room1, room2 = make_room(), make_room()
    a, b, c, d = officers
    db.session.add_all(
        [
            Closure(
                facility=facility,
                starts_at=tokyo_at(date(2025, 5, 12), "00:00"),
                ends_at=tokyo_at(date(2025, 5, 13), "00:00"),
                reason="点検",
            ),
            Closure(
                facility=facility,
                starts_at=tokyo_at(date(2025, 5, 13), "13:15"),
                ends_at=tokyo_at(date(2025, 5, 13), "18:00"),
                reason="選挙",
            ),
            Closure(
                facility=facility,
                room=room2,
                starts_at=tokyo_at(date(2025, 5, 14), "08:00"),
                ends_at=tokyo_at(date(2025, 5, 14), "18:00"),
                reason="清掃",
            ),
        ]
    )
    day = date(2025, 5, 1)  # Thursday
    reservation(
        room1, a, day, "10:00", 60, tokyo_at(date(2025, 4, 30), "10:00"), True, second_officer=True
    )
    reservation(
        room1,
        b,
        day,
        "13:00",
        90,
        tokyo_at(date(2025, 4, 17), "13:00"),
        True,
        second_officer=True,
        probation_officer=ProbationOfficer.IN_PERSON,
    )
    reservation(
        room2,
        c,
        date(2025, 5, 2),
        "15:00",
        60,
        tokyo_at(date(2025, 5, 2), "09:00"),
        True,
        second_officer=True,
        probation_officer=ProbationOfficer.ONLINE,
    )
    reservation(
        room2, a, date(2025, 5, 7), "10:00", 120, tokyo_at(date(2025, 4, 1), "10:00"), caution=True
    )
    reservation(room1, b, date(2025, 5, 8), "09:00", 60, tokyo_at(date(2025, 4, 30), "09:00"))
    reservation(room1, d, date(2025, 5, 9), "14:00", 60, tokyo_at(date(2025, 5, 6), "14:00"))
    clock(datetime(2025, 4, 1, 9, tzinfo=TOKYO))  # cancelled in April, before they began
    for room, officer, when, by in (
        (room1, c, date(2025, 5, 20), c),
        (room2, d, date(2025, 5, 21), manager),
        (room1, a, date(2025, 5, 22), a),
        (room2, b, date(2025, 5, 23), b),
    ):
        booked = reservation(room, officer, when, "10:00", 60, tokyo_at(date(2025, 4, 1), "09:00"))
        reservations.cancel(booked, by=by)
    reservation(room1, a, date(2025, 4, 30), "10:00", 60, tokyo_at(date(2025, 4, 1), "09:00"))
    reservation(room1, a, date(2025, 6, 2), "10:00", 60, tokyo_at(date(2025, 4, 1), "09:00"))
    db.session.commit()
    clock(AFTER_MAY)
    return room1, room2


FACILITY_ROW = [6, 7.5, 2.4, 4, 3, LESS_THAN_3, 3, 3, LESS_THAN_3, 0, LESS_THAN_3]


def test_every_figure_of_a_known_month(may, facility, officers):
    report = services.report([facility], MAY, AFTER_MAY)
    assert report.table("facilities").rows == [
        ["テスト区役所", *FACILITY_ROW],
        ["合計", *FACILITY_ROW],
    ]
    assert report.table("rooms").rows == [
        # 270 minutes of 9,450 open: 2.857 %.
        # Cancelled by C and A, no-shows of B and D, second officers with A and B: two each.
        ["テスト区役所／面談室1", 4, 4.5, 2.9, 3, *[LESS_THAN_3, 0], *[LESS_THAN_3] * 3, 0, 0],
        # Two officers only: every figure drawn from them is suppressed.
        [
            "テスト区役所／面談室2",
            *[LESS_THAN_3] * 4,
            LESS_THAN_3,
            LESS_THAN_3,
            LESS_THAN_3,
            LESS_THAN_3,
            LESS_THAN_3,
            0,
            LESS_THAN_3,
        ],
    ]
    assert report.table("wards").rows == [["中央区", *FACILITY_ROW]]


def test_a_retired_room_counts_its_hours_only_until_it_was_retired(make_room, make_user, clock):
    retired, kept = make_room(), make_room()
    admin = make_user(Role.ADMIN, email="admin@example.jp")
    clock(tokyo_at(date(2025, 5, 14), "12:00"))  # a Wednesday
    places.retire_room(retired, by=admin)
    db.session.commit()
    # May 2025: 20 open weekdays of 510 minutes (the 5th and 6th are holidays); before the
    # 14th, 7 of them, and the 14th itself from 8:45 to 12:00.
    assert opening_minutes([retired, kept], MAY) == {
        retired.id: 7 * 510 + 195,
        kept.id: 20 * 510,
    }
    june = month(2025, 6)
    assert opening_minutes([retired], june) == {retired.id: 0}
    places.reactivate_room(retired, by=admin)
    assert opening_minutes([retired], june) == {retired.id: 21 * 510}


def test_months_heat_map_and_lead_time_are_counted_in_sapporo_time(may, facility):
    report = services.report([facility], MAY, AFTER_MAY)
    months = dict(report.table("months").rows)
    assert months["2025年4月"] == LESS_THAN_3  # one interview, one officer
    assert months["2025年5月"] == 6
    assert months["2025年6月"] == LESS_THAN_3
    assert months["2026年3月"] == 0
    assert len(months) == 12
    held = {key: (count.n, count.officers) for key, count in report.heat.items()}
    # Monday = 0: Thursday 1 May 10:00 and 13:00, Thursday 8 May 9:00, Friday 2 May 15:00...
    assert held == {
        (3, 10): (1, 1),
        (3, 13): (1, 1),
        (3, 9): (1, 1),
        (4, 15): (1, 1),
        (2, 10): (1, 1),
        (4, 14): (1, 1),
    }
    assert report.hours == list(range(8, 18))
    room_ids = [room.id for room in may]
    lead = {
        row["bucket"]: row["held"]
        for row in queries.by_lead_time(MAY.starts_at, MAY.ends_at, room_ids)
    }
    # Same day, 1 day, 3 days, 8 days, 14 days, 36 days before.
    assert lead == {0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1}


def test_suppression_lifts_at_three_officers_and_zero_stays_zero(may, facility, officers):
    room1, _room2 = may
    report = services.report([facility], MAY, AFTER_MAY)
    caution = report.table("facilities").rows[0][-1]
    assert caution == LESS_THAN_3
    b, c = officers[1], officers[2]
    reservation(room1, b, date(2025, 5, 15), "10:00", 60, AFTER_MAY, caution=True)
    reservation(room1, c, date(2025, 5, 16), "10:00", 60, AFTER_MAY, caution=True)
    db.session.commit()
    report = services.report([facility], MAY, AFTER_MAY)
    assert report.table("facilities").rows[0][-1] == 3
    assert report.table("facilities").rows[0][-2] == 0  # nobody asked to tell the desk


def test_cancel_records_who_cancelled(app, facility, room, officers, manager, now):
    first = reservation(room, officers[0], date(2025, 4, 8), "10:00", 60, now)
    second = reservation(room, officers[0], date(2025, 4, 9), "10:00", 60, now)
    reservations.cancel(first, by=officers[0])
    reservations.cancel(second, by=manager)
    assert (first.cancelled_by_id, second.cancelled_by_id) == (officers[0].id, manager.id)


def test_trial_compares_before_and_after_with_the_support_centers(
    may, facility, other_facility, officers
):
    other = other_facility.rooms[0]
    for officer, day in zip(officers, (16, 19, 20), strict=False):
        reservation(other, officer, date(2025, 5, day), "10:00", 60, AFTER_MAY)
    db.session.commit()
    table = services.trial(facility, date(2025, 5, 15), 14, AFTER_MAY)
    assert table.rows == [
        # Room 1: 7 open days x 510 - 240; room 2: 6 x 510 - 240; 450 / 6,150 minutes.
        [
            "テスト区役所",
            "2025-05-01〜2025-05-14",
            6,
            7.5,
            7.3,
            4,
            0,
            0,
            3,
            3,
            LESS_THAN_3,
            0,
            LESS_THAN_3,
        ],
        ["テスト区役所", "2025-05-15〜2025-05-28", 0, 0.0, 0.0, 0, 3, LESS_THAN_3, 0, 0, 0, 0, 0],
        ["サポートセンターの平均", "2025-05-01〜2025-05-14", 0, 0.0, 0.0, 0, 0, 0, 0, 0, 0, 0, 0],
        # 10 open days x 510 minutes; 180 booked; nobody checked in.
        ["サポートセンターの平均", "2025-05-15〜2025-05-28", 3, 3.0, 3.5, 3, 0, 0, 3, 0, 0, 0, 0],
    ]


class Statements:
    """The SQL statements run while it is open."""

    def __init__(self):
        self.seen: list[str] = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self.record)
        return self

    def __exit__(self, *_exc):
        event.remove(db.engine, "before_cursor_execute", self.record)

    def record(self, _conn, _cursor, statement, *_args):
        self.seen.append(statement)


def test_the_figures_are_grouped_in_sql_in_a_constant_number_of_queries(may, facility, officers):
    db.session.expire_all()
    with Statements() as few:
        services.report([facility], fiscal_year(2025), AFTER_MAY)
    room1, _room2 = may
    for n in range(40):
        officer = officers[n % 4]
        reservation(room1, officer, date(2025, 7, 1) + timedelta(days=n), "10:00", 60, AFTER_MAY)
    db.session.commit()
    db.session.expire_all()
    with Statements() as many:
        report = services.report([facility], fiscal_year(2025), AFTER_MAY)
    assert len(many.seen) == len(few.seen) <= 14
    reading = [s for s in many.seen if "FROM reservation" in s]
    assert reading and all("GROUP BY" in s or "count(" in s.lower() for s in reading)
    assert report.table("facilities").rows[0][1] == 6 + 40 + 2


# --- pages, roles, exports --------------------------------------------------------------------


def client_for(app, user):
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    return client


PAGES = [
    "/reports/?month=2025-05&facility={id}",
    "/reports/report.csv?month=2025-05&facility={id}",
    "/reports/report.xlsx?month=2025-05&facility={id}",
    "/reports/facilities/{id}/print?month=2025-05",
    "/reports/trial?facility={id}&date=2025-05-15&days=14",
    "/reports/trial.csv?facility={id}&date=2025-05-15&days=14",
]


@pytest.mark.parametrize("page", PAGES)
def test_role_matrix(
    app, client, may, make_user, facility, other_facility, manager, officers, page
):
    mine, theirs = page.format(id=facility.id), page.format(id=other_facility.id)
    assert client.get(mine).status_code == 302  # anonymous: to the login page
    assert client_for(app, officers[0]).get(mine).status_code == 403
    desk = client_for(app, manager)
    assert desk.get(mine).status_code == 200
    assert desk.get(theirs).status_code == 403
    admin = client_for(app, make_user(Role.ADMIN, email="admin@example.jp"))
    assert admin.get(mine).status_code == 200
    assert admin.get(theirs).status_code == 200
    manager.active = False
    db.session.commit()
    assert desk.get(mine).status_code == 302


def test_city_wide_page_shows_a_manager_only_their_facilities(
    app, may, make_user, facility, other_facility, manager
):
    page = client_for(app, manager).get("/reports/?month=2025-05").get_data(as_text=True)
    assert "テスト区役所" in page and "北区民センター" not in page
    admin = client_for(app, make_user(Role.ADMIN, email="admin@example.jp"))
    page = admin.get("/reports/?month=2025-05").get_data(as_text=True)
    assert "テスト区役所" in page and "北区民センター" in page


def test_report_page_never_names_an_officer(app, may, facility, manager, officers):
    page = client_for(app, manager).get(f"/reports/?month=2025-05&facility={facility.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert not any(officer.name in html or officer.email in html for officer in officers)
    assert LESS_THAN_3 in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("month=2025-13", "月は 2025-04 のように"),
        ("month=今月", "月は 2025-04 のように"),
        ("year=25", "年度は 2025 のように"),
        ("facility=x", "施設の指定が正しくありません"),
        ("table=secret", "表の指定が正しくありません"),
    ],
)
def test_bad_queries_get_a_clear_message(app, facility, manager, query, message):
    desk = client_for(app, manager)
    path = "/reports/report.csv" if query.startswith("table") else "/reports/"
    response = desk.get(f"{path}?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_trial_with_a_bad_date_gets_a_clear_message(app, facility, manager):
    response = client_for(app, manager).get(f"/reports/trial?facility={facility.id}&date=5月")
    assert response.status_code == 400
    assert "日付は 2025-06-01 のように" in response.get_data(as_text=True)


def test_csv_is_excel_friendly_and_formula_safe():
    table = Table(
        "t",
        "=title",
        ["名前", "件数"],
        [["=HYPERLINK(1)", 3], ["-1+2", 0], ["@x", 1], ["\tx", 2], ["\rx", 3]],
    )
    body = export.csv_bytes([table])
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["名前", "件数"],
        ["'=HYPERLINK(1)", "3"],
        ["'-1+2", "0"],
        ["'@x", "1"],
        ["'\tx", "2"],
        ["'\rx", "3"],
    ]


def test_xlsx_opens_with_the_same_numbers_as_the_page(app, may, facility, manager):
    facility.name_ja = "=cmd|' /C calc'!A0"
    db.session.commit()
    response = client_for(app, manager).get(
        f"/reports/report.xlsx?month=2025-05&facility={facility.id}"
    )
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    report = services.report([facility], MAY, AFTER_MAY)
    assert len(workbook.sheetnames) == len(report.tables)
    for sheet, table in zip(workbook.worksheets, report.tables, strict=True):
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        expected = [[exports.cell(c) for c in row] for row in [table.header, *table.rows]]
        assert values == expected
    facilities = workbook.worksheets[0]
    assert facilities["A2"].value == "'=cmd|' /C calc'!A0" and facilities["A2"].data_type == "s"
    assert [cell.value for cell in facilities[2]][1:] == FACILITY_ROW


def test_trial_as_csv(app, may, facility, manager):
    response = client_for(app, manager).get(
        f"/reports/trial.csv?facility={facility.id}&date=2025-05-15&days=14"
    )
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["施設", "期間", "予約件数"]
    assert rows[1][:4] == ["テスト区役所", "2025-05-01〜2025-05-14", "6", "7.5"]
    assert client_for(app, manager).get("/reports/trial.csv").status_code == 400


def test_one_table_as_csv(app, may, facility, manager):
    response = client_for(app, manager).get(
        f"/reports/report.csv?month=2025-05&facility={facility.id}&table=facilities"
    )
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert response.mimetype == "text/csv"
    assert rows[1] == ["テスト区役所", *(str(cell) for cell in FACILITY_ROW)]


def test_charts_are_svg_with_a_title_and_a_table_beside_them(app, may, facility, manager):
    html = client_for(app, manager).get(f"/reports/?month=2025-05&facility={facility.id}")
    html = html.get_data(as_text=True)
    charts = [
        html[start : html.index("</svg>", start) + 6]
        for start in [i for i in range(len(html)) if html.startswith("<svg", i)]
    ]
    assert len(charts) == 2
    for chart in charts:
        root = ET.fromstring(chart)
        title = root.find("{http://www.w3.org/2000/svg}title")
        assert title is not None and title.text
        assert "style" not in chart and "<script" not in chart
    assert "2025年度" in charts[0] and "3未満" in charts[1]
    assert 'id="months"' in html and 'id="heatmap"' in html


def test_report_month_command(app, may, facility, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "month", "2025-05", "--facility", str(facility.id)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"))))
    assert ["テスト区役所", *(str(cell) for cell in FACILITY_ROW)] in rows
    path = tmp_path / "may.xlsx"
    result = runner.invoke(
        args=["report", "month", "2025-05", "--format", "xlsx", "--output", str(path)]
    )
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert [cell.value for cell in sheet[2]] == ["テスト区役所", *FACILITY_ROW]
    bad = runner.invoke(args=["report", "month", "May"])
    assert bad.exit_code != 0 and "2025-04" in bad.output


# --- in a browser -----------------------------------------------------------------------------

DESK = {"width": 1280, "height": 900}


@pytest.mark.browser
@pytest.mark.parametrize(("name", "viewport"), [("375", PHONE), ("1280", DESK)])
def test_report_page_is_axe_clean_without_sideways_scrolling(
    chromium, live_server, may, make_user, name, viewport
):
    make_user(Role.ADMIN, email="admin@example.jp")
    context = chromium.new_context(viewport=viewport, base_url=live_server, locale="ja-JP")
    page = context.new_page()
    browser_log_in(page, "admin@example.jp")
    page.goto("/reports/?month=2025-05")
    assert page.locator("svg.chart title").count() == 2
    assert page.get_by_role("img", name=re.compile("月ごとの予約件数")).is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-{name}.png"), full_page=True)
    axe_context = chromium.new_context(
        viewport=viewport, base_url=live_server, locale="ja-JP", bypass_csp=True
    )
    axe_page = axe_context.new_page()
    browser_log_in(axe_page, "admin@example.jp")
    axe_page.goto("/reports/?month=2025-05")
    assert axe_violations(axe_page) == []
    axe_context.close()
    context.close()


@pytest.mark.browser
def test_a_facilitys_month_prints_on_one_a4_page(chromium, live_server, may, facility, manager):
    context = chromium.new_context(base_url=live_server)
    page = context.new_page()
    browser_log_in(page, manager.email)
    page.goto(f"/reports/facilities/{facility.id}/print?month=2025-05")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = page.pdf(path=str(ARTIFACTS / "report-month-a4.pdf"), prefer_css_page_size=True)
    context.close()
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert len(boxes) == 1  # one page
    width, height = (float(number) for number in boxes[0])
    assert abs(width - 595) < 2 and abs(height - 842) < 2  # A4 in points


# --- the migration ------------------------------------------------------------------------------


def test_migration_fills_who_cancelled_from_the_audit_events(empty_database):  # noqa: F811
    """Cancellations made before the column existed are told apart by their audit events."""
    app = create_app(config_for(empty_database))
    with app.app_context():
        flask_migrate.upgrade(revision="0011_statement_calendar_bumps")
        ids = write_one_cancellation()
        flask_migrate.upgrade()
        cancelled_by = db.session.scalars(
            sa.select(Reservation.cancelled_by_id).order_by(Reservation.id)
        ).all()
        db.session.remove()
        db.engine.dispose()
    assert cancelled_by == [ids["desk"], None]


def write_one_cancellation() -> dict:
    """As 0011 stored them: one reservation cancelled by the desk, one still active."""
    run = db.session.execute
    facility = run(
        sa.insert(Facility.__table__).values(
            code="f",
            ward="chuo",
            name_ja="f",
            name_en="f",
            address="a",
            kind="support_center",
            fee_basis="full_exemption",
            bookable_from=date(2020, 1, 1),
        )
    ).inserted_primary_key[0]
    # The columns 0011 had: the model's room has more (migration 0013's place version).
    room = run(
        sa.text(
            "INSERT INTO room (facility_id, code, name_ja, name_en, floor, capacity, near_desk,"
            " second_exit, alarm_button, slot_minutes, min_minutes, max_minutes, window_days,"
            " buffer_minutes, active, calendar_version)"
            " VALUES (:f, 'r', 'r', 'r', '', 4, false, false, false, 15, 30, 180, 60, 0, true, 0)"
            " RETURNING id"
        ),
        {"f": facility},
    ).scalar_one()
    ids = {}
    for name in ("officer", "desk"):
        ids[name] = run(
            sa.insert(User.__table__).values(
                email=f"{name}@example.jp", name=name, role="officer", password_hash="x"
            )
        ).inserted_primary_key[0]
    for day, status in ((date(2025, 5, 1), "cancelled"), (date(2025, 5, 2), "active")):
        starts_at = tokyo_at(day, "10:00")
        public_id = uuid.uuid4()
        run(
            sa.insert(Reservation.__table__).values(
                public_id=public_id,
                room_id=room,
                officer_id=ids["officer"],
                created_by_id=ids["officer"],
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=1),
                blocks_until=starts_at + timedelta(hours=1),
                status=status,
            )
        )
        for actor in ("officer", "desk"):  # the latest event is the cancellation's
            run(
                sa.insert(AuditEvent.__table__).values(
                    at=AFTER_MAY,
                    actor_id=ids[actor],
                    action="reservation.cancel",
                    object_type="reservation",
                    object_id=str(public_id),
                    details={},
                )
            )
    db.session.commit()
    return ids
