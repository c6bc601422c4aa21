"""Free intervals of rooms over days, with closed days and their reasons."""

from datetime import date, time, timedelta

import pytest
from sqlalchemy import event

from booking.auth.models import Role
from booking.extensions import db
from booking.reservations import services
from booking.reservations.availability import availability, load_rooms, subtract
from booking.reservations.services import SafetyDetails, Slot
from booking.rooms.models import Closure
from booking.timeutil import at_tokyo

TUESDAY = date(2025, 4, 8)


def t(clock: str, day: date = TUESDAY):
    return at_tokyo(day, time.fromisoformat(clock))


def book(room, officer, start, end, day=TUESDAY):
    reservation = services.book(
        Slot(room, t(start, day), t(end, day)), officer, by=officer, safety=SafetyDetails()
    )
    db.session.commit()
    return reservation


@pytest.mark.parametrize(
    ("holes", "free"),
    [
        ([], [(0, 10)]),
        ([(2, 4)], [(0, 2), (4, 10)]),
        ([(0, 4), (3, 6)], [(6, 10)]),
        ([(-5, 2), (8, 15)], [(2, 8)]),
        ([(0, 10)], []),
        ([(4, 5), (1, 2)], [(0, 1), (2, 4), (5, 10)]),
    ],
)
def test_subtract(holes, free):
    assert subtract((0, 10), holes) == free


def test_free_time_around_reservations_counts_the_buffer(now, make_room, officer):
    room = make_room(buffer_minutes=15)
    book(room, officer, "10:00", "11:00")
    plan = availability(load_rooms([room.id]), TUESDAY, TUESDAY)[room.id][0]
    assert plan.closed is None
    assert plan.free == [(t("08:45"), t("09:45")), (t("11:15"), t("17:15"))]
    assert plan.taken == [(t("10:00"), t("11:00"))]


def test_closed_days_carry_their_reason(now, room, facility):
    db.session.add(
        Closure(
            facility=facility,
            starts_at=t("00:00", date(2025, 4, 10)),
            ends_at=t("00:00", date(2025, 4, 11)),
            reason="停電",
        )
    )
    db.session.add(
        Closure(facility=facility, starts_at=t("13:00"), ends_at=t("14:00"), reason="点検")
    )
    db.session.commit()
    week = availability(load_rooms([room.id]), date(2025, 4, 7), date(2025, 4, 13))[room.id]
    closed = {plan.day: plan.closed for plan in week}
    assert closed[date(2025, 4, 10)] == "臨時休館：停電"
    assert closed[date(2025, 4, 12)] == "この曜日は休館です"
    tuesday = week[1]
    assert tuesday.free == [(t("08:45"), t("13:00")), (t("14:00"), t("17:15"))]
    assert tuesday.closures == [(t("13:00"), t("14:00"), "点検")]


def test_holiday_and_year_end_reasons(clock, room):
    from datetime import UTC, datetime

    clock(datetime(2025, 12, 1, tzinfo=UTC))
    plans = availability(load_rooms([room.id]), date(2025, 12, 29), date(2025, 12, 29))
    assert "年末年始" in plans[room.id][0].closed
    plans = availability(load_rooms([room.id]), date(2025, 4, 29), date(2025, 4, 29))
    assert "昭和の日" in plans[room.id][0].closed


def test_cancelled_reservations_free_their_time(now, room, officer):
    reservation = book(room, officer, "10:00", "11:00")
    services.cancel(reservation, by=officer)
    db.session.commit()
    plan = availability(load_rooms([room.id]), TUESDAY, TUESDAY)[room.id][0]
    assert plan.free == [(t("08:45"), t("17:15"))]


class Statements(list):
    def listener(self, *args):
        self.append(args[2])


def count_queries() -> Statements:
    statements = Statements()
    event.listen(db.engine, "before_cursor_execute", statements.listener)
    return statements


def selects_for(ids: list[int], days: int) -> int:
    db.session.expunge_all()
    statements = count_queries()
    result = availability(load_rooms(ids), date(2025, 4, 7), date(2025, 4, 6) + timedelta(days))
    assert all(len(plans) == days for plans in result.values())
    event.remove(db.engine, "before_cursor_execute", statements.listener)
    return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


def test_query_count_is_constant(now, make_room, make_user):
    made = [make_room() for _ in range(6)]
    for index, room in enumerate(made):
        book(room, make_user(Role.OFFICER), "10:00", "11:00", TUESDAY + timedelta(days=index % 3))
    ids = [room.id for room in made]
    assert selects_for(ids[:1], 1) == selects_for(ids, 14) == 6
