"""The booking rules, one function each; every one raises the error that names its limit."""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, NamedTuple

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from booking.auth.models import Role, User
from booking.errors import (
    CautionNeedsStaff,
    Gone,
    NotAllowed,
    NotBookable,
    OfficerBusy,
    OffTheClock,
    RoomTaken,
    TooManyReservations,
    WrongLength,
)
from booking.extensions import db
from booking.reservations.models import LONGEST_SPAN_HOURS, Reservation, Status
from booking.rooms.models import Closure, OpeningHours, Room
from booking.rooms.services import closed_day_reason
from booking.templating import clock, long_date
from booking.timeutil import at_tokyo, tokyo

if TYPE_CHECKING:
    from booking.reservations.services import Slot


def ensure_may_book(by: User, officer: User, room: Room) -> None:
    """Officers book for themselves; staff for any officer at the facilities they serve."""
    if officer.role is not Role.OFFICER or not officer.active:
        raise NotAllowed(_("予約できるのは保護司の方だけです。"))
    if by.id != officer.id and not by.serves(room.facility):
        raise NotAllowed(_("この予約を操作する権限がありません。"))


def may_see(user: User, reservation: Reservation) -> bool:
    """The officer, that facility's staff and admins; nobody else learns where or when it is."""
    return user.id == reservation.officer_id or user.serves(reservation.room.facility)


def ensure_may_change(by: User, reservation: Reservation) -> None:
    """The officer, that facility's staff and admins may change or cancel a reservation."""
    if not may_see(by, reservation):
        raise NotAllowed(_("この予約を操作する権限がありません。"))


def ensure_not_started(reservation: Reservation, now: datetime) -> None:
    """History is not rewritten: nobody cancels or moves an interview once it has begun."""
    if reservation.has_started(now):
        raise NotAllowed(_("始まった予約は、取り消しも変更もできません。"))


def lock_for_booking(rooms: list[Room], officer: User) -> None:
    """Queue competing bookings: lock the rooms (in id order), then the officer.

    On PostgreSQL two requests that both passed the free-slot check would otherwise wait on
    each other's uncommitted row inside the exclusion constraint, and one would die of a
    deadlock. One lock order for everybody means no cycle; the second request waits, then
    sees the first one's reservation and gets the ordinary conflict answer. SQLite ignores
    FOR UPDATE: its write requests are already queued by BEGIN IMMEDIATE.
    """
    lock_rows(db.session, {room.id for room in rooms}, {officer.id})


def lock_for_reservations(
    reservations: Iterable[Reservation], room_ids: Iterable[int] = ()
) -> None:
    """Before changing reservations: their rows, their rooms (and ``room_ids``), their officers.

    Every change writes its rooms' and officer's rows too (their calendar versions, see
    booking.feeds.changes), so it must hold them in the bookings' order. The reservations
    are locked first and read again: one moved meanwhile by another request is seen where it
    is now, and the rooms locked are the ones the change will write.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        return
    ids = sorted(reservation.id for reservation in reservations)
    locked = (
        select(Reservation)
        .where(Reservation.id.in_(ids))
        .order_by(Reservation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    fresh = list(db.session.scalars(locked)) if ids else []
    rooms = {r.room_id for r in fresh} | set(room_ids)
    lock_rows(db.session, rooms, {r.officer_id for r in fresh})


def lock_rows(session: Session, room_ids: Iterable[int], officer_ids: Iterable[int]) -> None:
    """PostgreSQL: lock room rows, then user rows, each in id order (the one lock order)."""
    if session.get_bind().dialect.name == "sqlite":
        return
    for model, ids in ((Room, room_ids), (User, officer_ids)):
        ids = sorted(ids)
        if ids:
            session.execute(
                select(model.id).where(model.id.in_(ids)).order_by(model.id).with_for_update()
            )


def ensure_not_retired(room: Room) -> None:
    """A retired room's booking page is gone for good (410), not a form that always fails."""
    if not room.active:
        raise Gone(
            _(
                "%(room)sは予約の受付を終えました。これまでの予約の記録は残っています。ほかの部屋を探してください。",
                room=room.name_ja,
            )
        )


