"""The live safety board and the overdue sweep, with a controlled clock and a real SMTP server."""

from datetime import date, datetime, time, timedelta

import pytest

from booking.audit import AuditEvent
from booking.auth.models import Role
from booking.extensions import db
from booking.notify.sender import send_pass
from booking.reservations import services
from booking.reservations.models import Reservation
from booking.rooms.models import Facility, FacilityKind, FeeBasis, Ward
from booking.safety.board import BoardState, board_state
from booking.safety.models import Acknowledgement, AlarmKind, Outcome
from booking.safety.retention import purge_notes
from booking.safety.services import acknowledge
from booking.safety.sweep import sweep
from booking.timeutil import TOKYO, at_tokyo
from tests.conftest import TUESDAY, booked, csrf_token, log_in

GRACE = timedelta(minutes=15)


def at(clock_text: str) -> datetime:
    return at_tokyo(TUESDAY, time.fromisoformat(clock_text))


@pytest.mark.parametrize(
    ("moment", "checked_in", "checked_out", "state"),
    [
        ("09:59", False, False, BoardState.UPCOMING),
        ("10:00", False, False, BoardState.UPCOMING),  # start
        ("10:15", False, False, BoardState.UPCOMING),  # start + grace, not yet past it
        ("10:16", False, False, BoardState.NOT_ARRIVED),
        ("10:16", True, False, BoardState.IN_ROOM),
        ("11:00", True, False, BoardState.IN_ROOM),  # end
        ("11:15", True, False, BoardState.IN_ROOM),  # end + grace
        ("10:15:00", False, False, BoardState.UPCOMING),  # exactly on the minute
        ("10:15:01", False, False, BoardState.NOT_ARRIVED),
        ("11:15:00", True, False, BoardState.IN_ROOM),
        ("11:15:01", True, False, BoardState.OVERDUE),
        ("11:16", True, False, BoardState.OVERDUE),
        ("11:16", False, False, BoardState.NOT_ARRIVED),  # never checked in: nobody came
        ("18:00", False, False, BoardState.NOT_ARRIVED),
        ("11:16", True, True, BoardState.LEFT),
    ],
)
def test_board_states_at_each_boundary(now, room, officer, moment, checked_in, checked_out, state):
    reservation = booked(room, officer)
    if checked_in:
        reservation.checked_in_at = at("10:05")
    if checked_out:
        reservation.checked_out_at = at("11:05")
    db.session.commit()
    reservation = db.session.get(Reservation, reservation.id)
    assert board_state(reservation, at(moment), GRACE) is state


@pytest.fixture
def manager_client(app, make_user, facility):
    manager = make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])
    client = app.test_client()
    log_in(client, manager.email)
    return client


def test_board_shows_overdue_first_in_red_with_the_phone(
    manager_client, facility, room, make_room, officer, make_user, clock
):
    clock(datetime(2025, 4, 8, 8, tzinfo=TOKYO))
    officer.phone = "090-1111-2222"
    late = booked(room, officer, "09:00")
    booked(make_room(), make_user(Role.OFFICER), "10:00")
    clock(datetime(2025, 4, 8, 10, 20, tzinfo=TOKYO))
    late.checked_in_at = at("09:00")
    db.session.commit()
    html = manager_client.get(f"/manage/facilities/{facility.id}/board").get_data(as_text=True)
    assert html.index("board-row--overdue") < html.index("board-row--not_arrived")
    assert "退室未記録" in html and "未到着" in html and "090-1111-2222" in html
    assert str(late.public_id) in html


def test_staff_check_out_from_the_board(manager_client, facility, room, officer, clock):
    clock(datetime(2025, 4, 8, 8, tzinfo=TOKYO))
    reservation = booked(room, officer, "09:00")
    clock(datetime(2025, 4, 8, 10, 20, tzinfo=TOKYO))
    board = f"/manage/facilities/{facility.id}/board"
    token = csrf_token(manager_client, board)
    response = manager_client.post(
        f"/reservations/{reservation.public_id}/check-out",
        data={"csrf_token": token, "next": board},
    )
    assert response.headers["Location"] == board
    assert db.session.get(Reservation, reservation.id).checked_out_at is not None
    actors = db.session.query(AuditEvent.actor_id).filter_by(action="reservation.check_out")
    assert [a for (a,) in actors] != [officer.id]


