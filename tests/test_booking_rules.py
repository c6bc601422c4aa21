"""Every booking rule at its boundary, through the services, on both databases."""

from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from booking.audit import AuditEvent
from booking.auth.models import Role
from booking.errors import (
    CautionNeedsStaff,
    Conflict,
    InvalidInput,
    NotAllowed,
    NotBookable,
    OfficerBusy,
    OffTheClock,
    RoomTaken,
    TooManyReservations,
    WrongLength,
)
from booking.extensions import db
from booking.reservations import rules, services
from booking.reservations.models import Reservation, Status
from booking.reservations.services import SafetyDetails, Slot
from booking.rooms.models import Closure
from booking.timeutil import TOKYO, at_tokyo
from tests.conftest import row_count

TUESDAY = date(2025, 4, 8)


def slot(room, day: date, start: str, minutes: int = 60) -> Slot:
    starts_at = at_tokyo(day, time.fromisoformat(start))
    return Slot(room, starts_at, starts_at + timedelta(minutes=minutes))


@pytest.fixture
def attempt(now, officer):
    """Book through the service and commit, as the view does."""

    def book(room, start, minutes=60, *, day=TUESDAY, who=None, by=None, **safety):
        who = who or officer
        reservation = services.book(
            slot(room, day, start, minutes), who, by=by or who, safety=SafetyDetails(**safety)
        )
        db.session.commit()
        return reservation

    return book


def refused(error_class, action, *args, **kwargs) -> str:
    with pytest.raises(error_class) as caught:
        action(*args, **kwargs)
    db.session.rollback()
    return caught.value.message


def kita_room():
    """A room at another facility, open every day 9:00-21:00."""
    from booking.rooms.models import Facility, FacilityKind, FeeBasis, OpeningHours, Room, Ward

    facility = Facility(
        code="kita",
        ward=Ward.KITA,
        name_ja="北区民センター",
        name_en="Kita",
        address="札幌市北区",
        kind=FacilityKind.SUPPORT_CENTER,
        fee_basis=FeeBasis.FULL_EXEMPTION,
        bookable_from=date(2020, 1, 1),
        opening_hours=[OpeningHours(weekday=d, opens=time(9), closes=time(21)) for d in range(7)],
        rooms=[Room(code="kita", name_ja="面談室北", name_en="North")],
    )
    db.session.add(facility)
    db.session.commit()
    return facility.rooms[0]


@pytest.mark.parametrize(
    ("viewer", "told"),
    [
        ("officer", True),
        ("admin", True),
        ("manager of both", True),
        ("manager of this facility only", False),
    ],
)
def test_only_who_may_see_the_other_booking_learns_where_it_is(
    attempt, room, officer, make_user, viewer, told
):
    elsewhere = kita_room()
    attempt(elsewhere, "17:00")
    by = {
        "officer": officer,
        "admin": make_user(Role.ADMIN),
        "manager of both": make_user(Role.MANAGER, facilities=[room.facility, elsewhere.facility]),
        "manager of this facility only": make_user(Role.MANAGER, facilities=[room.facility]),
    }[viewer]
    message = refused(OfficerBusy, attempt, room, "16:15", by=by)
    if told and viewer == "officer":  # their own booking: named as theirs, with a link to it
        own = "この時間には、あなたの別の予約があります（北区民センター 17:00〜18:00）。"
        assert message == own
    elif told:
        assert message == "この時間には別の予約があります（北区民センター 17:00〜18:00）。"
    else:
        assert message == "この時間には、この保護司の別の予約があります。"
        assert "北区" not in message and "17:00" not in message


@pytest.mark.parametrize(
    ("start", "minutes", "message"),
    [
        ("08:45", 60, None),  # opening time
        ("08:30", 60, "この部屋は8:45からです。"),
        ("16:15", 60, None),  # ends exactly at closing
        ("16:30", 60, "この部屋は17:15までです。"),
        ("17:15", 30, "この部屋は17:15までです。"),
    ],
)
def test_opening_hours(attempt, room, start, minutes, message):
    if message is None:
        assert attempt(room, start, minutes).is_active
    else:
        assert refused(NotBookable, attempt, room, start, minutes) == message


