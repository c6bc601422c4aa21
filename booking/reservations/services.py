"""Use cases: book, change, cancel, check in and out. They never commit; the view does."""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from booking import audit
from booking.auth.models import User
from booking.errors import Conflict, InvalidInput, OfficerBusy, RoomTaken
from booking.extensions import db
from booking.notify.notices import Notice, tell
from booking.reservations import rules
from booking.reservations.models import ProbationOfficer, Reservation, Series, Status
from booking.rooms.models import Room
from booking.timeutil import now_utc, tokyo

DESK_NOTE_MAX = 200


@dataclass(frozen=True)
class SafetyDetails:
    """Who else attends and what the desk should know; nothing about the interviewee."""

    second_officer: bool = False
    probation_officer: ProbationOfficer = ProbationOfficer.NONE
    notify_desk: bool = False
    caution: bool = False
    desk_note: str = ""

    def as_columns(self) -> dict:
        return dict(vars(self))


@dataclass(frozen=True)
class Slot:
    """Where and when: a room over [starts_at, ends_at), in UTC."""

    room: Room
    starts_at: datetime
    ends_at: datetime
    blocks_until: datetime = field(init=False)

    def __post_init__(self):
        buffer = timedelta(minutes=self.room.buffer_minutes)
        object.__setattr__(self, "blocks_until", self.ends_at + buffer)


def check_slot(
    slot: Slot,
    officer: User,
    safety: SafetyDetails,
    around: rules.Surroundings,
    *,
    by: User,
    window=None,
) -> None:
    """Every rule for one reservation, as ``by`` may be told it; raise the first broken one."""
    now = now_utc()
    room, starts_at, ends_at = slot.room, slot.starts_at, slot.ends_at
    if not starts_at < ends_at:
        raise InvalidInput(_("終了時刻は開始時刻より後にしてください。"))
    rules.ensure_in_future(starts_at, now)
    rules.ensure_within_window(room, starts_at, now, days=window)
    rules.ensure_facility_open(room, tokyo(starts_at).date(), around.opens is not None)
    rules.ensure_within_opening_hours(starts_at, ends_at, around.opens, around.closes)
    rules.ensure_on_slot_step(room, starts_at, ends_at)
    rules.ensure_length(room, starts_at, ends_at)
    rules.ensure_not_in_closure(around.closure_id)
    if safety.caution:
        rules.ensure_staffed_for_caution(room, starts_at, ends_at)
    rules.ensure_room_free(room, around.room_taken_by, officer.id)
    rules.ensure_officer_free(around.officer_busy_with, by)


def book(
    slot: Slot,
    officer: User,
    *,
    by: User,
    safety: SafetyDetails,
    idempotency_key: str | None = None,
    series: Series | None = None,
    window: int | None = None,
) -> Reservation:
    """Reserve ``slot`` for ``officer``; a repeated idempotency key returns the first booking."""
    rules.ensure_may_book(by, officer, slot.room)
    rules.lock_for_booking([slot.room], officer)
    around = rules.look_around(slot, officer, now_utc(), by=by, key=idempotency_key)
    if around.earlier_id:
        return db.session.get(Reservation, around.earlier_id)
    check_safety(safety)
    check_slot(slot, officer, safety, around, by=by, window=window)
    rules.ensure_under_limit(around.upcoming, current_app.config["MAX_FUTURE_RESERVATIONS"])
    columns = {
        "room_id": slot.room.id,
        "officer_id": officer.id,
        "created_by_id": by.id,
        "series_id": series.id if series else None,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "blocks_until": slot.blocks_until,
        "idempotency_key": idempotency_key,
        **safety.as_columns(),
    }
    with refusals(slot.room):
        reservation = db.session.scalars(CREATE, columns).one()
    audit.record(
        by,
        "reservation.create",
        reservation,
        facility_id=slot.room.facility_id,
        room_id=slot.room.id,
    )
    if series is None:  # a repetition is confirmed once, as a whole
        tell(Notice.CONFIRMATION, officer, reservation.id, reservation.version, by=by)
    return reservation


# INSERT ... RETURNING, loaded as the entity: one round trip and no unit of work, which would
# take longer than the rest of a booking's database work (make bench).
CREATE = select(Reservation).from_statement(
    insert(Reservation.__table__).returning(*Reservation.__table__.columns)
)


