"""who cancelled a reservation, and an index on its start for reports over a period

Reports tell cancellations by the officer from those by the desk or the city; the audit
events of earlier cancellations name who made them, so the column is filled from them.
City-wide reports read one period of reservations: an index on ``starts_at`` keeps that a
range scan however many years the table holds.

Revision ID: 0012_report_indexes
Revises: 0011_statement_calendar_bumps
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_report_indexes"
down_revision = "0011_statement_calendar_bumps"
branch_labels = None
depends_on = None

# Plain ALTER TABLE, not batch mode: on SQLite a batch copies the table and would lose the
# no-overlap triggers of 0002.

BACKFILL = """
UPDATE reservation SET cancelled_by_id = (
    SELECT audit_event.actor_id FROM audit_event
    WHERE audit_event.action = 'reservation.cancel'
      AND audit_event.object_type = 'reservation'
      AND audit_event.object_id = {public_id}
    ORDER BY audit_event.id DESC LIMIT 1
)
WHERE status = 'cancelled'
"""


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # Alembic would add the foreign key apart, which SQLite cannot do
        op.execute(
            'ALTER TABLE reservation ADD COLUMN cancelled_by_id INTEGER REFERENCES "user" (id)'
        )
    else:
        op.add_column(
            "reservation",
            sa.Column(
                "cancelled_by_id",
                sa.Integer(),
                sa.ForeignKey("user.id", name="fk_reservation_cancelled_by_id_user"),
                nullable=True,
            ),
        )
    # Audit events name a reservation by its public id as text; SQLite stores the uuid as
    # 32 hex digits, PostgreSQL as a uuid whose text has dashes, as str(uuid) does.
    public_id = (
        "substr(public_id, 1, 8) || '-' || substr(public_id, 9, 4) || '-' ||"
        " substr(public_id, 13, 4) || '-' || substr(public_id, 17, 4) || '-' ||"
        " substr(public_id, 21)"
        if sqlite
        else "CAST(public_id AS TEXT)"
    )
    op.execute(BACKFILL.format(public_id=public_id))
    op.create_index("ix_reservation_starts_at", "reservation", ["starts_at"])


def downgrade():
    op.drop_index("ix_reservation_starts_at", table_name="reservation")
    op.execute("ALTER TABLE reservation DROP COLUMN cancelled_by_id")
