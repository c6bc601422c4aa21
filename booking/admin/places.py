"""The city's facilities, rooms, hours and city-wide closures, as admins change them.

A change that would leave future reservations outside the new rules (shorter hours, a
retired room, a stricter room rule, a closure) names them first (``Stranded``); only when
the admin confirms are they cancelled, each with a reason the officer sees. Reservations
that have begun are history and are never touched.
"""

from collections.abc import Callable, Collection, Iterable
from datetime import datetime, time

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from booking import audit
from booking.auth.models import User
from booking.errors import BookingError, DomainError, InvalidInput, NotAllowed
from booking.extensions import db
from booking.manage import services as desk
from booking.reservations import rules
from booking.reservations import services as reservations
from booking.reservations.models import Reservation, Status
from booking.rooms.models import (
    Closure,
    Facility,
    OpeningHours,
    Room,
    StaffedHours,
    Ward,
)
from booking.rooms.services import closed_day_reason
from booking.timeutil import now_utc, tokyo

Hours = dict[int, tuple[time, time] | None]  # weekday -> (opens, closes), None when closed


class Stranded(DomainError):
    """The change would cancel these reservations: the admin must see them and confirm."""

    status = 409

    def __init__(self, hit: list[Reservation]):
        super().__init__(_("取り消しになる予約があります。確かめてから保存してください。"))
        self.hit = hit


class Changed(DomainError):
    """Reservations were booked or moved while the admin looked: they decide again."""

    status = 409


def ensure_admin(user: User) -> None:
    if not user.is_admin:
        raise NotAllowed(_("市の管理者のための画面です。"))


def facilities() -> list[Facility]:
    """Every facility with its rooms, in ward order then id, for the list page."""
    rows = db.session.scalars(
        select(Facility).options(selectinload(Facility.rooms)).order_by(Facility.id)
    )
    return sorted(rows, key=lambda f: (f.ward.order, f.id))


def future_reservations(room_ids: Iterable[int]) -> list[Reservation]:
    """Active reservations of these rooms not yet begun, with their officer and room."""
    ids, now = list(room_ids), now_utc()
    if not ids:
        return []
    query = (
        select(Reservation)
        .where(
            Reservation.room_id.in_(ids),
            Reservation.status == Status.ACTIVE,
            Reservation.starts_at > now,
            Reservation.checked_in_at.is_(None),
        )
        .options(selectinload(Reservation.officer), selectinload(Reservation.room))
        .order_by(Reservation.starts_at, Reservation.room_id)
    )
    return list(db.session.scalars(query))


def fits_facility(reservation: Reservation, facility: Facility) -> bool:
    """Whether the reservation still lies in a day and the hours the facility is open."""
    day = tokyo(reservation.starts_at).date()
    hours = facility.hours_on(day.weekday())
    if closed_day_reason(facility, day, hours is not None):
        return False
    return obeys(
        rules.ensure_within_opening_hours,
        reservation.starts_at,
        reservation.ends_at,
        hours.opens,
        hours.closes,
    )


def fits_room(reservation: Reservation, room: Room) -> bool:
    """Whether the reservation keeps the room's booking rules: the slot step, the shortest
    and longest lengths, and staff at hand for a caution-flagged interview. The window and
    the buffer concern new bookings: those already made keep their place."""
    checks = [rules.ensure_on_slot_step, rules.ensure_length]
    if reservation.caution:
        checks.append(rules.ensure_staffed_for_caution)
    return all(obeys(check, room, reservation.starts_at, reservation.ends_at) for check in checks)


def obeys(rule: Callable, *args) -> bool:
    """True when the booking rule raises nothing for ``args``."""
    try:
        rule(*args)
    except BookingError:
        return False
    return True


def ensure_seen(hit: list[Reservation], confirmed: Collection[int]) -> None:
    """The admin must have seen every reservation the change cancels: else show them."""
    if {r.id for r in hit} - set(confirmed):
        raise Stranded(hit)


