"""Bad input through the booking pages: a 4xx, a clear Japanese message, nothing written.

Every refused request must answer 4xx (never 5xx), say what was wrong in Japanese (no English
validation text from WTForms or Werkzeug on the page), and leave the reservation and
audit_event tables exactly as they were. Input that is only written differently (full-width
digits, a slash date, a multi-line note as browsers send it) must be accepted.
"""

import html
import re
import uuid
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from booking.audit import AuditEvent
from booking.extensions import db
from booking.reservations import services
from booking.reservations.models import Reservation
from booking.reservations.services import SafetyDetails, Slot
from booking.timeutil import at_tokyo, tokyo
from tests.conftest import audited_changes, csrf_token, row_count

DAY, START = "2025-04-08", "10:00"  # a Tuesday after the suite's "now" (Monday 9:00)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
# Visible English that a Japanese page must never show: WTForms', Flask-WTF's, Werkzeug's.
ENGLISH_LEAKS = (
    "Not a valid",
    "Invalid",
    "invalid",
    "This field",
    "Field must",
    "Field cannot",
    "could not coerce",
    "CSRF",
    "Bad Request",
    "Forbidden",
    "Not Found",
    "Internal Server Error",
    "Traceback",
    "Error",
)


# --- Reading pages and the database -----------------------------------------------------------


def visible_text(page: str) -> str:
    """The text a reader sees: no tags or attributes, entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def error_messages(page: str) -> dict[str, list[str]]:
    """The error summary as {field id, or "" for the whole form: [messages]}, plus the
    detail of an error page under ""."""
    found: dict[str, list[str]] = {}
    summary = re.search(r'<div class="error-summary".*?</ul>', page, flags=re.S)
    if summary:
        for target, text in re.findall(
            r'<li>(?:<a href="#([^"]*)">)?(.*?)(?:</a>)?</li>', summary.group(0), flags=re.S
        ):
            found.setdefault(target, []).append(visible_text(text).strip())
    for text in re.findall(r'<p class="notice notice--error">(.*?)</p>', page, flags=re.S):
        found.setdefault("", []).append(visible_text(text).strip())
    return found


def assert_japanese_refusal(response, status, *, field=None, text=None) -> None:
    """A 4xx (``status``: a code or a set of codes) that says in Japanese only what was wrong.

    ``field``: the form field the message must be attached to; ``text``: a phrase that
    must be on the page. With neither, some error message must be shown.
    """
    page = response.get_data(as_text=True)
    messages = error_messages(page)
    assert response.status_code < 500, f"server error {response.status_code}"
    allowed = status if isinstance(status, set) else {status}
    assert response.status_code in allowed, (response.status_code, messages)
    assert '<html lang="ja"' in page
    shown = visible_text(page)
    for leak in ENGLISH_LEAKS:
        assert leak not in shown, f"English {leak!r} on the page; messages: {messages}"
    for message in (m for ms in messages.values() for m in ms):
        assert JAPANESE.search(message), f"message not in Japanese: {message!r}"
        assert not ENGLISH_WORD.search(message), f"English in the message: {message!r}"
    if field is not None:
        assert field in messages, f"no message for the field {field!r}: {messages}"
    if text is not None:
        assert text in shown, f"{text!r} not on the page; messages: {messages}"
    if field is None and text is None:
        assert messages, "no error message on the page"


def database_state() -> tuple:
    """Everything a refused request must leave as it was."""
    t = Reservation.__table__
    rows = db.session.execute(
        select(
            t.c.public_id,
            t.c.room_id,
            t.c.officer_id,
            t.c.starts_at,
            t.c.ends_at,
            t.c.status,
            t.c.version,
            t.c.desk_note,
            t.c.updated_at,
        ).order_by(t.c.id)
    ).all()
    return row_count(Reservation), row_count(AuditEvent), rows


def form_fields(**fields) -> dict:
    """A valid booking form (Tuesday 10:00, 60 minutes), with ``fields`` replaced."""
    return {
        "day": DAY,
        "start": START,
        "minutes": "60",
        "probation_officer": "none",
        "repeat": "",
        "interval_weeks": "1",
        "idempotency_key": uuid.uuid4().hex,
        "desk_note": "",
        **fields,
    }


def post_form(client, path: str, **fields):
    return client.post(path, data=form_fields(csrf_token=csrf_token(client, path), **fields))


def reserve(officer, room, hour: int = 14) -> Reservation:
    """A committed reservation of ``officer`` on Tuesday from ``hour`` for an hour."""
    starts_at = at_tokyo(date(2025, 4, 8), time(hour))
    reservation = services.book(
        Slot(room, starts_at, starts_at + timedelta(hours=1)),
        officer,
        by=officer,
        safety=SafetyDetails(),
    )
    db.session.commit()
    return reservation


# --- Fixtures --------------------------------------------------------------------------------


@pytest.fixture
def own(officer, room, now) -> Reservation:
    """The logged-in officer's own reservation, Tuesday 14:00-15:00."""
    return reserve(officer, room)


