"""on PostgreSQL, bump calendar versions once per statement, not once per reservation row

A bulk load (the national data set, an import) inserting thousands of reservations in one
transaction used to update the same room and officer rows once per reservation, and
PostgreSQL keeps every version of a row until the transaction ends: each insert was slower
than the last. Statement-level triggers over transition tables count one change per room and
officer per statement, however many rows it writes. A single booking, change or cancellation
moves its feeds' ETags exactly as before. SQLite has no statement-level triggers and updates
rows in place; its row triggers stay.

Revision ID: 0011_statement_calendar_bumps
Revises: 0010_outbox
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0011_statement_calendar_bumps"
down_revision = "0010_outbox"
branch_labels = None
depends_on = None

# What a feed shows of a reservation (as in 0006): a change to any of these moves its ETags.
SHOWN = ("public_id", "room_id", "officer_id", "starts_at", "ends_at", "status", "version")


def bump(touched: str) -> str:
    """Statements counting one change on each room and officer of ``touched`` (room_id,
    officer_id, changed): rooms before users, the one lock order (rules.lock_rows)."""
    return "\n".join(
        f"""
    UPDATE {table} SET calendar_version = calendar_version + 1,
        calendar_changed_at = GREATEST(calendar_changed_at, t.changed)
    FROM (SELECT {column} AS id, max(changed) AS changed FROM ({touched}) AS rows
          GROUP BY {column}) AS t
    WHERE {table}.id = t.id;"""
        for table, column in (("room", "room_id"), ('"user"', "officer_id"))
    )


CHANGED = (
    "SELECT o.room_id, o.officer_id, n.updated_at AS changed FROM old_rows o"
    " JOIN new_rows n ON n.id = o.id WHERE {distinct}"
    " UNION ALL SELECT n.room_id, n.officer_id, n.updated_at FROM old_rows o"
    " JOIN new_rows n ON n.id = o.id WHERE {distinct}"
).format(
    distinct=f"({', '.join(f'o.{c}' for c in SHOWN)}) IS DISTINCT FROM"
    f" ({', '.join(f'n.{c}' for c in SHOWN)})"
)

# Last-Modified is the latest row time seen: the application's updated_at on insert and
# update (its clock, also in tests), the database's clock on delete.
FUNCTIONS = {
    "bump_calendars_inserted": bump(
        "SELECT room_id, officer_id, updated_at AS changed FROM new_rows"
    ),
    "bump_calendars_updated": bump(CHANGED),
    "bump_calendars_deleted": bump(
        "SELECT room_id, officer_id, statement_timestamp() AS changed FROM old_rows"
    ),
}
# name: (event, transition tables, function)
TRIGGERS = {
    "reservation_calendars_inserted": (
        "INSERT",
        "NEW TABLE AS new_rows",
        "bump_calendars_inserted",
    ),
    "reservation_calendars_updated": (
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "bump_calendars_updated",
    ),
    "reservation_calendars_deleted": (
        "DELETE",
        "OLD TABLE AS old_rows",
        "bump_calendars_deleted",
    ),
}


def row_triggers():
    """Migration 0006, whose row-level triggers a downgrade puts back."""
    path = Path(__file__).with_name("0006_calendar_triggers.py")
    spec = importlib.util.spec_from_file_location("calendar_triggers_0006", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    old = row_triggers()
    for name in old.POSTGRESQL_TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON reservation")
    op.execute("DROP FUNCTION bump_reservation_calendars()")
    for name, body in FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN{body}\n    RETURN NULL;\nEND\n$$"
        )
    for name, (event, tables, function) in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON reservation REFERENCING {tables}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON reservation")
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION {name}()")
    old = row_triggers()
    op.execute(old.POSTGRESQL_FUNCTION)
    for name, (event, condition) in old.POSTGRESQL_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON reservation FOR EACH ROW {condition}"
            " EXECUTE FUNCTION bump_reservation_calendars()"
        )