def strand_check(
    room_ids: list[int], fits: Callable[[Reservation], bool], *, confirmed: Collection[int]
) -> list[Reservation]:
    """The future reservations of ``room_ids`` that no longer fit, locked; ``Stranded`` unless
    the admin ``confirmed`` each (by id), ``Changed`` if they moved while we locked them."""
    # The change waits in memory: the bookings' lock order (reservations, then rooms) first.
    with db.session.no_autoflush:
        hit = [r for r in future_reservations(room_ids) if not fits(r)]
        ensure_seen(hit, confirmed)
        rules.lock_for_reservations(hit, room_ids=room_ids)
        again = [r for r in future_reservations(room_ids) if not fits(r)]
    if {r.id for r in again} != {r.id for r in hit}:
        raise Changed(
            _(
                "予約の状況が変わりました。取り消しになる予約を確かめてから、もう一度保存してください。"
            )
        )
    return hit


def cancel_all(hit: list[Reservation], reason: str, *, by: User) -> None:
    for reservation in hit:
        reservations.cancel(reservation, by=by, reason=reason)


def changed_fields(obj, values: dict) -> list[str]:
    return sorted(name for name, value in values.items() if getattr(obj, name) != value)


def intervals(model, hours: Hours) -> list:
    return [
        model(weekday=day, opens=span[0], closes=span[1])
        for day, span in sorted(hours.items())
        if span is not None
    ]


def hours_of(rows) -> Hours:
    known = {row.weekday: (row.opens, row.closes) for row in rows}
    return {day: known.get(day) for day in range(7)}


def update_facility(
    facility: Facility, values: dict, hours: Hours, *, by: User, confirmed: Collection[int] = ()
) -> list[Reservation]:
    """Change a facility and its weekly hours; reservations left outside are cancelled only
    when ``confirmed``. Returns those cancelled."""
    ensure_admin(by)
    room_ids = [room.id for room in facility.rooms]  # loaded before anything changes
    changed = changed_fields(facility, values)
    hours_changed = hours_of(facility.opening_hours) != hours
    for name in changed:
        setattr(facility, name, values[name])
    if hours_changed:
        facility.opening_hours = intervals(OpeningHours, hours)
        changed.append("opening_hours")
    if not changed:
        return []
    hit = strand_check(room_ids, lambda r: fits_facility(r, facility), confirmed=confirmed)
    cancel_all(hit, _("施設の開館時間などの変更のため取り消し"), by=by)
    audit.record(
        by,
        "facility.update",
        facility,
        facility_id=facility.id,
        changed=changed,
        cancelled=len(hit),
    )
    return hit


def add_facility(values: dict, hours: Hours, *, by: User) -> Facility:
    """A new facility; its code is the seed file's key and must be new."""
    ensure_admin(by)
    if db.session.scalar(select(Facility.id).where(Facility.code == values["code"])):
        raise InvalidInput(_("この施設コードは既に使われています。"))
    facility = Facility(**values, opening_hours=intervals(OpeningHours, hours))
    db.session.add(facility)
    db.session.flush()
    audit.record(by, "facility.create", facility, facility_id=facility.id)
    return facility


def update_room(
    room: Room, values: dict, staffed: Hours, *, by: User, confirmed: Collection[int] = ()
) -> list[Reservation]:
    """Change a room's names, safety features and rules; future reservations the new rules
    refuse are cancelled only when ``confirmed``."""
    ensure_admin(by)
    changed = changed_fields(room, values)
    for name in changed:
        setattr(room, name, values[name])
    if hours_of(room.staffed_hours) != staffed:
        room.staffed_hours = intervals(StaffedHours, staffed)
        changed.append("staffed_hours")
    if not changed:
        return []
    hit = strand_check([room.id], lambda r: fits_room(r, room), confirmed=confirmed)
    cancel_all(hit, _("部屋の予約の決まりの変更のため取り消し"), by=by)
    audit.record(by, "room.update", room, changed=changed, cancelled=len(hit))
    return hit


