"""`flask mail worker`: send passes in a loop, woken by new rows or by the clock."""

import logging
import time
from collections.abc import Callable

import psycopg
from sqlalchemy.exc import DBAPIError

from booking.extensions import db
from booking.notify.notices import remind
from booking.notify.sender import Pass, send_pass
from booking.timeutil import now_utc

log = logging.getLogger(__name__)


def run(poll_seconds: float, stop: Callable[[], bool] = lambda: False) -> None:
    """Send until ``stop()``; a pass that fails (the database is down) is tried again."""
    wait = waiter(poll_seconds)
    while not stop():
        try:
            remind(now_utc())
            db.session.commit()
            report(send_pass())
        except DBAPIError:
            db.session.rollback()
            log.warning("outbox pass failed: database unavailable")
            wait = waiter(poll_seconds)
        wait()


def report(outcome: Pass) -> None:
    if outcome.sent or outcome.retried or outcome.failed:
        log.info("outbox: %d sent, %d to retry, %d failed", *vars(outcome).values())


def waiter(poll_seconds: float) -> Callable[[], None]:
    """Sleep up to ``poll_seconds``; on PostgreSQL wake at once when a message is committed."""
    if db.engine.dialect.name != "postgresql":
        return lambda: time.sleep(poll_seconds)
    try:
        listening = db.engine.raw_connection()
        connection = listening.driver_connection
        connection.autocommit = True
        connection.execute("LISTEN outbox")
    except DBAPIError:
        return lambda: time.sleep(poll_seconds)

    def wait() -> None:
        try:
            for _notice in connection.notifies(timeout=poll_seconds, stop_after=1):
                pass
        except psycopg.Error:  # the listening connection broke: poll until the next pass
            time.sleep(poll_seconds)

    return wait
