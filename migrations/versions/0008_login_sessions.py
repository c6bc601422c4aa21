"""login sessions kept on the server, so that logging out or a password change ends them

The login id no longer carries a per-user session version: it is the token of a row of
login_session (only its SHA-256 is stored), so user.session_version goes.

Revision ID: 0008_login_sessions
Revises: 0007_safety_board
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_login_sessions"
down_revision = "0007_safety_board"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device", sa.String(length=80), nullable=False),
        sa.Column("client_address", sa.String(length=45), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_login_session_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_session_token_hash")),
    )
    op.create_index(op.f("ix_login_session_user_id"), "login_session", ["user_id"])
    # Plain ALTER TABLE, not batch mode: a batch would copy "user" (see DEVELOPERS.md).
    op.execute('ALTER TABLE "user" DROP COLUMN session_version')


def downgrade():
    op.add_column(
        "user", sa.Column("session_version", sa.Integer(), server_default="1", nullable=False)
    )
    op.drop_index(op.f("ix_login_session_user_id"), table_name="login_session")
    op.drop_table("login_session")
