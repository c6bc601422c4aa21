"""`flask mail send` (one pass, for cron) and `flask mail worker` (a loop)."""

import signal

import click
from flask.cli import AppGroup

from booking.extensions import db
from booking.notify import worker
from booking.notify.notices import remind
from booking.notify.sender import MailNotConfigured, send_pass
from booking.timeutil import now_utc

mail = AppGroup("mail", help="Send the e-mails waiting in the outbox.")


@mail.command("send")
def send_command() -> None:
    """Write the reminders that are due, then send every message that is due, once."""
    remind(now_utc())
    db.session.commit()
    try:
        outcome = send_pass()
    except MailNotConfigured as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{outcome.sent} sent, {outcome.retried} to retry, {outcome.failed} failed")


@mail.command("worker")
@click.option("--poll", default=10.0, show_default=True, help="Seconds between passes at most.")
def worker_command(poll: float) -> None:
    """Send messages as they come, until stopped (SIGTERM ends it after the current pass)."""
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        worker.run(poll, stop=lambda: bool(stopping))
    except MailNotConfigured as error:
        raise click.ClickException(str(error)) from None
    except KeyboardInterrupt:  # Ctrl-C on `make run` stops the server and this together
        pass
