"""`flask safety sweep`, run every minute by cron, and `flask safety purge-notes`, daily."""

import click
from flask.cli import AppGroup

from booking.extensions import db
from booking.safety.retention import purge_notes, retention
from booking.safety.sweep import sweep
from booking.timeutil import now_utc

safety = AppGroup("safety", help="Watch over interviews under way.")


@safety.command("sweep")
def sweep_command() -> None:
    """Report new alarms (not arrived, no check-out) to each facility's desk."""
    reported = sweep(now_utc())
    click.echo(f"{reported} new alarms reported")


@safety.command("purge-notes")
def purge_notes_command() -> None:
    """Clear the desk notes of interviews that ended more than the retention period ago."""
    cleared = purge_notes(now_utc())
    db.session.commit()
    click.echo(f"{cleared} notes cleared (kept {retention().days} days after the interview)")
