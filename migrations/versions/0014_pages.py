"""the officer's home ward (listed first when finding a room) and the reading of names

Revision ID: 0014_pages
Revises: 0013_place_versions
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_pages"
down_revision = "0013_place_versions"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: the calendar triggers write "user" rows.
def upgrade():
    op.add_column("user", sa.Column("home_ward", sa.String(length=16), nullable=True))
    op.add_column("user", sa.Column("name_kana", sa.String(length=100), nullable=True))


def downgrade():
    op.execute('ALTER TABLE "user" DROP COLUMN name_kana')
    op.execute('ALTER TABLE "user" DROP COLUMN home_ward')
