"""The desk's work: day schedules, closures and their effect on reservations."""

from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking import audit
from booking.auth.models import Role, User
from booking.errors import InvalidInput, NotAllowed
from booking.extensions import db
from booking.reservations import rules
from booking.reservations import services as reservations
from booking.reservations.models import Reservation, Status
from booking.rooms.models import Closure, Facility, Room
from booking.templating import clock, phone
from booking.timeutil import now_utc, tokyo, tokyo_day_bounds


def ensure_serves(user: User, facility: Facility) -> None:
    """Managers act only for the facilities they serve; admins for all."""
    if not user.serves(facility):
        raise NotAllowed(_("この施設の画面を使う権限がありません。"))


def ensure_staff(user: User) -> None:
    if not user.is_staff:
        raise NotAllowed(_("施設職員のための画面です。"))


def update_desk(facility: Facility, values: dict, *, by: User) -> None:
    """Change how the desk is reached; the audit event names the fields that changed."""
    ensure_serves(by, facility)
    changed = sorted(name for name, value in values.items() if getattr(facility, name) != value)
    for name in changed:
        setattr(facility, name, values[name])
    if changed:
        audit.record(by, "facility.desk", facility, facility_id=facility.id, changed=changed)


def upcoming_closures(facility: Facility, now: datetime) -> list[Closure]:
    return list(
        db.session.scalars(
            select(Closure)
            .where(Closure.facility_id == facility.id, Closure.ends_at > now)
            .order_by(Closure.starts_at)
        )
    )


def managed_facilities(user: User) -> list[Facility]:
    if user.is_admin:
        return list(db.session.scalars(select(Facility).order_by(Facility.id)))
    return list(user.facilities) if user.role is Role.MANAGER else []


def reservations_between(facility: Facility, starts_at: datetime, ends_at: datetime, room_id=None):
    """Active reservations of the facility (or one room) overlapping [starts_at, ends_at)."""
    query = (
        select(Reservation)
        .join(Reservation.room)
        .where(
            Room.facility_id == facility.id,
            Reservation.status == Status.ACTIVE,
            Reservation.starts_at < ends_at,
            Reservation.ends_at > starts_at,
        )
        .options(selectinload(Reservation.officer), selectinload(Reservation.room))
        .order_by(Reservation.starts_at, Room.id)
    )
    if room_id is not None:
        query = query.where(Reservation.room_id == room_id)
    return list(db.session.scalars(query))


def day_schedule(facility: Facility, day: date) -> list[Reservation]:
    return reservations_between(facility, *tokyo_day_bounds(day))


def closure_impact(facility: Facility, closure: Closure) -> list[Reservation]:
    """The active reservations a closure of ``facility`` would cancel: those not yet begun.

    A closure may be recorded over the past (it is a fact), but what happened stays as it was.
    """
    hit = reservations_between(facility, closure.starts_at, closure.ends_at, closure.room_id)
    now = now_utc()
    return [reservation for reservation in hit if not reservation.has_started(now)]


def add_closure(
    facility: Facility, closure: Closure, *, by: User, cancel_hit: bool
) -> list[Reservation]:
    """Record a closure; the reservations it hits are cancelled only when ``cancel_hit``."""
    ensure_serves(by, facility)
    if not closure.starts_at < closure.ends_at:
        raise InvalidInput(_("終わりは始まりより後にしてください。"))
    hit = closure_impact(facility, closure)
    if hit and not cancel_hit:
        raise InvalidInput(
            _("この休館で取り消しになる予約があります。確かめてから登録してください。")
        )
    # Every room the closure covers, locked before the closure's row exists (its foreign key
    # would share-lock the room first): no booking there can begin its checks meanwhile.
    covered = [closure.room_id] if closure.room_id else [room.id for room in facility.rooms]
    rules.lock_for_reservations(hit, room_ids=covered)
    # One may have been booked between the look above and the locks: the desk decides again.
    if {r.id for r in closure_impact(facility, closure)} != {r.id for r in hit}:
        raise InvalidInput(
            _(
                "予約の状況が変わりました。取り消しになる予約を確かめてから、もう一度登録してください。"
            )
        )
    db.session.add(closure)
    db.session.flush()
    reason = _("休館のため取り消し（%(reason)s）", reason=closure.reason)
    for reservation in hit:
        reservations.cancel(reservation, by=by, reason=reason)
    audit.record(by, "closure.create", closure, cancelled=len(hit))
    return hit


def remove_closure(closure: Closure, *, by: User) -> None:
    ensure_serves(by, closure.facility)
    audit.record(by, "closure.delete", closure)
    db.session.delete(closure)


CSV_TITLES = (
    _l("部屋"),
    _l("開始"),
    _l("終了"),
    _l("保護司"),
    _l("電話"),
    _l("同席"),
    _l("窓口への連絡"),
    _l("慎重対応"),
    _l("窓口へのメモ"),
    _l("状態"),
    _l("日付"),  # the day and the place in columns too, for files joined in a spreadsheet
    _l("施設"),
)


def schedule_rows(rows: list[Reservation], locale: str) -> list[list[str]]:
    """The day schedule as the cells of its CSV, in the order of CSV_TITLES."""
    return [
        [
            r.room.name(locale),
            clock(r.starts_at),
            clock(r.ends_at),
            r.officer.name,
            phone(r.officer.phone),
            attendance(r),
            yes(r.notify_desk),
            yes(r.caution),
            r.desk_note,
            r.state.label,
            tokyo(r.starts_at).date().isoformat(),
            r.room.facility.name(locale),
        ]
        for r in rows
    ]


def attendance(reservation: Reservation) -> str:
    """Who else attends, in words."""
    parts = [_("もう一人の保護司")] if reservation.second_officer else []
    if reservation.probation_officer.value != "none":
        parts.append(reservation.probation_officer.label)
    return "、".join(parts) or _("なし")


def yes(flag: bool) -> str:
    return _("あり") if flag else ""
