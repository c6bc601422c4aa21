"""officers' CSV imports waiting between their preview and their confirmation

Revision ID: 0017_account_imports
Revises: 0016_recovery_code_hashes
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_account_imports"
down_revision = "0016_recovery_code_hashes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name="fk_account_import_created_by_id_user",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_account_import"),
    )
    op.create_index(
        "ix_account_import_created_by_id", "account_import", ["created_by_id"], unique=False
    )


def downgrade():
    op.drop_index("ix_account_import_created_by_id", table_name="account_import")
    op.drop_table("account_import")
