"""Whether this server can serve: the database reachable and migrated to this code's head."""

from functools import cache
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from booking.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@cache
def expected_revision() -> str:
    """The newest migration this code ships with, read once."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def problems() -> list[str]:
    """What stops this server from serving, as short machine-readable words."""
    try:
        with db.engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return ["database unreachable"]
    if revision != expected_revision():
        return ["migrations not at head"]
    return []