@pytest.fixture
def others(make_user, make_room, now) -> Reservation:
    """Another officer's reservation in another room, Tuesday 14:00-15:00."""
    other = make_user(email="other@example.jp", name="保護司 二郎")
    return reserve(other, make_room())


@pytest.fixture(params=["new", "edit"])
def form_path(request, officer_client, room, own) -> str:
    """The booking form of a room, and the change form of the officer's own reservation."""
    if request.param == "new":
        return f"/rooms/{room.id}/reserve"
    return f"/reservations/{own.public_id}/edit"


# --- The booking and change forms ------------------------------------------------------------

NOTE_REFUSED = "使えない文字"
BAD_FORMS = [
    # Dates
    pytest.param({"day": "2025-13-45"}, 422, "day", None, id="day-month-13"),
    pytest.param({"day": "abc"}, 422, "day", None, id="day-letters"),
    pytest.param({"day": ""}, 422, "day", "利用日を入力してください", id="day-empty"),
    pytest.param({"day": "2025-02-30"}, 422, "day", None, id="day-30-february"),
    pytest.param({"day": "04/08/2025"}, 422, "day", None, id="day-us-order"),
    pytest.param({"day": "0001-01-01"}, {400, 422}, None, None, id="day-year-1"),
    # 8:45 in Sapporo on 1 January of the year 1 is in the year 0 in UTC.
    pytest.param(
        {"day": "0001-01-01", "start": "08:45"}, {400, 422}, None, None, id="day-year-1-early"
    ),
    pytest.param({"day": "9999-12-31"}, 422, None, "2100年まで", id="day-beyond-range"),
    pytest.param({"day": "2099-12-31"}, 422, None, "予約は", id="day-beyond-window"),
    pytest.param({"day": "2025-04-07", "start": "08:45"}, 422, None, "過去", id="day-past"),
    pytest.param({"day": "2025-04-12"}, 422, None, "休館", id="day-saturday"),
    # Times
    pytest.param({"start": "25:00"}, 422, "start", None, id="start-25h"),
    pytest.param({"start": "10:61"}, 422, "start", None, id="start-61min"),
    pytest.param({"start": "ten"}, 422, "start", None, id="start-letters"),
    pytest.param({"start": ""}, 422, "start", "開始時刻を入力してください", id="start-empty"),
    pytest.param({"start": "10:07"}, 422, None, "15分単位", id="start-off-step"),
    pytest.param({"start": "07:00"}, 422, None, "からです", id="start-before-opening"),
    # Lengths not offered
    pytest.param({"minutes": "-30"}, 422, "minutes", None, id="minutes-negative"),
    pytest.param({"minutes": "999"}, 422, "minutes", None, id="minutes-999"),
    pytest.param({"minutes": "abc"}, 422, "minutes", None, id="minutes-letters"),
    pytest.param({"minutes": ""}, 422, "minutes", None, id="minutes-empty"),
    pytest.param({"minutes": "15"}, 422, "minutes", None, id="minutes-below-room-minimum"),
    # Choices not offered
    pytest.param({"probation_officer": "boss"}, 422, "probation_officer", None, id="po-unknown"),
    pytest.param({"repeat": "daily"}, 422, "repeat", None, id="repeat-unknown"),
    pytest.param({"interval_weeks": "abc"}, 422, "interval_weeks", None, id="interval-letters"),
    pytest.param({"interval_weeks": "99"}, 422, "interval_weeks", None, id="interval-99"),
    # The desk note
    pytest.param({"desk_note": "あ" * 10_000}, 422, "desk_note", "200", id="note-10000-chars"),
    pytest.param({"desk_note": "メモ\x00です"}, 422, "desk_note", NOTE_REFUSED, id="note-nul"),
    pytest.param({"desk_note": "\x1b[31mメモ"}, 422, "desk_note", NOTE_REFUSED, id="note-escape"),
    # The idempotency key (a hidden field)
    pytest.param({"idempotency_key": "../../etc"}, 422, "idempotency_key", None, id="key-path"),
    pytest.param({"idempotency_key": "a" * 65}, 422, "idempotency_key", None, id="key-too-long"),
]


