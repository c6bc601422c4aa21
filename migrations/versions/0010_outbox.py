"""the outbox: e-mails written with the change that causes them, sent by a separate sender

Notices about a reservation are rows that name it; on PostgreSQL every insert wakes a
waiting `flask mail worker` (NOTIFY, delivered at commit only). Officers choose which
e-mails they want.

Revision ID: 0010_outbox
Revises: 0009_two_factor
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_outbox"
down_revision = "0009_two_factor"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade():
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("reservation_id", sa.Integer(), nullable=True),
        sa.Column("reservation_version", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sent",
                "failed",
                name="messagestatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_message_attempts_not_negative")),
        sa.CheckConstraint(
            "message IS NOT NULL OR reservation_id IS NOT NULL",
            name=op.f("ck_outbox_message_message_or_notice"),
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservation.id"],
            name=op.f("fk_outbox_message_reservation_id_reservation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint(
            "kind",
            "reservation_id",
            "reservation_version",
            name=op.f("uq_outbox_message_kind_reservation_id_reservation_version"),
        ),
    )
    op.create_index("ix_outbox_message_reservation_id", "outbox_message", ["reservation_id"])
    op.create_index(
        "ix_outbox_message_due",
        "outbox_message",
        ["next_attempt_at"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
    op.create_index("ix_outbox_message_created_at", "outbox_message", ["created_at"])
    for column in ("wants_confirmations", "wants_reminders"):
        op.add_column(
            "user", sa.Column(column, sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(WAKE_SENDER)
        op.execute(
            "CREATE TRIGGER outbox_message_wake AFTER INSERT ON outbox_message "
            "FOR EACH STATEMENT EXECUTE FUNCTION outbox_message_wake()"
        )


# One statement's worth of messages wakes the worker once.
WAKE_SENDER = """
CREATE FUNCTION outbox_message_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END $$
"""


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER outbox_message_wake ON outbox_message")
        op.execute("DROP FUNCTION outbox_message_wake()")
    # Plain ALTER TABLE, never batch mode: a batch would copy "user" and lose its triggers.
    for column in ("wants_reminders", "wants_confirmations"):
        op.execute(f'ALTER TABLE "user" DROP COLUMN {column}')
    op.drop_index("ix_outbox_message_created_at", table_name="outbox_message")
    op.drop_index("ix_outbox_message_due", table_name="outbox_message")
    op.drop_table("outbox_message")
