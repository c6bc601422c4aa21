"""`flask db grant ROLE`: what the app's own PostgreSQL role may do, and what it may not.

The schema belongs to the role that runs the migrations. The app servers connect as another
role that reads and writes the tables but may only add to the audit log (ASVS 16.4.2): not
even a bug or an injection in the app can rewrite who did what. Run it after every
`flask db upgrade`, as the owner: new tables and sequences need their grants.
"""

import re

import click
from flask.cli import with_appcontext
from flask_migrate.cli import db as db_commands
from sqlalchemy import text

from booking.extensions import db

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

STATEMENTS = (
    "GRANT USAGE ON SCHEMA {schema} TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
    "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
    # The audit log only grows; the migrations' own table is read (by /readyz), never written.
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM {role}",
    "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {role}",
)


@click.command("grant")
@click.argument("role")
@with_appcontext
def grant(role: str) -> None:
    """Let ROLE (the app servers' database account) use the tables, the audit log append-only."""
    if db.engine.dialect.name != "postgresql":
        raise click.ClickException("roles and grants are PostgreSQL's; SQLite has none")
    if not ROLE_NAME.fullmatch(role):
        raise click.ClickException(f"{role!r} is not a plain role name (a-z, 0-9, _)")
    preparer = db.engine.dialect.identifier_preparer
    with db.engine.begin() as connection:
        schema = connection.scalar(text("SELECT current_schema()"))
        names = {"role": preparer.quote(role), "schema": preparer.quote(schema)}
        for statement in STATEMENTS:
            connection.exec_driver_sql(statement.format(**names))
    click.echo(f"{role} may use the tables of {schema}; it may only add to audit_event")


def init_app() -> None:
    db_commands.add_command(grant)
