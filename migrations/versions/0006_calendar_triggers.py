"""the database bumps calendar versions whenever a reservation a feed shows is written

Every insert, delete, or update of a column a feed shows (place, officer, times, status,
version) counts a change on the rooms and officers involved, before and after. Written by
hand: autogenerate sees no triggers. Rooms and facilities renamed are still bumped by the
application (booking.feeds.changes).

Revision ID: 0006_calendar_triggers
Revises: 0005_calendar_versions
"""

from alembic import op

revision = "0006_calendar_triggers"
down_revision = "0005_calendar_versions"
branch_labels = None
depends_on = None

# What a feed shows of a reservation: a change to any of these moves its feeds' ETags.
SHOWN = ("public_id", "room_id", "officer_id", "starts_at", "ends_at", "status", "version")

# Last-Modified is the latest row time seen, never earlier than before: the application's
# updated_at on insert and update (its clock, also in tests), the database's clock on delete.
POSTGRESQL_FUNCTION = """
CREATE FUNCTION bump_reservation_calendars() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rooms integer[];
    officers integer[];
    changed timestamptz;
BEGIN
    IF TG_OP = 'INSERT' THEN
        rooms := ARRAY[NEW.room_id];
        officers := ARRAY[NEW.officer_id];
        changed := NEW.updated_at;
    ELSIF TG_OP = 'UPDATE' THEN
        rooms := ARRAY[OLD.room_id, NEW.room_id];
        officers := ARRAY[OLD.officer_id, NEW.officer_id];
        changed := NEW.updated_at;
    ELSE
        rooms := ARRAY[OLD.room_id];
        officers := ARRAY[OLD.officer_id];
        changed := statement_timestamp();
    END IF;
    -- Rooms before users: the one lock order (booking.reservations.rules.lock_rows).
    UPDATE room SET calendar_version = calendar_version + 1,
        calendar_changed_at = GREATEST(calendar_changed_at, changed)
    WHERE id = ANY(rooms);
    UPDATE "user" SET calendar_version = calendar_version + 1,
        calendar_changed_at = GREATEST(calendar_changed_at, changed)
    WHERE id = ANY(officers);
    RETURN NULL;
END
$$
"""
# name: (event, condition)
POSTGRESQL_TRIGGERS = {
    "reservation_calendars_insert_delete": ("INSERT OR DELETE", ""),
    "reservation_calendars_update": (
        "UPDATE",
        f"WHEN (({', '.join(f'OLD.{c}' for c in SHOWN)})"
        f" IS DISTINCT FROM ({', '.join(f'NEW.{c}' for c in SHOWN)}))",
    ),
}


def sqlite_bump(rows: tuple[str, ...], changed: str) -> str:
    """Count a change on the rooms and officers of ``rows`` (OLD, NEW or both)."""
    later = f"CASE WHEN calendar_changed_at > {changed} THEN calendar_changed_at ELSE {changed} END"
    bump = f"SET calendar_version = calendar_version + 1, calendar_changed_at = {later}"
    rooms = ", ".join(f"{row}.room_id" for row in rows)
    officers = ", ".join(f"{row}.officer_id" for row in rows)
    return (
        f'UPDATE room {bump} WHERE id IN ({rooms}); UPDATE "user" {bump} WHERE id IN ({officers});'
    )


# SQLite stores these times as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (booking.timeutil).
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
# name: (event, condition, body)
SQLITE_TRIGGERS = {
    "reservation_calendars_insert": ("INSERT", "", sqlite_bump(("NEW",), "NEW.updated_at")),
    "reservation_calendars_update": (
        "UPDATE",
        "WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in SHOWN),
        sqlite_bump(("OLD", "NEW"), "NEW.updated_at"),
    ),
    "reservation_calendars_delete": ("DELETE", "", sqlite_bump(("OLD",), SQLITE_NOW)),
}


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        for name, (event, condition) in POSTGRESQL_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON reservation FOR EACH ROW {condition}"
                " EXECUTE FUNCTION bump_reservation_calendars()"
            )
    else:
        for name, (event, condition, body) in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON reservation FOR EACH ROW {condition}"
                f" BEGIN {body} END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in POSTGRESQL_TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON reservation")
        op.execute("DROP FUNCTION bump_reservation_calendars()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
