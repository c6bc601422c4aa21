"""`flask safety sweep`, run every minute by cron."""

import click
from flask.cli import AppGroup

from booking.safety.sweep import sweep
from booking.timeutil import now_utc

safety = AppGroup("safety", help="Watch over interviews under way.")


@safety.command("sweep")
def sweep_command() -> None:
    """Mark newly overdue reservations and tell each facility's desk."""
    reported = sweep(now_utc())
    click.echo(f"{reported} newly overdue")
