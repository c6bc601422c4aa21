"""place versions of rooms: a rename moves each event's SEQUENCE and LAST-MODIFIED

Revision ID: 0013_place_versions
Revises: 0012_report_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_place_versions"
down_revision = "0012_report_indexes"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: a batch would copy "room" and lose the triggers that
# refer to it.
def upgrade():
    op.add_column(
        "room", sa.Column("place_version", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("room", sa.Column("place_changed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.execute("ALTER TABLE room DROP COLUMN place_changed_at")
    op.execute("ALTER TABLE room DROP COLUMN place_version")
