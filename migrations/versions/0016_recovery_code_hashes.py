"""recovery codes kept as salted argon2id hashes, which are longer than a SHA-256

Revision ID: 0016_recovery_code_hashes
Revises: 0015_administration
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_recovery_code_hashes"
down_revision = "0015_administration"
branch_labels = None
depends_on = None


# On SQLite the small table is copied (nothing refers to it); codes made before keep working.
def upgrade():
    with op.batch_alter_table("recovery_code") as table:
        table.alter_column(
            "code_hash", existing_type=sa.String(64), type_=sa.String(255), nullable=False
        )


def downgrade():
    # An argon2 hash does not fit the old column: those codes go, and staff make new ones.
    op.execute("DELETE FROM recovery_code WHERE length(code_hash) > 64")
    with op.batch_alter_table("recovery_code") as table:
        table.alter_column(
            "code_hash", existing_type=sa.String(255), type_=sa.String(64), nullable=False
        )