def test_board_can_stop_refreshing(manager_client, facility):
    page = manager_client.get(f"/manage/facilities/{facility.id}/board").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and "自動更新を止める" in page
    still = manager_client.get(f"/manage/facilities/{facility.id}/board?refresh=0")
    assert 'http-equiv="refresh"' not in still.get_data(as_text=True)


def test_sweep_reports_each_kind_of_alarm_once_in_its_own_words(
    smtp_server, facility, room, make_room, officer, make_user, clock
):
    facility.desk_email = "desk@ward.example"
    db.session.commit()
    clock(datetime(2025, 4, 8, 8, tzinfo=TOKYO))
    overdue = booked(room, officer, "09:00", desk_note="持病があります", notify_desk=True)
    overdue.checked_in_at = at("09:00")
    absent = booked(make_room(), make_user(Role.OFFICER), "09:00")
    left = booked(make_room(), make_user(Role.OFFICER), "09:30")
    left.checked_in_at, left.checked_out_at = at("09:30"), at("10:20")
    booked(make_room(), make_user(Role.OFFICER), "10:30")  # starts 10:30: no alarm yet
    db.session.commit()

    assert sweep(at("09:15")) == 0  # exactly start + grace
    assert sweep(at("09:16")) == 1  # absent: not arrived
    assert sweep(at("10:15")) == 0  # exactly end + grace
    assert sweep(at("10:16")) == 1  # overdue: no check-out
    assert sweep(at("10:17")) == 0
    send_pass()
    alerts = [m for m in smtp_server if m["To"] == "desk@ward.example"]
    assert len(alerts) == 2  # beside the officers' own booking confirmations
    subjects = [str(m["Subject"]) for m in alerts]
    assert "入室の記録がありません" in subjects[0] and "退室の記録がありません" in subjects[1]
    bodies = [m.get_payload(decode=True).decode("utf-8") for m in alerts]
    assert "開始時刻を過ぎましたが、入室の記録" in bodies[0]
    assert "終了時刻を過ぎましたが、退室の記録" in bodies[1]
    assert all("持病" not in body and "連絡" not in body for body in bodies)
    assert "保護司 一郎" in bodies[1] and "9:00〜10:00" in bodies[1]

    absent.checked_in_at = at("10:18")  # came late, and is now past the end: a new alarm
    db.session.commit()
    assert sweep(at("10:19")) == 1
    assert sweep(at("10:20")) == 0
    actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions.count("reservation.not_arrived") == 1
    assert actions.count("reservation.overdue") == 2


def test_sweep_skips_alarms_the_desk_acknowledged(facility, room, officer, make_user, clock):
    clock(datetime(2025, 4, 8, 8, tzinfo=TOKYO))
    reservation = booked(room, officer, "09:00")
    manager = make_user(Role.MANAGER, facilities=[facility])
    acknowledge(
        reservation,
        kind=AlarmKind.NOT_ARRIVED,
        outcome=Outcome.SAFE_BY_PHONE,
        note="",
        by=manager,
        now=at("09:20"),
        grace=GRACE,
    )
    db.session.commit()
    assert sweep(at("09:21")) == 0
    reservation.checked_in_at = at("09:25")
    db.session.commit()
    assert sweep(at("10:16")) == 1  # the overdue alarm is another one
    assert fresh(reservation).not_arrived_notified_at is None


def test_sweep_without_smtp_still_marks_and_audits(facility, room, officer, clock):
    clock(datetime(2025, 4, 8, 8, tzinfo=TOKYO))
    reservation = booked(room, officer, "09:00")
    reservation.checked_in_at = at("09:00")
    db.session.commit()
    assert sweep(at("10:30")) == 1
    assert db.session.get(Reservation, reservation.id).overdue_notified_at is not None
    assert db.session.query(AuditEvent).filter_by(action="reservation.overdue").count() == 1


def test_sweep_command(app, facility, room, officer, clock):
    clock(datetime(2025, 4, 8, 8, tzinfo=TOKYO))
    booked(room, officer, "09:00")
    clock(datetime(2025, 4, 8, 10, 30, tzinfo=TOKYO))
    result = app.test_cli_runner().invoke(args=["safety", "sweep"])
    assert result.exit_code == 0 and "1 new alarms reported" in result.output


