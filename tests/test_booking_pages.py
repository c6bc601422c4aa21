"""The plain booking pages: book, see, change, cancel, list."""

from booking.auth.models import Role
from booking.reservations.models import Reservation, Status
from tests.conftest import booked, csrf_token, row_count


def booking_form(client, room, **fields):
    data = {
        "day": "2025-04-08",
        "start": "10:00",
        "minutes": "60",
        "probation_officer": "none",
        "repeat": "",
        "interval_weeks": "1",
        "csrf_token": csrf_token(client, f"/rooms/{room.id}/reserve"),
        **fields,
    }
    return client.post(f"/rooms/{room.id}/reserve", data=data)


def test_book_see_and_cancel(officer_client, room, now):
    response = booking_form(officer_client, room)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = officer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2025年4月8日(火) 10:00〜11:00（令和7年）" in page
    assert "110" in page
    reservation = Reservation.query.one()
    cancel_url = f"/reservations/{reservation.public_id}/cancel"
    token = csrf_token(officer_client, cancel_url)
    assert officer_client.post(cancel_url, data={"csrf_token": token}).status_code == 302
    assert Reservation.query.one().status is Status.CANCELLED


def test_note_field_warns_against_names_and_says_when_it_is_deleted(app, officer_client, room):
    app.config["SAFETY_NOTE_RETENTION_DAYS"] = 30
    page = officer_client.get(f"/rooms/{room.id}/reserve").get_data(as_text=True)
    assert "対象者の氏名等は入力しないでください。" in page
    assert "面談の30日後に消去します。" in page


def test_taken_slot_is_a_409_with_the_form_kept(officer_client, room, now, make_user):
    booked(room, make_user(Role.OFFICER, email="other@example.jp"))
    response = booking_form(officer_client, room, start="10:30", desk_note="窓口メモ")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "この時間は既に予約があります" in page
    assert "窓口メモ" in page
    assert row_count(Reservation) == 1


def test_repeat_preview_then_book_the_free_dates(officer_client, room, now):
    fields = {"repeat": "weekly", "interval_weeks": "1", "repeat_until": "2025-05-13"}
    preview = booking_form(officer_client, room, **fields)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "2025年4月29日(火)" in page and "昭和の日" in page
    assert "予約できる4日を予約する" in page
    assert row_count(Reservation) == 0
    confirmed = booking_form(officer_client, room, confirm="1", idempotency_key="series1", **fields)
    assert confirmed.status_code == 302
    assert row_count(Reservation) == 4
    booking_form(officer_client, room, confirm="1", idempotency_key="series1", **fields)
    assert row_count(Reservation) == 4


def test_cancel_a_repetition_from_a_date_onward(officer_client, room, now):
    fields = {"repeat": "weekly", "interval_weeks": "1", "repeat_until": "2025-05-13"}
    booking_form(officer_client, room, confirm="1", idempotency_key="series2", **fields)
    third = sorted(Reservation.query.all(), key=lambda r: r.starts_at)[2]
    url = f"/reservations/{third.public_id}/cancel"
    page = officer_client.get(url).get_data(as_text=True)
    assert "この日以降の繰り返しをすべて取り消す" in page
    token = csrf_token(officer_client, url)
    response = officer_client.post(f"{url}-series", data={"csrf_token": token})
    assert response.status_code == 302
    states = [r.status for r in sorted(Reservation.query.all(), key=lambda r: r.starts_at)]
    assert states == [Status.ACTIVE, Status.ACTIVE, Status.CANCELLED, Status.CANCELLED]


def test_single_reservation_has_no_series_to_cancel(officer_client, room, now):
    booking_form(officer_client, room)
    reservation = Reservation.query.one()
    url = f"/reservations/{reservation.public_id}/cancel"
    assert "繰り返し" not in officer_client.get(url).get_data(as_text=True)
    token = csrf_token(officer_client, url)
    assert officer_client.post(f"{url}-series", data={"csrf_token": token}).status_code == 404
    assert Reservation.query.one().is_active


def test_repeat_needs_a_last_day(officer_client, room, now):
    response = booking_form(officer_client, room, repeat="weekly")
    assert response.status_code == 422
    assert "繰り返しの最終日を入力してください" in response.get_data(as_text=True)


def test_change_through_the_edit_page(officer_client, room, now):
    booking_form(officer_client, room)
    reservation = Reservation.query.one()
    url = f"/reservations/{reservation.public_id}/edit"
    page = officer_client.get(url).get_data(as_text=True)
    assert 'value="2025-04-08"' in page and 'value="10:00"' in page
    data = {
        "day": "2025-04-08",
        "start": "13:00",
        "minutes": "90",
        "probation_officer": "online",
        "csrf_token": csrf_token(officer_client, url),
    }
    assert officer_client.post(url, data=data).status_code == 302
    page = officer_client.get(f"/reservations/{reservation.public_id}").get_data(as_text=True)
    assert "13:00〜14:30" in page
    assert "保護観察官がオンラインで参加する" in page


def test_check_in_and_out_buttons(officer_client, room, clock):
    from datetime import datetime

    from booking.timeutil import TOKYO

    clock(datetime(2025, 4, 7, 9, tzinfo=TOKYO))
    booking_form(officer_client, room, day="2025-04-07", start="10:00")
    reservation = Reservation.query.one()
    assert "入室しました" not in officer_client.get("/reservations/").get_data(as_text=True)
    clock(datetime(2025, 4, 7, 9, 30, tzinfo=TOKYO))
    page = officer_client.get("/reservations/").get_data(as_text=True)
    assert "入室しました" in page
    token = csrf_token(officer_client, "/reservations/")
    officer_client.post(
        f"/reservations/{reservation.public_id}/check-in", data={"csrf_token": token}
    )
    page = officer_client.get("/reservations/").get_data(as_text=True)
    assert "入室中" in page and "退室しました" in page
    officer_client.post(
        f"/reservations/{reservation.public_id}/check-out", data={"csrf_token": token}
    )
    assert "退室済" in officer_client.get("/reservations/").get_data(as_text=True)


def test_check_in_too_early_is_refused(officer_client, room, now):
    booking_form(officer_client, room)
    reservation = Reservation.query.one()
    token = csrf_token(officer_client, "/reservations/")
    response = officer_client.post(
        f"/reservations/{reservation.public_id}/check-in", data={"csrf_token": token}
    )
    assert response.status_code == 400
    assert "開始の30分前から" in response.get_data(as_text=True)
    assert Reservation.query.one().checked_in_at is None


def test_a_repetition_sent_with_a_single_booking_s_key_is_refused(officer_client, room, now):
    """The back button after a booking, then 'weekly' on the same form: the first one stands."""
    assert booking_form(officer_client, room, idempotency_key="k1").status_code == 302
    fields = {"repeat": "weekly", "interval_weeks": "1", "repeat_until": "2025-05-13"}
    response = booking_form(officer_client, room, confirm="1", idempotency_key="k1", **fields)
    assert response.status_code == 409
    assert "この予約は既に受け付けています" in response.get_data(as_text=True)
    assert row_count(Reservation) == 1