def change(reservation: Reservation, slot: Slot, *, by: User, safety: SafetyDetails) -> None:
    """Move a reservation to another time or room, or change its safety details."""
    rules.lock_for_reservations([reservation], room_ids=[slot.room.id])
    rules.ensure_may_change(by, reservation)
    if not reservation.is_active:
        raise InvalidInput(_("取り消した予約は変更できません。"))
    rules.ensure_not_started(reservation, now_utc())
    if slot.room.id != reservation.room_id and by.id != reservation.officer_id:
        rules.ensure_may_book(by, reservation.officer, slot.room)
    check_safety(safety)
    officer = reservation.officer
    around = rules.look_around(slot, officer, now_utc(), exclude=reservation)
    check_slot(slot, officer, safety, around, by=by)
    before = (reservation.room_id, reservation.starts_at, reservation.ends_at)
    move(reservation, slot, safety)
    with refusals(slot.room):
        db.session.flush()
    audit.record(
        by,
        "reservation.change",
        reservation,
        facility_id=slot.room.facility_id,
        before=[before[0], before[1].isoformat(), before[2].isoformat()],
        after=[slot.room.id, slot.starts_at.isoformat(), slot.ends_at.isoformat()],
    )
    tell(Notice.CHANGE, officer, reservation.id, reservation.version, by=by)


def move(reservation: Reservation, slot: Slot, safety: SafetyDetails) -> None:
    reservation.room = slot.room
    reservation.starts_at, reservation.ends_at = slot.starts_at, slot.ends_at
    reservation.blocks_until = slot.blocks_until
    for name, value in safety.as_columns().items():
        setattr(reservation, name, value)
    reservation.touch()


def cancel(
    reservation: Reservation, *, by: User, reason: str | None = None, notice: bool = True
) -> None:
    """Cancel a reservation; the slot is free again at once. The officer sees ``reason``,
    and is told by e-mail unless ``notice`` is off (a repetition cancelled as a whole)."""
    rules.lock_for_reservations([reservation])
    rules.ensure_may_change(by, reservation)
    if not reservation.is_active:
        return
    rules.ensure_not_started(reservation, now_utc())
    reservation.status = Status.CANCELLED
    reservation.cancel_reason = reason
    reservation.cancelled_by_id = by.id
    reservation.touch()
    audit.record(by, "reservation.cancel", reservation)
    if notice:
        tell(
            Notice.CANCELLATION,
            reservation.officer,
            reservation.id,
            reservation.version,
            by=by,
            reason=reason,
        )


CHECK_IN_EARLY = timedelta(minutes=30)


def check_in(reservation: Reservation, *, by: User) -> None:
    """Record arrival, from 30 minutes before the start until the end of that day."""
    rules.ensure_may_change(by, reservation)
    if not reservation.can_check_in(now_utc(), CHECK_IN_EARLY):
        raise InvalidInput(_("入室の記録は、開始の30分前からその日のうちにできます。"))
    if reservation.checked_in_at is None:
        reservation.checked_in_at = now_utc()
        audit.record(by, "reservation.check_in", reservation)


def check_out(reservation: Reservation, *, by: User) -> None:
    """Record leaving, however late once checked in; arrival is recorded too if forgotten."""
    rules.ensure_may_change(by, reservation)
    if not reservation.is_active:
        raise InvalidInput(_("取り消した予約には退室を記録できません。"))
    if reservation.checked_out_at is None:
        if not reservation.can_check_out(now_utc(), CHECK_IN_EARLY):
            raise InvalidInput(_("退室の記録は、開始の30分前からその日のうちにできます。"))
        reservation.checked_in_at = reservation.checked_in_at or now_utc()
        reservation.checked_out_at = now_utc()
        audit.record(by, "reservation.check_out", reservation)


def check_safety(safety: SafetyDetails) -> None:
    note = safety.desk_note
    if len(note) > DESK_NOTE_MAX:
        raise InvalidInput(_("窓口へのメモは%(n)d文字以内にしてください。", n=DESK_NOTE_MAX))
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in note):
        raise InvalidInput(_("窓口へのメモに使えない文字が含まれています。"))


def submitted_before(by: User, key: str) -> Reservation | None:
    return db.session.scalar(
        select(Reservation).where(
            Reservation.created_by_id == by.id, Reservation.idempotency_key == key
        )
    )


@contextmanager
def refusals(room: Room):
    """Should the database refuse an overlap, the request gets the same conflict error.

    It never should: every writer locks the rooms and officers first, then checks (lock
    order in rules.lock_rows). On an error the caller rolls the whole transaction back.
    """
    try:
        yield
    except OperationalError as error:
        # A deadlock or serialization failure the lock order did not prevent: the other
        # request won, so this one is a conflict like any other.
        if getattr(error.orig, "sqlstate", None) in ("40P01", "40001"):
            raise Conflict(_("ほかの予約と重なりました。もう一度お試しください。")) from None
        raise
    except IntegrityError as error:
        message = str(error.orig)
        if "reservation_room_no_overlap" in message:
            raise RoomTaken(rules.room_taken_message(room, timedelta(0))) from None
        if "reservation_officer_no_overlap" in message:
            raise OfficerBusy(_("この時間には別の予約があります。")) from None
        if "idempotency_key" in message:  # the same form, sent twice at once
            raise Conflict(
                _("この予約は既に受け付けています。予約一覧をご確認ください。")
            ) from None
        raise