def ensure_in_future(starts_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise OffTheClock(_("過去の日時は予約できません。今より後の時刻を選んでください。"))


def ensure_within_window(room: Room, starts_at: datetime, now: datetime, days=None) -> None:
    """No further ahead than the room's booking window (or a series' own limit)."""
    days = days or room.window_days
    last_day = tokyo(now).date() + timedelta(days=days)
    if tokyo(starts_at).date() > last_day:
        raise OffTheClock(
            _("予約は%(days)d日先の%(date)sまでです。", days=days, date=long_date(last_day))
        )


def ensure_facility_open(room: Room, day: date, opens_that_weekday: bool) -> None:
    """Lending dates, the year end, national holidays and closed weekdays."""
    if not room.active:
        raise NotBookable(_("この部屋は現在、予約を受け付けていません。"))
    reason = closed_day_reason(room.facility, day, opens_that_weekday)
    if reason:
        raise NotBookable(
            _("%(date)sは予約できません（%(reason)s）。", date=long_date(day), reason=reason)
        )


def ensure_within_opening_hours(
    starts_at: datetime, ends_at: datetime, opens: time | None, closes: time | None
) -> None:
    """Inside the facility's hours of that day (``opens`` and ``closes``, None when closed)."""
    start, end = tokyo(starts_at), tokyo(ends_at)
    if start.date() != end.date() and end.time() != datetime.min.time():
        raise OffTheClock(_("終了は開始と同じ日にしてください。"))
    if opens is None or closes is None:  # ensure_facility_open has already refused such a day
        raise NotBookable(_("この曜日は休館です"))
    if start.time() < opens:
        raise NotBookable(_("この部屋は%(time)sからです。", time=clock(opens)))
    if end > at_tokyo(start.date(), closes):
        raise NotBookable(_("この部屋は%(time)sまでです。", time=clock(closes)))


def ensure_on_slot_step(room: Room, starts_at: datetime, ends_at: datetime) -> None:
    step = room.slot_minutes
    start = tokyo(starts_at)
    minutes = start.hour * 60 + start.minute
    length = (ends_at - starts_at).total_seconds() / 60
    if start.second or start.microsecond or minutes % step or length % step:
        raise OffTheClock(_("開始と終了の時刻は%(step)d分単位で選んでください。", step=step))


def ensure_length(room: Room, starts_at: datetime, ends_at: datetime) -> None:
    minutes = (ends_at - starts_at).total_seconds() / 60
    if minutes < room.min_minutes:
        raise WrongLength(_("利用時間は%(n)d分以上にしてください。", n=room.min_minutes))
    if minutes > room.max_minutes:
        raise WrongLength(_("利用時間は%(n)d分以内にしてください。", n=room.max_minutes))


def ensure_not_in_closure(closure_id: int | None) -> None:
    if closure_id is None:
        return
    closure = db.session.get(Closure, closure_id)
    raise NotBookable(
        _(
            "%(start)s〜%(end)sは休館です（%(reason)s）。",
            start=f"{long_date(closure.starts_at)} {clock(closure.starts_at)}",
            end=f"{long_date(closure.ends_at)} {clock(closure.ends_at)}",
            reason=closure.reason,
        )
    )


def ensure_staffed_for_caution(room: Room, starts_at: datetime, ends_at: datetime) -> None:
    """A caution-flagged interview happens only while someone is at the desk."""
    start, end = tokyo(starts_at), tokyo(ends_at)
    staffed = room.staffed_on(start.weekday())
    if staffed is None or not staffed.covers(start.time(), end.time()):
        hours = f"{clock(staffed.opens)}〜{clock(staffed.closes)}" if staffed else _("なし")
        raise CautionNeedsStaff(
            _(
                "慎重対応の面談は、職員がいる時間（この日は%(hours)s）に予約してください。",
                hours=hours,
            )
        )


class Surroundings(NamedTuple):
    """What the database holds around a slot: the facts the rules judge."""

    opens: time | None  # the facility's hours on the slot's weekday; None when closed then
    closes: time | None
    closure_id: int | None  # a closure overlapping the slot
    room_taken_by: int | None  # a reservation holding the room then (buffers counted)
    officer_busy_with: int | None  # the officer's own reservation elsewhere then
    upcoming: int  # the officer's future reservations
    earlier_id: int | None  # the reservation this very form already made


def overlapping(column, until: str, end_column):
    """The first active reservation with ``column`` = :column overlapping [:starts_at, :until),
    other than :exclude_id. No reservation is longer than a day: the index range stays short.
    """
    return (
        select(Reservation.id)
        .where(
            column == bindparam(column.key),
            Reservation.status == Status.ACTIVE,
            Reservation.id.is_distinct_from(bindparam("exclude_id")),
            Reservation.starts_at > bindparam("lookback"),
            Reservation.starts_at < bindparam(until),
            end_column > bindparam("starts_at"),
        )
        .limit(1)
    )


UPCOMING = select(func.count()).where(
    Reservation.officer_id == bindparam("officer_id"),
    Reservation.status == Status.ACTIVE,
    Reservation.starts_at > bindparam("now"),
)


def day_hours(column):
    return (
        select(column)
        .where(
            OpeningHours.facility_id == bindparam("facility_id"),
            OpeningHours.weekday == bindparam("weekday"),
        )
        .scalar_subquery()
    )


# Built once: a constant statement costs no construction and no cache key per request.
SURROUNDINGS = select(
    day_hours(OpeningHours.opens),
    day_hours(OpeningHours.closes),
    select(Closure.id)
    .where(
        Closure.facility_id == bindparam("facility_id"),
        Closure.room_id.is_(None) | (Closure.room_id == bindparam("room_id")),
        Closure.starts_at < bindparam("ends_at"),
        Closure.ends_at > bindparam("starts_at"),
    )
    .limit(1)
    .scalar_subquery(),
    # Our buffer must not reach into the next booking, nor the previous one's into ours.
    overlapping(Reservation.room_id, "blocks_until", Reservation.blocks_until).scalar_subquery(),
    overlapping(Reservation.officer_id, "ends_at", Reservation.ends_at).scalar_subquery(),
    UPCOMING.scalar_subquery(),
    select(Reservation.id)
    .where(
        Reservation.created_by_id == bindparam("by_id"),
        Reservation.idempotency_key == bindparam("key"),  # NULL matches nothing
    )
    .scalar_subquery(),
)


def look_around(slot: "Slot", officer: User, now: datetime, *, exclude=None, by=None, key=None):
    """Every fact the booking rules read from the database, in one statement."""
    found = db.session.connection().execute(
        SURROUNDINGS,
        {
            "facility_id": slot.room.facility_id,
            "weekday": tokyo(slot.starts_at).weekday(),
            "room_id": slot.room.id,
            "officer_id": officer.id,
            "starts_at": slot.starts_at,
            "ends_at": slot.ends_at,
            "blocks_until": slot.blocks_until,
            "lookback": slot.starts_at - timedelta(hours=LONGEST_SPAN_HOURS),
            "exclude_id": exclude.id if exclude is not None else None,
            "now": now,
            "by_id": by.id if by is not None else None,
            "key": key,
        },
    )
    return Surroundings(*found.one())


def upcoming_count(officer: User, now: datetime) -> int:
    return db.session.connection().scalar(UPCOMING, {"officer_id": officer.id, "now": now})


def ensure_room_free(room: Room, taken_by: int | None, officer_id: int | None = None) -> None:
    """Nobody else holds the room then, counting the buffer after each reservation."""
    if taken_by is None:
        return
    holder = db.session.get(Reservation, taken_by)
    if holder is None or holder.officer_id != officer_id:
        raise RoomTaken(room_taken_message(room, timedelta(minutes=room.buffer_minutes)))
    error = RoomTaken(
        _(
            "この時間には、あなた自身のこの部屋の予約があります（%(start)s〜%(end)s）。",
            start=clock(holder.starts_at),
            end=clock(holder.ends_at),
        )
    )
    error.own = holder.public_id
    raise error


def room_taken_message(room: Room, buffer: timedelta) -> str:
    if buffer:
        return _(
            "この時間は既に予約があります。前後の予約との間を%(n)d分あけてください。",
            n=room.buffer_minutes,
        )
    return _("この時間は既に予約があります。別の時間か部屋を選んでください。")


def ensure_officer_free(busy_with: int | None, viewer: User) -> None:
    """An officer cannot be in two rooms at once; only who may see the other says where."""
    if busy_with is None:
        return
    other = db.session.get(Reservation, busy_with)
    if not may_see(viewer, other):
        raise OfficerBusy(_("この時間には、この保護司の別の予約があります。"))
    if viewer.id != other.officer_id:
        raise OfficerBusy(
            _(
                "この時間には別の予約があります（%(place)s %(start)s〜%(end)s）。",
                place=other.room.facility.name_ja,
                start=clock(other.starts_at),
                end=clock(other.ends_at),
            )
        )
    error = OfficerBusy(
        _(
            "この時間には、あなたの別の予約があります（%(place)s %(start)s〜%(end)s）。",
            place=other.room.facility.name_ja,
            start=clock(other.starts_at),
            end=clock(other.ends_at),
        )
    )
    error.own = other.public_id  # the officer's own: the page links to it
    raise error


def ensure_under_limit(upcoming: int, limit: int, adding: int = 1) -> None:
    """An officer holds at most ``limit`` future reservations."""
    if upcoming + adding > limit:
        raise TooManyReservations(too_many_message(limit))


def too_many_message(limit: int) -> str:
    return _("今後の予約は%(n)d件までです。先の予約を取り消してからお申し込みください。", n=limit)
