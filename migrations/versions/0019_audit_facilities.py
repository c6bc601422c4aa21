"""audit events of reservations and series name their room's facility, as new ones do

Revision ID: 0019_audit_facilities
Revises: 0018_account_list_order

Check-in, check-out, acknowledgements, alarms, restores, purged notes and repetitions were
written without a facility, so the audit viewer's facility filter did not find them.
"""

from alembic import op

revision = "0019_audit_facilities"
down_revision = "0018_account_list_order"
branch_labels = None
depends_on = None

# object_id is the public id as str(uuid) writes it: with dashes. PostgreSQL keeps the
# public id as a uuid, SQLite as 32 hex digits.
MATCH = {
    "postgresql": "{table}.public_id::text = audit_event.object_id",
    "sqlite": "{table}.public_id = replace(audit_event.object_id, '-', '')",
}


def upgrade():
    match = MATCH[op.get_bind().dialect.name]
    for table in ("reservation", "series"):
        op.execute(
            f"""
            UPDATE audit_event SET facility_id = room.facility_id
            FROM {table} JOIN room ON room.id = {table}.room_id
            WHERE audit_event.object_type = '{table}' AND audit_event.facility_id IS NULL
              AND {match.format(table=table)}
            """
        )


def downgrade():
    pass  # the facilities filled in are true either way