NOTE = "杖をついて来館されます"
KEPT = timedelta(days=90)  # SAFETY_NOTE_RETENTION_DAYS' default


def fresh(reservation: Reservation) -> Reservation:
    db.session.expire_all()
    return db.session.get(Reservation, reservation.id)


def shown(reservation: Reservation) -> tuple:
    """What calendar feeds read of a reservation and its calendars."""
    return (
        reservation.version,
        reservation.updated_at,
        reservation.room.calendar_version,
        reservation.officer.calendar_version,
    )


@pytest.mark.parametrize(
    ("after_end", "cleared"),
    [
        (KEPT - timedelta(minutes=1), False),
        (KEPT, False),  # exactly the retention period: still kept
        (KEPT + timedelta(minutes=1), True),
    ],
)
def test_notes_are_cleared_after_the_retention_period(now, room, officer, after_end, cleared):
    reservation = booked(room, officer, desk_note=NOTE, caution=True, second_officer=True)
    before = shown(fresh(reservation))

    assert purge_notes(reservation.ends_at + after_end) == int(cleared)
    db.session.commit()

    kept = fresh(reservation)
    assert kept.desk_note == ("" if cleared else NOTE)
    assert kept.caution and kept.second_officer  # the rest stays for the records
    assert shown(kept) == before  # feeds never show notes: no new version or ETag


def test_purge_clears_cancelled_reservations_and_audits_each_without_the_note(
    now, room, make_room, officer, make_user
):
    cancelled = booked(room, officer, "09:00", desk_note=NOTE)
    services.cancel(cancelled, by=officer)
    other = booked(make_room(), make_user(Role.OFFICER), desk_note="車いすで来館")
    without_note = booked(make_room(), make_user(Role.OFFICER), "13:00")
    db.session.commit()
    later = without_note.ends_at + KEPT + timedelta(days=1)

    assert purge_notes(later) == 2
    db.session.commit()
    assert purge_notes(later) == 0  # nothing left to clear

    assert fresh(cancelled).desk_note == fresh(other).desk_note == ""
    events = db.session.query(AuditEvent).filter_by(action="reservation.note_purged").all()
    assert sorted(e.object_id for e in events) == sorted(
        str(r.public_id) for r in (cancelled, other)
    )
    assert all(NOTE not in str(e.details) and e.actor_id is None for e in events)


def test_purge_notes_command_follows_the_configured_period(app, now, room, officer, clock):
    reservation = booked(room, officer, desk_note=NOTE)
    app.config["SAFETY_NOTE_RETENTION_DAYS"] = 30
    clock(reservation.ends_at + timedelta(days=31))

    result = app.test_cli_runner().invoke(args=["safety", "purge-notes"])

    assert result.exit_code == 0
    assert "1 notes cleared (kept 30 days after the interview)" in result.output
    assert fresh(reservation).desk_note == ""


@pytest.fixture
def not_arrived(facility, room, officer, clock):
    """An interview 9:00-10:00 nobody checked in to; now 9:30."""
    clock(datetime(2025, 4, 8, 8, tzinfo=TOKYO))
    reservation = booked(room, officer, "09:00")
    clock(datetime(2025, 4, 8, 9, 30, tzinfo=TOKYO))
    return reservation


def acknowledge_form(client, reservation, **fields):
    url = f"/manage/reservations/{reservation.public_id}/acknowledge"
    signed_in = client.get("/rooms/").status_code == 200
    token = csrf_token(client, "/rooms/" if signed_in else "/login")
    data = {"csrf_token": token, "kind": "not_arrived", "outcome": "safe_by_phone", **fields}
    return client.post(url, data=data)


def other_facility() -> Facility:
    other = Facility(
        code="other-office",
        ward=Ward.KITA,
        name_ja="別の区役所",
        name_en="Other Ward Office",
        address="札幌市北区",
        kind=FacilityKind.SUPPORT_CENTER,
        fee_basis=FeeBasis.FULL_EXEMPTION,
        bookable_from=date(2020, 1, 1),
    )
    db.session.add(other)
    db.session.commit()
    return other


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),  # to the login page
        ("officer", 403),
        ("other_manager", 403),
        ("manager", 302),
        ("admin", 302),
    ],
)
def test_only_the_facility_staff_acknowledge(app, make_user, facility, not_arrived, who, status):
    users = {
        "officer": lambda: not_arrived.officer,
        "other_manager": lambda: make_user(Role.MANAGER, facilities=[other_facility()]),
        "manager": lambda: make_user(Role.MANAGER, facilities=[facility]),
        "admin": lambda: make_user(Role.ADMIN),
    }
    client = app.test_client()
    if who in users:
        log_in(client, users[who]().email)
    response = acknowledge_form(client, not_arrived)
    assert response.status_code == status
    done = db.session.query(Acknowledgement).count()
    assert done == (1 if who in ("manager", "admin") else 0)
    if who == "anonymous":
        assert "/login" in response.headers["Location"]
    elif done:
        assert response.headers["Location"] == f"/manage/facilities/{facility.id}/board"


