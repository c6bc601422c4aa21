"""cancel reason shown to officers, and when the desk was told of an overdue reservation

Revision ID: 0004_desk_safety
Revises: 0003_feed_tokens
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_desk_safety"
down_revision = "0003_feed_tokens"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: on SQLite a batch copies the table and would lose the
# no-overlap triggers of 0002.


def upgrade():
    op.add_column("reservation", sa.Column("cancel_reason", sa.String(length=300), nullable=True))
    op.add_column(
        "reservation", sa.Column("overdue_notified_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade():
    op.execute("ALTER TABLE reservation DROP COLUMN overdue_notified_at")
    op.execute("ALTER TABLE reservation DROP COLUMN cancel_reason")
