"""a second factor: TOTP secrets on accounts, and single-use recovery codes

Revision ID: 0009_two_factor
Revises: 0008_login_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_two_factor"
down_revision = "0008_login_sessions"
branch_labels = None
depends_on = None

COLUMNS = ("totp_secret", "totp_confirmed_at", "totp_last_step")


def upgrade():
    # Plain ALTER TABLE, not batch mode: a batch would copy "user" (see DEVELOPERS.md).
    op.add_column("user", sa.Column("totp_secret", sa.String(length=32), nullable=True))
    op.add_column("user", sa.Column("totp_confirmed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("user", sa.Column("totp_last_step", sa.Integer(), nullable=True))
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_recovery_code_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    op.create_index(op.f("ix_recovery_code_user_id"), "recovery_code", ["user_id"])


def downgrade():
    op.drop_index(op.f("ix_recovery_code_user_id"), table_name="recovery_code")
    op.drop_table("recovery_code")
    for column in reversed(COLUMNS):
        op.execute(f'ALTER TABLE "user" DROP COLUMN {column}')