@pytest.mark.parametrize(("fields", "status", "field", "text"), BAD_FORMS)
def test_bad_form_input_is_refused_in_japanese(
    officer_client, form_path, fields, status, field, text
):
    before = database_state()
    response = post_form(officer_client, form_path, **fields)
    assert_japanese_refusal(response, status, field=field, text=text)
    assert database_state() == before


# Words of WTForms' own Japanese catalogue that mean nothing to an officer: "型" (data type,
# as in 無効な日付型です / 型変換できません) and "フィールド" (form field).
JARGON = ("型", "フィールド")


@pytest.mark.parametrize(("fields", "status", "field", "text"), BAD_FORMS)
def test_bad_form_input_is_explained_in_plain_words(
    officer_client, room, now, fields, status, field, text
):
    """The booking page's messages (the change page uses the same form) speak plainly."""
    response = post_form(officer_client, f"/rooms/{room.id}/reserve", **fields)
    for message in (
        m for ms in error_messages(response.get_data(as_text=True)).values() for m in ms
    ):
        assert not any(word in message for word in JARGON), f"programmer's jargon: {message!r}"


WEEKLY = {"repeat": "weekly", "repeat_until": "2025-05-06"}
BAD_SERIES = [
    pytest.param(
        {**WEEKLY, "repeat_until": ""}, 422, "repeat_until", "最終日を入力", id="until-empty"
    ),
    pytest.param({**WEEKLY, "repeat_until": "abc"}, 422, "repeat_until", None, id="until-letters"),
    pytest.param(
        {**WEEKLY, "repeat_until": "2025-04-01"}, 400, None, "最初の日より後", id="until-before"
    ),
    pytest.param(
        {**WEEKLY, "repeat_until": "2026-12-31"}, 400, None, "日先までです", id="until-too-far"
    ),
    pytest.param({**WEEKLY, "interval_weeks": "0"}, 422, "interval_weeks", None, id="interval-0"),
    pytest.param(
        {**WEEKLY, "repeat_until": "2025-04-01", "confirm": "1"},
        400,
        None,
        "最初の日より後",
        id="confirm-until-before",
    ),
    pytest.param(
        {"repeat": "weekly", "day": "0001-01-01", "start": "08:45", "repeat_until": "0001-02-01"},
        {400, 422},
        None,
        None,
        id="year-1",
    ),
    pytest.param(
        {"repeat": "monthly_nth", "day": "9999-12-01", "repeat_until": "9999-12-31"},
        {400, 422},
        None,
        None,
        id="year-9999-monthly",
    ),
]


@pytest.mark.parametrize(("fields", "status", "field", "text"), BAD_SERIES)
def test_bad_repetitions_are_refused_in_japanese(
    officer_client, room, now, fields, status, field, text
):
    before = database_state()
    response = post_form(officer_client, f"/rooms/{room.id}/reserve", **fields)
    assert_japanese_refusal(response, status, field=field, text=text)
    assert database_state() == before


@pytest.mark.parametrize(
    "query", ["day=abc&start=25:00&minutes=abc", "day=0001-01-01&start=08:45", "day=&start="]
)
def test_a_prefilled_booking_form_with_bad_values_still_opens(officer_client, room, now, query):
    """The week page links to the form with ?day=&start=; hand-edited values are no 500."""
    response = officer_client.get(f"/rooms/{room.id}/reserve?{query}")
    assert response.status_code < 500
    assert "Not a valid" not in visible_text(response.get_data(as_text=True))


GOOD_FORMS = [
    pytest.param({"day": "２０２５－０４－０８", "start": "１０：００"}, id="full-width-digits"),
    pytest.param({"day": "２０２５／０４／０８", "start": "１０：００"}, id="full-width-slashes"),
    pytest.param({"day": "2025/04/08"}, id="slash-date"),
    pytest.param({"day": " 2025-04-08 ", "start": " 10:00 "}, id="spaces-around"),
    pytest.param({"start": "10:00:00"}, id="seconds"),
    pytest.param({"desk_note": "あ" * 200}, id="note-200-chars"),
    # A textarea's line breaks arrive as CRLF from every browser (HTML form submission).
    pytest.param({"desk_note": "1階の窓口\r\nに声をかけます"}, id="note-two-lines"),
]


