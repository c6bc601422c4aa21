"""administration in the browser: account tokens (invitations, resets, e-mail changes, printed
codes), accounts without e-mail (a login id instead) or without a password yet, and the
facility an audit event concerns

Revision ID: 0015_administration
Revises: 0014_pages
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_administration"
down_revision = "0014_pages"
branch_labels = None
depends_on = None

# SQLite cannot drop a NOT NULL in place, and rebuilding "user" would break the calendar
# triggers and cascade through its foreign keys; so its schema text is edited, SQLite's
# documented way for changes that leave the stored rows as they are.
NOT_NULL = ("email VARCHAR(254) NOT NULL", "password_hash VARCHAR(255) NOT NULL")
CHECK = "CONSTRAINT ck_user_email_or_login_id CHECK (email IS NOT NULL OR login_id IS NOT NULL)"


def upgrade():
    op.create_table(
        "account_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "invitation",
                "letter",
                "reset",
                "email",
                name="tokenpurpose",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("new_email", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_account_token_user_id_user", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name="fk_account_token_created_by_id_user",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_account_token"),
        sa.UniqueConstraint("token_hash", name="uq_account_token_token_hash"),
    )
    op.create_index("ix_account_token_user_id", "account_token", ["user_id"])

    op.add_column("user", sa.Column("login_id", sa.String(length=32), nullable=True))
    op.create_index("uq_user_login_id", "user", ["login_id"], unique=True)
    if op.get_bind().dialect.name == "sqlite":
        edit_user_schema(forward=True)
    else:
        op.alter_column("user", "email", existing_type=sa.String(254), nullable=True)
        op.alter_column("user", "password_hash", existing_type=sa.String(255), nullable=True)
        op.create_check_constraint(
            "ck_user_email_or_login_id", "user", "email IS NOT NULL OR login_id IS NOT NULL"
        )

    op.add_column("audit_event", sa.Column("facility_id", sa.Integer(), nullable=True))
    op.create_index("ix_audit_event_facility_id", "audit_event", ["facility_id"])
    op.create_index("ix_audit_event_action", "audit_event", ["action"])


def downgrade():
    op.drop_index("ix_audit_event_action", table_name="audit_event")
    op.drop_index("ix_audit_event_facility_id", table_name="audit_event")
    op.execute("ALTER TABLE audit_event DROP COLUMN facility_id")
    bind = op.get_bind()
    lacking = bind.scalar(
        sa.text('SELECT count(*) FROM "user" WHERE email IS NULL OR password_hash IS NULL')
    )
    if lacking:
        raise RuntimeError(
            f"{lacking} accounts have no e-mail address or no password yet; "
            "the schema before 0015 cannot hold them"
        )
    if bind.dialect.name == "sqlite":
        edit_user_schema(forward=False)
    else:
        op.drop_constraint("ck_user_email_or_login_id", "user", type_="check")
        op.alter_column("user", "password_hash", existing_type=sa.String(255), nullable=False)
        op.alter_column("user", "email", existing_type=sa.String(254), nullable=False)
    op.drop_index("uq_user_login_id", table_name="user")
    op.execute('ALTER TABLE "user" DROP COLUMN login_id')
    op.drop_index("ix_account_token_user_id", table_name="account_token")
    op.drop_table("account_token")


def edit_user_schema(*, forward: bool) -> None:
    """Drop (or restore) the two NOT NULLs and add (or remove) the check, in the schema text."""
    bind = op.get_bind()
    sql = bind.scalar(sa.text("SELECT sql FROM sqlite_master WHERE type='table' AND name='user'"))
    for constrained in NOT_NULL:
        loose = constrained.removesuffix(" NOT NULL")
        old, new = (constrained, loose) if forward else (loose + ",", constrained + ",")
        if old not in sql:
            raise RuntimeError(f'unexpected schema of "user": no {old!r}')
        sql = sql.replace(old, new, 1)
    if forward:
        body, closing = sql.rstrip().rsplit(")", 1)
        sql = f"{body.rstrip()}, \n\t{CHECK}\n){closing}"
    else:
        sql = sql.replace(f", \n\t{CHECK}\n", "\n", 1)
    version = bind.scalar(sa.text("PRAGMA schema_version"))
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type='table' AND name='user'"),
        {"sql": sql},
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")
    if bind.scalar(sa.text("PRAGMA integrity_check")) != "ok":
        raise RuntimeError('the edited schema of "user" fails SQLite\'s integrity check')
