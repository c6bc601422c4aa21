"""when a room was retired: the reports count its opening hours only before then

Revision ID: 0020_room_retired_at
Revises: 0019_audit_facilities
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_room_retired_at"
down_revision = "0019_audit_facilities"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("room", sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    # Rooms are retired only from the admin pages, which audit it: the last time is the one.
    op.execute(
        """
        UPDATE room SET retired_at = (
            SELECT max(audit_event.at) FROM audit_event
            WHERE audit_event.action = 'room.retire' AND audit_event.object_type = 'room'
              AND audit_event.object_id = CAST(room.id AS VARCHAR(64))
        )
        WHERE NOT room.active
        """
    )


def downgrade():
    op.execute("ALTER TABLE room DROP COLUMN retired_at")