@pytest.mark.parametrize(
    ("start", "minutes", "taken"),
    [
        ("11:00", 60, False),  # begins exactly when the other ends
        ("09:00", 60, False),  # ends exactly when the other begins
        ("10:45", 60, True),
        ("09:15", 60, True),
        ("10:15", 30, True),  # inside
        ("09:30", 120, True),  # around
    ],
)
def test_back_to_back_is_allowed_overlap_is_not(attempt, room, make_user, start, minutes, taken):
    attempt(room, "10:00", 60)
    other = make_user(Role.OFFICER)
    if taken:
        refused(RoomTaken, attempt, room, start, minutes, who=other)
    else:
        assert attempt(room, start, minutes, who=other).is_active


@pytest.mark.parametrize(
    ("start", "minutes", "taken"),
    [
        ("11:00", 60, True),  # inside the 15 minutes after the other
        ("11:15", 60, False),  # the buffer has passed
        ("09:00", 45, False),  # our buffer ends exactly when the other begins
        ("09:00", 60, True),  # our buffer would reach into the other
    ],
)
def test_buffer_minutes_between_bookings(attempt, make_room, make_user, start, minutes, taken):
    room = make_room(buffer_minutes=15)
    attempt(room, "10:00", 60)
    other = make_user(Role.OFFICER)
    if taken:
        assert "15分" in refused(RoomTaken, attempt, room, start, minutes, who=other)
    else:
        assert attempt(room, start, minutes, who=other).is_active


def test_cancelled_reservation_frees_the_slot(attempt, room, make_user, officer):
    first = attempt(room, "10:00")
    services.cancel(first, by=officer)
    db.session.commit()
    assert attempt(room, "10:00", who=make_user(Role.OFFICER)).is_active


def test_officer_cannot_be_in_two_rooms(attempt, room, make_room):
    attempt(room, "10:00")
    message = refused(OfficerBusy, attempt, make_room(), "10:30")
    assert "別の予約があります" in message and "10:00〜11:00" in message


@pytest.mark.parametrize(
    ("now_tokyo", "day", "allowed"),
    [
        (datetime(2025, 12, 1, 9), date(2025, 12, 26), True),
        (datetime(2025, 12, 1, 9), date(2025, 12, 29), False),
        (datetime(2025, 12, 1, 9), date(2026, 1, 5), True),
        (datetime(2025, 4, 7, 9), date(2025, 4, 29), False),  # 昭和の日
        (datetime(2025, 4, 7, 9), date(2025, 4, 12), False),  # Saturday
    ],
)
def test_year_end_holidays_and_weekends(clock, attempt, room, now_tokyo, day, allowed):
    clock(now_tokyo.replace(tzinfo=TOKYO))
    if allowed:
        assert attempt(room, "10:00", day=day).is_active
    else:
        refused(NotBookable, attempt, room, "10:00", day=day)


@pytest.mark.parametrize(
    ("day", "start", "allowed"),
    [
        (date(2025, 4, 7), "08:45", False),  # earlier today
        (date(2025, 4, 7), "09:00", False),  # starts right now
        (date(2025, 4, 7), "09:15", True),
    ],
)
def test_no_booking_in_the_past(attempt, room, day, start, allowed):
    if allowed:
        assert attempt(room, start, day=day).is_active
    else:
        assert "過去" in refused(OffTheClock, attempt, room, start, day=day)


@pytest.mark.parametrize(
    ("window", "day", "allowed"),
    [
        (60, date(2025, 6, 6), True),  # the last bookable day: today + 60
        (59, date(2025, 6, 6), False),
        (59, date(2025, 6, 5), True),
    ],
)
def test_booking_window(attempt, make_room, window, day, allowed):
    room = make_room(window_days=window)
    if allowed:
        assert attempt(room, "10:00", day=day).is_active
    else:
        message = refused(OffTheClock, attempt, room, "10:00", day=day)
        assert message == f"予約は{window}日先の2025年6月5日(木)までです。"


@pytest.mark.parametrize(
    ("start", "minutes", "error"),
    [
        ("10:05", 60, OffTheClock),
        ("10:15", 60, None),
        ("10:00", 50, OffTheClock),
        ("10:00", 15, WrongLength),
        ("10:00", 30, None),
        ("10:00", 180, None),
        ("10:00", 195, WrongLength),
    ],
)
def test_slot_step_and_length(attempt, room, start, minutes, error):
    if error is None:
        assert attempt(room, start, minutes).is_active
    else:
        refused(error, attempt, room, start, minutes)


def test_length_messages_name_the_limit(attempt, room):
    assert refused(WrongLength, attempt, room, "10:00", 15) == "利用時間は30分以上にしてください。"
    assert (
        refused(WrongLength, attempt, room, "10:00", 195) == "利用時間は180分以内にしてください。"
    )


