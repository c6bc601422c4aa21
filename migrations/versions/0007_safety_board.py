"""the desk acknowledges alarms; the sweep reports not-arrived too; a desk phone of its own

``facility.phone`` is the facility's main number (sapporo.toml, admins); the desk contacts
page sets ``desk_phone``. What that page set so far (its audit events name ``phone``) was the
desk's number, so it moves there; the main number comes back with `flask seed --update`.

Revision ID: 0007_safety_board
Revises: 0006_calendar_triggers
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_safety_board"
down_revision = "0006_calendar_triggers"
branch_labels = None
depends_on = None

SET_BY_THE_DESK = """
UPDATE facility SET desk_phone = phone
WHERE phone IS NOT NULL AND CAST(id AS VARCHAR(64)) IN (
    SELECT object_id FROM audit_event
    WHERE action = 'facility.desk' AND object_type = 'facility'
      AND CAST(details AS TEXT) LIKE '%"phone"%'
)
"""


def upgrade():
    # Plain ALTER TABLE, not batch mode: on SQLite a batch copies the table and would lose
    # the no-overlap triggers of 0002 and the calendar triggers of 0006.
    op.add_column(
        "reservation",
        sa.Column("not_arrived_notified_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column("facility", sa.Column("desk_phone", sa.String(length=32), nullable=True))
    op.execute(SET_BY_THE_DESK)
    op.create_table(
        "acknowledgement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "not_arrived",
                "overdue",
                name="alarmkind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "outcome",
            sa.Enum(
                "safe_by_phone",
                "arrived_unrecorded",
                "other",
                name="outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=100), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome = 'other' OR note = ''",
            name=op.f("ck_acknowledgement_note_only_for_other"),
        ),
        sa.CheckConstraint("length(note) <= 100", name=op.f("ck_acknowledgement_note_short")),
        sa.ForeignKeyConstraint(["by_id"], ["user.id"], name=op.f("fk_acknowledgement_by_id_user")),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservation.id"],
            name=op.f("fk_acknowledgement_reservation_id_reservation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acknowledgement")),
        sa.UniqueConstraint(
            "reservation_id", "kind", name=op.f("uq_acknowledgement_reservation_id_kind")
        ),
    )
    op.create_index(
        op.f("ix_acknowledgement_reservation_id"), "acknowledgement", ["reservation_id"]
    )


def downgrade():
    op.drop_index(op.f("ix_acknowledgement_reservation_id"), table_name="acknowledgement")
    op.drop_table("acknowledgement")
    op.execute("UPDATE facility SET phone = desk_phone WHERE desk_phone IS NOT NULL")
    op.execute("ALTER TABLE facility DROP COLUMN desk_phone")
    op.execute("ALTER TABLE reservation DROP COLUMN not_arrived_notified_at")