@pytest.mark.parametrize("fields", GOOD_FORMS)
def test_input_written_differently_is_accepted(officer_client, room, now, fields):
    before = database_state()
    response = post_form(officer_client, f"/rooms/{room.id}/reserve", **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 302, (response.status_code, error_messages(page))
    reservation = db.session.scalars(select(Reservation)).one()
    assert response.headers["Location"].endswith(f"/reservations/{reservation.public_id}?booked=1")
    assert tokyo(reservation.starts_at) == at_tokyo(date(2025, 4, 8), time(10))
    assert reservation.ends_at - reservation.starts_at == timedelta(hours=1)
    assert row_count(Reservation) == before[0] + 1
    assert row_count(AuditEvent) == before[1] + 1


def test_markup_in_the_desk_note_is_shown_as_text(officer_client, room, now):
    note = '<script>alert("x")</script><b>窓口</b>'
    response = post_form(officer_client, f"/rooms/{room.id}/reserve", desk_note=note)
    assert response.status_code == 302
    page = officer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in page
    assert "<b>窓口" not in page
    assert "&lt;script&gt;" in page
    assert "&lt;b&gt;窓口&lt;/b&gt;" in page


# --- Rooms and reservations that do not exist or are not yours --------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "path", ["/rooms/999999/reserve", "/rooms/abc/reserve", "/rooms/-1/reserve"]
)
def test_unknown_room_is_a_404(officer_client, now, method, path):
    before = database_state()
    if method == "get":
        response = officer_client.get(path)
    else:
        token = csrf_token(officer_client, "/reservations/")
        response = officer_client.post(path, data=form_fields(csrf_token=token))
    assert_japanese_refusal(response, 404, text="ページが見つかりません")
    assert database_state() == before


OTHERS_PAGES = [
    pytest.param("get", "", id="show"),
    pytest.param("get", "/edit", id="edit-form"),
    pytest.param("post", "/edit", id="edit"),
    pytest.param("get", "/cancel", id="cancel-form"),
    pytest.param("post", "/cancel", id="cancel"),
    pytest.param("post", "/check-in", id="check-in"),
    pytest.param("post", "/check-out", id="check-out"),
]


@pytest.mark.parametrize(("method", "suffix"), OTHERS_PAGES)
def test_another_officers_reservation_is_a_403(officer_client, others, method, suffix):
    before = database_state()
    path = f"/reservations/{others.public_id}{suffix}"
    if method == "get":
        response = officer_client.get(path)
    else:
        token = csrf_token(officer_client, "/reservations/")
        response = officer_client.post(path, data=form_fields(csrf_token=token, start="11:00"))
    assert_japanese_refusal(response, 403, text="権限がありません")
    assert "14:00" not in visible_text(response.get_data(as_text=True))
    assert database_state() == before


@pytest.mark.parametrize(("method", "suffix"), OTHERS_PAGES)
@pytest.mark.parametrize(
    "public_id", ["not-a-uuid", "12345", "../etc", str(uuid.UUID(int=0)), str(uuid.uuid4())]
)
def test_a_reservation_id_that_is_no_reservation_is_a_404(
    officer_client, own, method, suffix, public_id
):
    before = database_state()
    path = f"/reservations/{public_id}{suffix}"
    if method == "get":
        response = officer_client.get(path)
    else:
        token = csrf_token(officer_client, "/reservations/")
        response = officer_client.post(path, data=form_fields(csrf_token=token))
    assert_japanese_refusal(response, 404, text="ページが見つかりません")
    assert database_state() == before


# --- Forged and repeated submissions ----------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged-token"])
@pytest.mark.parametrize("target", ["new", "edit", "cancel"])
def test_a_post_without_a_valid_csrf_token_is_a_400(officer_client, room, own, token, target):
    before = database_state()
    path = {
        "new": f"/rooms/{room.id}/reserve",
        "edit": f"/reservations/{own.public_id}/edit",
        "cancel": f"/reservations/{own.public_id}/cancel",
    }[target]
    data = form_fields(start="11:00")
    if token is not None:
        data["csrf_token"] = token
    response = officer_client.post(path, data=data)
    assert_japanese_refusal(response, 400, text="画面の有効期限が切れたか")
    assert database_state() == before


def test_a_double_submitted_form_books_once(officer_client, room, now):
    path = f"/rooms/{room.id}/reserve"
    data = form_fields(csrf_token=csrf_token(officer_client, path))
    first = officer_client.post(path, data=data)
    second = officer_client.post(path, data=data)
    assert first.status_code == second.status_code == 302, second.get_data(as_text=True)
    reservation = db.session.scalars(select(Reservation)).one()
    assert first.headers["Location"] == second.headers["Location"]
    assert first.headers["Location"].endswith(f"/reservations/{reservation.public_id}?booked=1")
    assert audited_changes() == 1