def add_room(facility: Facility, values: dict, staffed: Hours, *, by: User) -> Room:
    ensure_admin(by)
    if any(room.code == values["code"] for room in facility.rooms):
        raise InvalidInput(_("この部屋コードは、この施設で既に使われています。"))
    room = Room(**values, staffed_hours=intervals(StaffedHours, staffed))
    facility.rooms.append(room)
    db.session.flush()
    audit.record(by, "room.create", room)
    return room


def retire_room(room: Room, *, by: User, confirmed: Collection[int] = ()) -> list[Reservation]:
    """Take a room out of booking for good; its history, reports and past feed entries stay,
    its future reservations are cancelled once the admin has seen them."""
    ensure_admin(by)
    if not room.active:
        raise InvalidInput(_("この部屋は既に予約の受付を終えています。"))
    hit = strand_check([room.id], lambda _r: False, confirmed=confirmed)
    room.active, room.retired_at = False, now_utc()
    cancel_all(hit, _("部屋の利用終了のため取り消し"), by=by)
    audit.record(by, "room.retire", room, cancelled=len(hit))
    return hit


def reactivate_room(room: Room, *, by: User) -> None:
    ensure_admin(by)
    if not room.active:
        room.active, room.retired_at = True, None
        audit.record(by, "room.reactivate", room)


# City-wide closures: one closure row per facility, all with the same period and reason.


def covered_facilities(ward: Ward | None) -> list[Facility]:
    query = select(Facility).options(selectinload(Facility.rooms)).order_by(Facility.id)
    if ward is not None:
        query = query.where(Facility.ward == ward)
    return list(db.session.scalars(query))


def city_closure_impact(
    ward: Ward | None, starts_at: datetime, ends_at: datetime
) -> list[Reservation]:
    """The reservations not yet begun that a closure of every facility (of ``ward``) hits."""
    hit = []
    for facility in covered_facilities(ward):
        closure = Closure(facility_id=facility.id, starts_at=starts_at, ends_at=ends_at)
        hit.extend(desk.closure_impact(facility, closure))
    return sorted(hit, key=lambda r: (r.starts_at, r.room_id))


def add_city_closure(
    ward: Ward | None,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    *,
    by: User,
    confirmed: Collection[int] = (),
) -> list[Reservation]:
    """Close every facility (of ``ward``) for a period; returns the reservations cancelled."""
    ensure_admin(by)
    if not starts_at < ends_at:
        raise InvalidInput(_("終わりは始まりより後にしてください。"))
    ensure_seen(city_closure_impact(ward, starts_at, ends_at), confirmed)
    cancelled = []
    for facility in covered_facilities(ward):
        closure = Closure(
            facility_id=facility.id, starts_at=starts_at, ends_at=ends_at, reason=reason
        )
        cancelled += desk.add_closure(facility, closure, by=by, cancel_hit=True)
    return cancelled


def city_closures(now: datetime) -> list:
    """Upcoming closures of whole facilities, one row per period and reason with the number
    of facilities it covers and the lowest closure id (the handle for deleting them)."""
    query = (
        select(
            Closure.starts_at,
            Closure.ends_at,
            Closure.reason,
            func.count().label("facilities"),
            func.min(Closure.id).label("id"),
        )
        .where(Closure.room_id.is_(None), Closure.ends_at > now)
        .group_by(Closure.starts_at, Closure.ends_at, Closure.reason)
        .order_by(Closure.starts_at)
    )
    return list(db.session.execute(query))


def remove_city_closure(closure: Closure, *, by: User) -> int:
    """Remove every whole-facility closure of the same period and reason; cancelled
    reservations stay cancelled. Returns how many facilities reopen."""
    ensure_admin(by)
    same = db.session.scalars(
        select(Closure)
        .where(
            Closure.room_id.is_(None),
            Closure.starts_at == closure.starts_at,
            Closure.ends_at == closure.ends_at,
            Closure.reason == closure.reason,
        )
        .options(selectinload(Closure.facility))
    ).all()
    for row in same:
        desk.remove_closure(row, by=by)
    return len(same)
