"""Check-in and check-out: a checked-in officer can always check out, and the home page says
what to do today, with the emergency card."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from booking.errors import InvalidInput
from booking.extensions import db
from booking.reservations import services
from booking.reservations.models import Reservation
from booking.rooms.views import today_panel
from booking.timeutil import TOKYO
from tests.conftest import booked, csrf_token

TUESDAY_8 = datetime(2025, 4, 8, 8, tzinfo=TOKYO)


def fresh(reservation: Reservation) -> Reservation:
    db.session.expire_all()
    return db.session.get(Reservation, reservation.id)


@pytest.fixture
def in_room(room, officer, clock):
    """An interview 9:00-10:00 on Tuesday that the officer checked in to at 9:00."""
    clock(TUESDAY_8)
    reservation = booked(room, officer, "09:00")
    clock(datetime(2025, 4, 8, 9, tzinfo=TOKYO))
    services.check_in(reservation, by=officer)
    db.session.commit()
    return reservation


@pytest.mark.parametrize("after_end", [timedelta(minutes=1), timedelta(hours=5), timedelta(days=3)])
def test_a_checked_in_officer_can_check_out_however_late(in_room, officer, clock, after_end):
    clock(in_room.ends_at + after_end)
    services.check_out(in_room, by=officer)
    db.session.commit()
    assert fresh(in_room).checked_out_at == in_room.ends_at + after_end


def test_check_out_is_refused_for_cancelled_or_never_checked_in_past_its_day(
    room, make_room, officer, clock
):
    clock(TUESDAY_8)
    never = booked(room, officer, "09:00")
    cancelled = booked(make_room(), officer, "11:00")
    services.cancel(cancelled, by=officer)
    cancelled.checked_in_at = cancelled.starts_at  # as a record made before the cancel rules
    db.session.commit()
    clock(datetime(2025, 4, 9, 9, tzinfo=TOKYO))
    for reservation in (never, cancelled):
        with pytest.raises(InvalidInput):
            services.check_out(reservation, by=officer)
        db.session.rollback()
        assert fresh(reservation).checked_out_at is None


def check_out_button(html: str, reservation: Reservation) -> bool:
    return f'action="/reservations/{reservation.public_id}/check-out"' in html


def test_the_list_keeps_an_overrunning_interview_current_with_its_button(
    officer_client, in_room, clock
):
    clock(in_room.ends_at + timedelta(days=2))
    html = officer_client.get("/reservations/").get_data(as_text=True)
    current, past = html.split("過去と取り消した予約")
    assert check_out_button(current, in_room) and str(in_room.public_id) not in past
    page = officer_client.get(f"/reservations/{in_room.public_id}").get_data(as_text=True)
    assert check_out_button(page, in_room) and "退室しました" in page


def test_home_page_puts_the_check_out_first_and_one_tap_records_it(officer_client, in_room, clock):
    clock(in_room.ends_at + timedelta(hours=3))
    html = officer_client.get("/").get_data(as_text=True)
    assert check_out_button(html, in_room)
    assert (
        html.index("今日の面談")
        < html.index("check-out")
        < html.index("<h1>空いている部屋をさがす")
    )
    assert 'href="tel:110"' in html and 'href="tel:+81-11-211-2345"' in html
    url = f"/reservations/{in_room.public_id}/check-out"
    token = csrf_token(officer_client, "/")
    response = officer_client.post(url, data={"csrf_token": token, "next": "/"})
    assert response.headers["Location"] == "/"
    assert fresh(in_room).checked_out_at is not None


def test_home_page_says_when_check_in_opens(officer_client, room, make_room, officer, clock):
    clock(TUESDAY_8)
    soon = booked(room, officer, "09:00")
    later = booked(make_room(), officer, "14:00")
    clock(datetime(2025, 4, 8, 8, 45, tzinfo=TOKYO))
    html = officer_client.get("/").get_data(as_text=True)
    assert f'action="/reservations/{soon.public_id}/check-in"' in html
    assert f'action="/reservations/{later.public_id}/check-in"' not in html
    assert "入室の記録は13:30からできます" in html
    assert "入室の記録は8:30からできます" not in html  # already open


def test_no_panel_without_an_interview_today(officer_client, room, officer, now):
    booked(room, officer, "09:00")  # Tuesday; today is Monday
    html = officer_client.get("/").get_data(as_text=True)
    assert "今日の面談" not in html


def selects_for_panel(officer, now) -> int:
    statements = []

    def listener(*args):
        statements.append(args[2])

    db.session.expire_all()
    db.session.refresh(officer)
    event.listen(db.engine, "before_cursor_execute", listener)
    panel = today_panel(officer, now)
    for reservation, _step, _opens in panel:
        assert reservation.room.facility.name_ja
    event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def test_the_panel_takes_a_constant_number_of_queries(app, room, make_room, officer, clock):
    clock(TUESDAY_8)
    booked(room, officer, "09:00")
    moment = datetime(2025, 4, 8, 9, tzinfo=TOKYO)
    one = selects_for_panel(officer, moment)
    for start in ("11:00", "13:00", "15:00"):
        booked(make_room(), officer, start)
    assert selects_for_panel(officer, moment) == one == 1


@pytest.mark.parametrize(
    ("desk_phone", "phone", "shown", "missing"),
    [
        ("011-222-3344", "011-211-2345", "施設の窓口に電話する（011-222-3344）", "011-211-2345"),
        (None, "011-211-2345", "施設の代表電話に電話する（011-211-2345）", "登録されていません"),
        (None, None, "この施設の電話番号は登録されていません。", "tel:+81"),
    ],
)
def test_emergency_card_falls_back_to_the_main_phone(
    officer_client, facility, in_room, desk_phone, phone, shown, missing
):
    facility.desk_phone, facility.phone = desk_phone, phone
    db.session.commit()
    for path in (f"/reservations/{in_room.public_id}", "/"):
        html = officer_client.get(path).get_data(as_text=True)
        card = html[html.index('class="emergency-card"') :].split("</section>")[0]
        assert shown in card and missing not in card
    if not phone:
        assert "所在地：札幌市中央区北1条西2丁目" in card
