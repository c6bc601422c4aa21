"""Repeating reservations: weekly or the nth weekday, previewed, booked and cancelled."""

from datetime import date, time

import pytest

from booking.errors import InvalidInput
from booking.extensions import db
from booking.reservations import series
from booking.reservations.models import Repeat, Reservation, Status
from booking.reservations.series import Plan, nth_weekday_days, weekly_days
from booking.reservations.services import SafetyDetails
from tests.conftest import row_count


def plan(room, repeat=Repeat.WEEKLY, first=date(2025, 4, 8), last=date(2025, 5, 13), weeks=1):
    return Plan(room, first, time(10), 60, repeat, last, weeks)


@pytest.mark.parametrize(
    ("weeks", "expected"),
    [
        (1, [date(2025, 4, 8), date(2025, 4, 15), date(2025, 4, 22), date(2025, 4, 29)]),
        (2, [date(2025, 4, 8), date(2025, 4, 22)]),
    ],
)
def test_weekly_days(weeks, expected):
    assert weekly_days(date(2025, 4, 8), date(2025, 4, 29), weeks) == expected


def test_nth_weekday_skips_months_without_it():
    # 5th Tuesday: April 2025 has one (29th), May does not, June does not, July has (29th).
    assert nth_weekday_days(date(2025, 4, 29), date(2025, 7, 31)) == [
        date(2025, 4, 29),
        date(2025, 7, 29),
    ]
    assert nth_weekday_days(date(2025, 4, 10), date(2025, 6, 30)) == [
        date(2025, 4, 10),
        date(2025, 5, 8),
        date(2025, 6, 12),
    ]


def test_preview_marks_refused_dates_with_their_reason(now, room, officer):
    occurrences = series.preview(plan(room), officer, by=officer, safety=SafetyDetails())
    refusals = {o.slot.starts_at.date(): o.refusal for o in occurrences}
    assert len(occurrences) == 6
    assert "昭和の日" in refusals[date(2025, 4, 29)]
    assert "振替休日" in refusals[date(2025, 5, 6)]
    assert sum(1 for r in refusals.values() if r is None) == 4
    assert row_count(Reservation) == 0


def test_book_series_books_the_free_dates_in_one_step(now, room, officer):
    made, booked = series.book_series(
        plan(room), officer, by=officer, safety=SafetyDetails(), idempotency_key="abc123"
    )
    db.session.commit()
    assert len(booked) == 4
    assert all(r.series_id == made.id for r in booked)
    again, _ = series.book_series(
        plan(room), officer, by=officer, safety=SafetyDetails(), idempotency_key="abc123"
    )
    assert again.id == made.id
    assert row_count(Reservation) == 4


def test_series_counts_the_future_limit(app, now, room, officer):
    app.config["MAX_FUTURE_RESERVATIONS"] = 3
    occurrences = series.preview(plan(room), officer, by=officer, safety=SafetyDetails())
    refused = [o.refusal for o in occurrences if o.refusal and "3件まで" in o.refusal]
    assert len(refused) == 1


def test_series_may_reach_six_months_but_not_beyond(now, room, officer):
    far = plan(room, last=date(2025, 10, 7))
    assert series.preview(far, officer, by=officer, safety=SafetyDetails())
    with pytest.raises(InvalidInput):
        series.preview(
            plan(room, last=date(2025, 10, 9)), officer, by=officer, safety=SafetyDetails()
        )


def test_cancel_from_a_date_onward(now, room, officer):
    made, _booked = series.book_series(
        plan(room), officer, by=officer, safety=SafetyDetails(), idempotency_key="k1"
    )
    db.session.commit()
    assert series.cancel_from(made, date(2025, 4, 22), by=officer) == 2
    db.session.commit()
    states = [r.status for r in sorted(made.reservations, key=lambda r: r.starts_at)]
    assert states == [Status.ACTIVE, Status.ACTIVE, Status.CANCELLED, Status.CANCELLED]
