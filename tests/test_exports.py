"""The one CSV writer: Excel opens its files in Japanese and never runs a cell as a formula."""

import csv
import io

import pytest

from booking.auth.models import Role
from booking.exports import csv_response, csv_text
from tests.conftest import booked, log_in

HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]
ORDINARY = ["011-211-2345", "保護司 一郎", "面談室1", "10:00", "'引用", "a=b", "", "3-2"]


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_cells_are_written_as_text(value):
    written = cells(csv_text(["メモ"], [[value]]))[1][0]
    assert written == "'" + value


@pytest.mark.parametrize("value", ORDINARY)
def test_ordinary_cells_come_out_as_they_were(value):
    assert cells(csv_text(["メモ"], [[value]]))[1][0] == value


def test_file_has_a_bom_and_crlf_line_ends():
    text = csv_text(["部屋", "開始"], [["面談室1", "10:00"], ["面談室2", "11:00"]])
    assert text.startswith("\ufeff部屋,開始\r\n")
    assert text.endswith("面談室2,11:00\r\n")
    assert "\n" not in text.replace("\r\n", "")


def test_download_is_an_attachment_under_a_safe_name_and_never_cached(app):
    with app.test_request_context():
        response = csv_response("\ufeffa\r\n", 'schedule"\r\nSet-Cookie: x=1/../../x.csv')
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\r" not in disposition and "\n" not in disposition and "/" not in disposition
    assert disposition.count('"') in (0, 2)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/csv"
    assert response.get_data().startswith(b"\xef\xbb\xbf")


def test_schedule_csv_neutralises_a_note_and_a_phone(app, make_user, facility, room, now):
    officer = make_user(Role.OFFICER, name="保護司 二郎", phone="=cmd|' /C calc'!A0")
    booked(room, officer, desk_note='=HYPERLINK("http://evil.example","click")')
    ordinary = make_user(Role.OFFICER, name="保護司 三郎", phone="0112112345")
    booked(room, ordinary, start="14:00", desk_note="駐車場を使います")
    manager = make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])
    client = app.test_client()
    assert log_in(client, manager.email).status_code == 302
    response = client.get(f"/manage/facilities/{facility.id}/schedule.csv?day=2025-04-08")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = cells(response.get_data(as_text=True))
    assert rows[1][3:5] == ["保護司 二郎", "'=cmd|' /C calc'!A0"]
    assert rows[1][8] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows[2][3:5] == ["保護司 三郎", "011-211-2345"]
    assert rows[2][8] == "駐車場を使います"