@pytest.mark.parametrize(("day", "allowed"), [(date(2025, 4, 8), False), (date(2025, 4, 9), True)])
def test_bookable_from_date(attempt, room, facility, day, allowed):
    facility.bookable_from = date(2025, 4, 9)
    db.session.commit()
    if allowed:
        assert attempt(room, "10:00", day=day).is_active
    else:
        assert "利用期間外" in refused(NotBookable, attempt, room, "10:00", day=day)


@pytest.mark.parametrize(
    ("start", "allowed"), [("12:00", True), ("12:30", False), ("14:30", False), ("15:00", True)]
)
def test_closure_names_its_reason(attempt, room, facility, start, allowed):
    db.session.add(
        Closure(
            facility=facility,
            starts_at=at_tokyo(TUESDAY, time(13)),
            ends_at=at_tokyo(TUESDAY, time(15)),
            reason="選挙の投票所",
        )
    )
    db.session.commit()
    if allowed:
        assert attempt(room, start).is_active
    else:
        assert "選挙の投票所" in refused(NotBookable, attempt, room, start)


@pytest.mark.parametrize(
    ("start", "allowed"),
    [("09:30", True), ("09:15", False), ("15:00", True), ("15:15", False)],
)
def test_caution_needs_staffed_hours(attempt, room, start, allowed):
    if allowed:
        assert attempt(room, start, caution=True).caution
    else:
        message = refused(CautionNeedsStaff, attempt, room, start, caution=True)
        assert "9:30〜16:00" in message


def test_without_caution_staffed_hours_do_not_matter(attempt, room):
    assert attempt(room, "16:00", 60).is_active


def test_future_reservation_limit(app, attempt, room):
    app.config["MAX_FUTURE_RESERVATIONS"] = 2
    attempt(room, "09:00")
    attempt(room, "10:00")
    assert "2件まで" in refused(TooManyReservations, attempt, room, "11:00")


@pytest.mark.parametrize("note", ["x" * 201, "改行\x00なし", "\x1b[31m"])
def test_bad_desk_note_is_refused(attempt, room, note):
    refused(InvalidInput, attempt, room, "10:00", desk_note=note)
    assert row_count(Reservation) == 0


# Who may do what.


@pytest.fixture
def people(make_user, facility):
    from booking.rooms.models import Facility, FacilityKind, FeeBasis, Ward

    elsewhere = Facility(
        code="elsewhere",
        ward=Ward.KITA,
        name_ja="別の施設",
        name_en="Elsewhere",
        address="札幌市北区",
        kind=FacilityKind.SUPPORT_CENTER,
        fee_basis=FeeBasis.FULL_EXEMPTION,
        bookable_from=date(2020, 1, 1),
    )
    db.session.add(elsewhere)
    db.session.commit()
    return {
        "other_officer": make_user(Role.OFFICER),
        "manager": make_user(Role.MANAGER, facilities=[facility]),
        "manager_elsewhere": make_user(Role.MANAGER, facilities=[elsewhere]),
        "admin": make_user(Role.ADMIN),
    }


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [("other_officer", False), ("manager", True), ("manager_elsewhere", False), ("admin", True)],
)
def test_who_may_book_for_an_officer(attempt, room, officer, people, actor, allowed):
    by = people[actor]
    if allowed:
        reservation = attempt(room, "10:00", by=by)
        assert (reservation.officer_id, reservation.created_by_id) == (officer.id, by.id)
    else:
        refused(NotAllowed, attempt, room, "10:00", by=by)


def test_only_officers_hold_reservations(attempt, room, people):
    manager = people["manager"]
    refused(NotAllowed, attempt, room, "10:00", who=manager, by=manager)


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [("other_officer", False), ("manager", True), ("manager_elsewhere", False), ("admin", True)],
)
def test_who_may_change_and_cancel(attempt, room, people, actor, allowed):
    reservation = attempt(room, "10:00")
    by = people[actor]
    if allowed:
        services.change(reservation, slot(room, TUESDAY, "11:00"), by=by, safety=SafetyDetails())
        services.cancel(reservation, by=by)
        db.session.commit()
        assert reservation.status is Status.CANCELLED
    else:
        refused(NotAllowed, services.cancel, reservation, by=by)
        assert db.session.get(Reservation, reservation.id).is_active


# Changing.