@pytest.mark.parametrize(
    "fields",
    [
        {"outcome": ""},
        {"outcome": "fine"},
        {"outcome": "other", "note": ""},
        {"outcome": "other", "note": "   "},
        {"outcome": "other", "note": "あ" * 101},
        {"outcome": "other", "note": "無事\x00"},
        {"outcome": "other", "note": "無事\n確認"},
        {"kind": "lost"},
    ],
)
def test_bad_acknowledgements_are_refused_and_change_nothing(manager_client, not_arrived, fields):
    response = acknowledge_form(manager_client, not_arrived, **fields)
    assert response.status_code == 422
    assert "入力内容に問題があります" in response.get_data(as_text=True)
    assert db.session.query(Acknowledgement).count() == 0
    assert db.session.query(AuditEvent).filter_by(action="reservation.acknowledge").count() == 0


def test_an_alarm_that_is_gone_cannot_be_acknowledged(manager_client, not_arrived):
    response = acknowledge_form(manager_client, not_arrived, kind="overdue")
    assert response.status_code == 400
    assert "既に解消" in response.get_data(as_text=True)
    assert db.session.query(Acknowledgement).count() == 0


def test_acknowledging_clears_the_alarm_and_is_audited_without_the_note(
    manager_client, facility, not_arrived, clock
):
    board = f"/manage/facilities/{facility.id}/board"
    assert "board-row--not_arrived" in manager_client.get(board).get_data(as_text=True)
    note = "本人の携帯に電話、別の場所で面談中"
    response = acknowledge_form(manager_client, not_arrived, outcome="other", note=note)
    assert response.status_code == 302

    html = manager_client.get(board).get_data(as_text=True)
    assert "board-row--not_arrived" not in html and "board-row--acknowledged" in html
    assert f"確認済み（未到着）：{note}（テスト 利用者、9:30）" in html
    event = db.session.query(AuditEvent).filter_by(action="reservation.acknowledge").one()
    assert event.details == {"kind": "not_arrived", "outcome": "other"}
    assert event.object_id == str(not_arrived.public_id)

    # Then the officer checks in and stays past the end: that is a new, red alarm.
    not_arrived.checked_in_at = at("09:40")
    db.session.commit()
    clock(datetime(2025, 4, 8, 10, 16, tzinfo=TOKYO))
    html = manager_client.get(board).get_data(as_text=True)
    assert "board-row--overdue" in html and "退室未記録" in html
    assert "確認済み（未到着）" in html  # what the desk found earlier stays on the card


def test_what_the_desk_wrote_about_an_alarm_is_cleared_with_the_notes(
    facility, not_arrived, make_user
):
    manager = make_user(Role.MANAGER, facilities=[facility])
    note = "本人に電話して無事を確認"
    acknowledge(
        not_arrived,
        kind=AlarmKind.NOT_ARRIVED,
        outcome=Outcome.OTHER,
        note=note,
        by=manager,
        now=at("09:30"),
        grace=GRACE,
    )
    db.session.commit()
    assert purge_notes(not_arrived.ends_at + KEPT) == 0
    assert purge_notes(not_arrived.ends_at + KEPT + timedelta(minutes=1)) == 1
    db.session.commit()
    db.session.expire_all()
    kept = db.session.query(Acknowledgement).one()
    assert (kept.note, kept.outcome, kept.outcome_text) == ("", Outcome.OTHER, "その他")
    events = db.session.query(AuditEvent).filter_by(action="reservation.note_purged").all()
    assert [e.details for e in events] == [{"of": "alarm"}]
    assert all(note not in str(e.details) for e in db.session.query(AuditEvent))
