"""Reading the audit log: filters, pages of a fixed size, and the rows of its CSV.

A page is one statement whatever its length: the events with the actor's name and the
facility's name joined in, never loaded row by row. Events carry field names and counts
only, never a note or a contact value, so what is shown is what was recorded.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import aliased

from booking.audit import AuditEvent
from booking.auth.models import User
from booking.extensions import db
from booking.inputs import database_id
from booking.rooms.models import Facility
from booking.templating import clock, long_date
from booking.timeutil import tokyo, tokyo_day_bounds

PAGE_SIZE = 50
CSV_LIMIT = 100_000  # a year of a busy city; narrower filters give the rest

# The actions the code records, offered as suggestions; any action (or its prefix,
# "reservation") may be typed.
ACTIONS = (
    "user.login",
    "user.login_failed",
    "user.logout",
    "user.create",
    "user.deactivate",
    "user.password_change",
    "user.end_sessions",
    "user.two_factor_enable",
    "user.two_factor_reset",
    "user.mail_choices",
    "reservation.create",
    "reservation.change",
    "reservation.cancel",
    "reservation.restore",
    "reservation.check_in",
    "reservation.check_out",
    "reservation.acknowledge",
    "series.create",
    "facility.create",
    "facility.update",
    "facility.desk",
    "room.create",
    "room.update",
    "room.retire",
    "room.reactivate",
    "closure.create",
    "closure.delete",
    "feed.issue",
    "feed.regenerate",
    "feed.revoke",
    "outbox.retry",
)


@dataclass(frozen=True)
class Filters:
    who: str = ""
    action: str = ""
    facility_id: int | None = None
    first_day: date | None = None
    last_day: date | None = None


Actor = aliased(User)


def columns() -> Select:
    """Each event with who did it and the facility it concerns, in one statement."""
    return (
        select(
            AuditEvent.id,
            AuditEvent.at,
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.details,
            AuditEvent.actor_id,
            AuditEvent.facility_id,
            Actor.name.label("actor_name"),
            Facility.name_ja.label("facility_name"),
        )
        .outerjoin(Actor, Actor.id == AuditEvent.actor_id)
        .outerjoin(Facility, Facility.id == AuditEvent.facility_id)
    )


# Beyond this many people, their events are many and mixed through the table: reading the
# newest events and keeping theirs is quicker than gathering all of theirs to sort them.
FEW_PEOPLE = 20


def who_matches(text: str):
    """An actor id typed as a number, else a part of a name, e-mail address or login id."""
    number = database_id(text)
    if number is not None:
        return AuditEvent.actor_id == number
    people = db.session.scalars(
        select(User.id)
        .where(
            or_(
                User.name.icontains(text, autoescape=True),
                User.email.icontains(text, autoescape=True),
                User.login_id.icontains(text, autoescape=True),
            )
        )
        .limit(1000)
    ).all()
    if len(people) <= FEW_PEOPLE:
        return AuditEvent.actor_id.in_(people)
    return (AuditEvent.actor_id + 0).in_(people)  # an expression: no index, newest first


def filtered(query: Select, filters: Filters) -> Select:
    if filters.who:
        query = query.where(who_matches(filters.who))
    if filters.action:
        query = query.where(
            or_(
                AuditEvent.action == filters.action,
                AuditEvent.action.startswith(filters.action + ".", autoescape=True),
            )
        )
    if filters.facility_id is not None:
        query = query.where(AuditEvent.facility_id == filters.facility_id)
    if filters.first_day:
        query = query.where(AuditEvent.at >= tokyo_day_bounds(filters.first_day)[0])
    if filters.last_day:
        query = query.where(AuditEvent.at < tokyo_day_bounds(filters.last_day)[1])
    return query


def page(filters: Filters, before: int | None) -> tuple[list, int | None]:
    """The newest PAGE_SIZE events older than event ``before``, and the cursor of the next
    page (None on the last): keyset pagination stays fast a million rows deep."""
    query = filtered(columns(), filters).order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = list(db.session.execute(query))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, (rows[-1].id if more else None)


def facility_choices() -> list[tuple[int, str]]:
    return list(db.session.execute(select(Facility.id, Facility.name_ja).order_by(Facility.id)))


def stamps(rows) -> dict[int, str]:
    """Each row's Sapporo date and time."""
    return {row.id: f"{long_date(row.at)} {clock(row.at)}" for row in rows}


def details_text(details: dict | None) -> str:
    """changed=name_ja, phone; cancelled=2: the field names and counts an event carries."""
    parts = []
    for key, value in sorted((details or {}).items()):
        if isinstance(value, list | tuple):
            value = ", ".join(str(item) for item in value)
        parts.append(f"{key}={value}")
    return "; ".join(parts)


def who_text(row) -> str:
    if row.actor_id is None:
        return str(_l("システム"))
    return f"{row.actor_name or ''} (#{row.actor_id})"


CSV_TITLES = (
    _l("日時"),
    _l("操作"),
    _l("誰が"),
    _l("対象"),
    _l("施設"),
    _l("内容"),
)


def csv_rows(filters: Filters) -> list[list[str]]:
    """The filtered events, newest first, as the cells of the CSV (up to CSV_LIMIT)."""
    query = filtered(columns(), filters).order_by(AuditEvent.id.desc()).limit(CSV_LIMIT)
    return [
        [
            tokyo(row.at).strftime("%Y-%m-%d %H:%M:%S"),
            row.action,
            who_text(row),
            f"{row.object_type} {row.object_id}",
            row.facility_name or "",
            details_text(row.details),
        ]
        for row in db.session.execute(query)
    ]