def test_change_rechecks_the_rules_and_bumps_the_version(attempt, room, officer, make_user):
    reservation = attempt(room, "10:00")
    attempt(room, "13:00", who=make_user(Role.OFFICER))
    refused(
        RoomTaken,
        services.change,
        reservation,
        slot(room, TUESDAY, "12:30"),
        by=officer,
        safety=SafetyDetails(),
    )
    reservation = db.session.get(Reservation, reservation.id)
    assert (reservation.version, reservation.starts_at) == (1, at_tokyo(TUESDAY, time(10)))
    services.change(reservation, slot(room, TUESDAY, "10:30"), by=officer, safety=SafetyDetails())
    db.session.commit()
    assert reservation.version == 2
    assert reservation.starts_at == at_tokyo(TUESDAY, time(10, 30))


def test_change_may_overlap_its_own_old_time(attempt, room, officer):
    reservation = attempt(room, "10:00", 60)
    services.change(
        reservation, slot(room, TUESDAY, "10:30", 90), by=officer, safety=SafetyDetails()
    )
    db.session.commit()
    assert reservation.ends_at == at_tokyo(TUESDAY, time(12))


def test_every_change_is_audited(attempt, room, officer):
    reservation = attempt(room, "10:00")
    services.change(reservation, slot(room, TUESDAY, "11:00"), by=officer, safety=SafetyDetails())
    services.cancel(reservation, by=officer)
    db.session.commit()
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["reservation.create", "reservation.change", "reservation.cancel"]


# The database is the backstop.


def test_database_refuses_overlap_even_without_the_service_check(
    attempt, room, make_user, monkeypatch
):
    attempt(room, "10:00")
    monkeypatch.setattr(rules, "ensure_room_free", lambda *args, **kwargs: None)
    message = refused(RoomTaken, attempt, room, "10:30", who=make_user(Role.OFFICER))
    assert "既に予約があります" in message
    assert row_count(Reservation) == 1


def test_database_refuses_officer_overlap_without_the_service_check(
    attempt, room, make_room, monkeypatch
):
    attempt(room, "10:00")
    monkeypatch.setattr(rules, "ensure_officer_free", lambda *args, **kwargs: None)
    refused(OfficerBusy, attempt, make_room(), "10:30")


def test_database_refuses_a_form_booked_twice_without_the_lookup(
    attempt, room, officer, monkeypatch
):
    """Were the idempotency lookup to miss the first booking, the unique key still holds."""

    def book(start):
        key = "form0123456789"
        slot_ = slot(room, TUESDAY, start)
        services.book(slot_, officer, by=officer, safety=SafetyDetails(), idempotency_key=key)
        db.session.commit()

    book("10:00")
    look_around = rules.look_around
    monkeypatch.setattr(
        rules, "look_around", lambda *a, **k: look_around(*a, **k)._replace(earlier_id=None)
    )
    message = refused(Conflict, book, "13:00")
    assert message == "この予約は既に受け付けています。予約一覧をご確認ください。"
    assert row_count(Reservation) == 1


def test_raw_overlapping_insert_is_refused(attempt, room, make_user):
    first = attempt(room, "10:00")
    other = make_user(Role.OFFICER)
    clash = Reservation(
        room=room,
        officer=other,
        created_by=other,
        starts_at=first.starts_at + timedelta(minutes=30),
        ends_at=first.ends_at + timedelta(minutes=30),
        blocks_until=first.ends_at + timedelta(minutes=30),
    )
    db.session.add(clash)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_raw_update_into_an_overlap_is_refused(attempt, room, make_user):
    attempt(room, "10:00")
    later = attempt(room, "12:00", who=make_user(Role.OFFICER))
    later.starts_at -= timedelta(hours=1, minutes=30)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_end_before_start_is_refused_by_the_database(room, officer):
    start = at_tokyo(TUESDAY, time(10))
    db.session.add(
        Reservation(
            room=room,
            officer=officer,
            created_by=officer,
            starts_at=start,
            ends_at=start - timedelta(hours=1),
            blocks_until=start,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_no_overlap_rules_exist_after_upgrade(app, backend):
    with db.engine.connect() as connection:
        if backend == "postgresql":
            names = connection.exec_driver_sql(
                "SELECT conname FROM pg_constraint WHERE contype = 'x'"
            ).scalars()
            expected = {"reservation_room_no_overlap", "reservation_officer_no_overlap"}
        else:
            names = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            ).scalars()
            expected = {"reservation_no_overlap_insert", "reservation_no_overlap_update"}
        assert expected <= set(names)
