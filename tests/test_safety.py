"""The live safety board and the overdue sweep, with a controlled clock and a real SMTP server."""

from datetime import datetime, time, timedelta

import pytest

from booking.audit import AuditEvent
from booking.auth.models import Role
from booking.extensions import db
from booking.notify.sender import send_pass
from booking.reservations import services
from booking.reservations.models import Reservation
from booking.safety.board import BoardState, board_state
from booking.safety.retention import purge_notes
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
        ("11:16", True, False, BoardState.OVERDUE),
        ("11:16", False, False, BoardState.OVERDUE),  # never checked in: still a worry
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
    html = manager_client.get(f"/manage/facilities/{facility.id}/board").get_data(as_text=True)
    assert html.index("board-row--overdue") < html.index("board-row--not_arrived")
    assert "超過" in html and "090-1111-2222" in html
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


def test_sweep_mails_the_desk_once_per_overdue_reservation(
    smtp_server, facility, room, make_room, officer, make_user, clock
):
    facility.desk_email = "desk@ward.example"
    db.session.commit()
    clock(datetime(2025, 4, 8, 8, tzinfo=TOKYO))
    overdue = booked(room, officer, "09:00", desk_note="持病があります", notify_desk=True)
    second = booked(make_room(), make_user(Role.OFFICER), "09:00")
    left = booked(make_room(), make_user(Role.OFFICER), "09:30")
    left.checked_in_at, left.checked_out_at = at("09:30"), at("10:20")
    booked(make_room(), make_user(Role.OFFICER), "10:00")  # ends 11:00: not overdue yet
    db.session.commit()

    assert sweep(at("10:15")) == 0  # exactly end + grace
    assert sweep(at("10:16")) == 2
    assert sweep(at("10:17")) == 0
    send_pass()
    alerts = [m for m in smtp_server if m["To"] == "desk@ward.example"]
    assert len(alerts) == 2  # beside the officers' own booking confirmations
    bodies = [m.get_payload(decode=True).decode("utf-8") for m in alerts]
    assert all("持病" not in body and "連絡" not in body for body in bodies)
    assert any("保護司 一郎" in body and "9:00〜10:00" in body for body in bodies)
    marked = {r.id for r in db.session.query(Reservation) if r.overdue_notified_at}
    assert marked == {overdue.id, second.id}


def test_sweep_without_smtp_still_marks_and_audits(facility, room, officer, clock):
    clock(datetime(2025, 4, 8, 8, tzinfo=TOKYO))
    reservation = booked(room, officer, "09:00")
    assert sweep(at("10:30")) == 1
    assert db.session.get(Reservation, reservation.id).overdue_notified_at is not None
    assert db.session.query(AuditEvent).filter_by(action="reservation.overdue").count() == 1


def test_sweep_command(app, facility, room, officer, clock):
    clock(datetime(2025, 4, 8, 8, tzinfo=TOKYO))
    booked(room, officer, "09:00")
    clock(datetime(2025, 4, 8, 10, 30, tzinfo=TOKYO))
    result = app.test_cli_runner().invoke(args=["safety", "sweep"])
    assert result.exit_code == 0 and "1 newly overdue" in result.output


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
