"""Repeating reservations: every N weeks, or the nth weekday of each month, up to 6 months."""

from dataclasses import dataclass
from datetime import date, time, timedelta

from flask import current_app
from flask_babel import gettext as _

from booking import audit
from booking.auth.models import User
from booking.errors import BookingError, Conflict, InvalidInput
from booking.extensions import db
from booking.notify.notices import Notice, tell
from booking.reservations import rules
from booking.reservations.models import Repeat, Reservation, Series
from booking.reservations.services import (
    SafetyDetails,
    Slot,
    book,
    cancel,
    check_slot,
    submitted_before,
)
from booking.rooms.models import Room
from booking.timeutil import at_tokyo, now_utc


@dataclass(frozen=True)
class Plan:
    """What the officer asked for: a first slot and how it repeats."""

    room: Room
    first_day: date
    starts: time
    minutes: int
    repeat: Repeat
    last_day: date
    interval_weeks: int = 1

    def slot(self, day: date) -> Slot:
        starts_at = at_tokyo(day, self.starts)
        return Slot(self.room, starts_at, starts_at + timedelta(minutes=self.minutes))


@dataclass(frozen=True)
class Occurrence:
    slot: Slot
    refusal: str | None  # why this date cannot be booked, or None when it is free


def weekly_days(first_day: date, last_day: date, interval_weeks: int) -> list[date]:
    step = timedelta(weeks=interval_weeks)
    count = (last_day - first_day) // step + 1
    return [first_day + n * step for n in range(max(count, 0))]


def nth_weekday_days(first_day: date, last_day: date) -> list[date]:
    """The same nth weekday as ``first_day`` (第2木曜日...) in each month; skips months without."""
    nth, weekday = (first_day.day - 1) // 7, first_day.weekday()
    days, year, month = [], first_day.year, first_day.month
    while date(year, month, 1) <= last_day:
        first = date(year, month, 1)
        day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * nth)
        if day.month == month and first_day <= day <= last_day:
            days.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


def occurrence_days(plan: Plan) -> list[date]:
    if plan.repeat is Repeat.WEEKLY:
        return weekly_days(plan.first_day, plan.last_day, plan.interval_weeks)
    return nth_weekday_days(plan.first_day, plan.last_day)


def ensure_plan_acceptable(plan: Plan) -> None:
    limit = current_app.config["SERIES_MAX_DAYS"]
    if plan.last_day < plan.first_day:
        raise InvalidInput(_("繰り返しの最終日は、最初の日より後にしてください。"))
    if plan.last_day > plan.first_day + timedelta(days=limit):
        raise InvalidInput(_("繰り返しは最初の日から%(n)d日先までです。", n=limit))


def preview(plan: Plan, officer: User, *, by: User, safety: SafetyDetails) -> list[Occurrence]:
    """Every date of the plan, each free or refused with the rule it breaks; writes nothing."""
    rules.ensure_may_book(by, officer, plan.room)
    ensure_plan_acceptable(plan)
    window, limit = (
        current_app.config["SERIES_MAX_DAYS"],
        current_app.config["MAX_FUTURE_RESERVATIONS"],
    )
    room_left = limit - rules.upcoming_count(officer, now_utc())
    occurrences = []
    for day in occurrence_days(plan):
        slot = plan.slot(day)
        try:
            around = rules.look_around(slot, officer, now_utc())
            check_slot(slot, officer, safety, around, by=by, window=window)
        except BookingError as error:
            occurrences.append(Occurrence(slot, error.message))
            continue
        room_left -= 1
        refusal = rules.too_many_message(limit) if room_left < 0 else None
        occurrences.append(Occurrence(slot, refusal))
    return occurrences


def book_series(
    plan: Plan, officer: User, *, by: User, safety: SafetyDetails, idempotency_key: str
) -> tuple[Series, list[Reservation]]:
    """Book every free date of the plan in one step; refused dates are left out."""
    # Lock first: a second submission of the same form waits here, then finds the first.
    # Before the series' row exists, too: its foreign keys would share-lock room and officer.
    rules.lock_for_booking([plan.room], officer)
    if earlier := submitted_before(by, idempotency_key):
        if earlier.series is None:  # first sent without repetition, then again (the back button)
            raise Conflict(_("この予約は既に受け付けています。予約一覧をご確認ください。"))
        return earlier.series, earlier.series.reservations
    free = [o for o in preview(plan, officer, by=by, safety=safety) if o.refusal is None]
    if not free:
        raise InvalidInput(_("予約できる日がありません。日時か部屋を変えてください。"))
    series = Series(
        officer_id=officer.id,
        room_id=plan.room.id,
        repeat=plan.repeat,
        interval_weeks=plan.interval_weeks,
        first_day=plan.first_day,
        last_day=plan.last_day,
        starts=plan.starts,
        minutes=plan.minutes,
    )
    db.session.add(series)
    db.session.flush()
    window = current_app.config["SERIES_MAX_DAYS"]
    booked = []
    for number, occurrence in enumerate(free):
        key = idempotency_key if number == 0 else None
        booked.append(
            book(
                occurrence.slot,
                officer,
                by=by,
                safety=safety,
                idempotency_key=key,
                series=series,
                window=window,
            )
        )
    audit.record(by, "series.create", series, occurrences=len(booked))
    first = booked[0]
    tell(Notice.SERIES_CONFIRMATION, officer, first.id, first.version, by=by, series=series.id)
    return series, booked


def cancel_from(series: Series, first_day: date, *, by: User) -> int:
    """Cancel the series' active reservations on and after ``first_day``; returns how many."""
    since = at_tokyo(first_day, time())
    chosen = [r for r in series.reservations if r.is_active and r.starts_at >= since]
    rules.lock_for_reservations(chosen)
    for reservation in chosen:
        cancel(reservation, by=by, notice=False)
    if chosen:
        first = chosen[0]
        ids = [reservation.id for reservation in chosen]
        tell(Notice.SERIES_CANCELLATION, first.officer, first.id, first.version, by=by, ids=ids)
    return len(chosen)
