"""`flask db backup PATH` and `flask db restore PATH`: SQLite's online backup, both ways.

On PostgreSQL the database server's own tools do this better; the commands say how.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_migrate.cli import db as db_commands

from booking.extensions import db

PG_DUMP = """On PostgreSQL, back up with the server's own tools, for example:

    pg_dump --format=custom --file=booking-$(date +%%F).dump "$DATABASE_URL_WITHOUT_DRIVER"

and restore into a new, empty database with:

    pg_restore --no-owner --dbname=postgresql://user@host/newdb booking-2026-11-30.dump

(DATABASE_URL without "+psycopg"). See README, "Backups"."""


@contextmanager
def sqlite_connection() -> Iterator[sqlite3.Connection]:
    """The application's own SQLite connection, or a clear refusal on PostgreSQL."""
    if db.engine.dialect.name != "sqlite":
        raise click.ClickException(PG_DUMP)
    with db.engine.connect() as connection:
        yield connection.connection.driver_connection


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(path: Path) -> None:
    """Copy the SQLite database to PATH while the app keeps running."""
    if path.exists():
        raise click.ClickException(f"{path} exists already: choose a new file")
    with sqlite_connection() as source:
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()
    click.echo(f"backed up to {path}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace what the database holds now.")
@with_appcontext
def restore(path: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup at PATH (stop the app servers first)."""
    if not yes:
        raise click.ClickException("this replaces the whole database: stop the app, add --yes")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        integrity = source.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            raise click.ClickException(f"{path} is damaged: {integrity}")
        with sqlite_connection() as target:
            source.backup(target)
    except sqlite3.DatabaseError as error:
        raise click.ClickException(f"{path} is not a usable backup: {error}") from None
    finally:
        source.close()
    click.echo(f"restored from {path}; run `flask db upgrade` if it is from an older version")


def init_app() -> None:
    db_commands.add_command(backup)
    db_commands.add_command(restore)
