"""calendar versions of rooms and users, so that a feed's ETag is read from a few rows

Revision ID: 0005_calendar_versions
Revises: 0004_desk_safety
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_calendar_versions"
down_revision = "0004_desk_safety"
branch_labels = None
depends_on = None

TABLES = ("room", "user")


# Plain ALTER TABLE, not batch mode: on SQLite a batch copies the table and would lose the
# triggers that refer to it. The server default gives existing rows their version 0.


def upgrade():
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("calendar_version", sa.Integer(), server_default="0", nullable=False),
        )
        op.add_column(
            table, sa.Column("calendar_changed_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    for table in reversed(TABLES):
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN calendar_changed_at')
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN calendar_version')
