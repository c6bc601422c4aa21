"""The outbox sender's throughput for `make bench`: messages per second into a local SMTP
server (aiosmtpd on loopback), measured on one sender.

1. Notices: booking confirmations as a booking writes them; the sender makes each into an
   e-mail with its calendar invitation, keeps it, sends it and marks it sent.
2. Ready messages: e-mails written whole (as the overdue alert is), only sent and marked.

Run alone with ``.venv/bin/python -m bench.mail [--postgresql]``; ``run()`` gives the lines.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time

import flask_migrate
from aiosmtpd.controller import Controller
from sqlalchemy import insert, select

import booking.timeutil
from bench.feeds import (
    NOW,
    make_app,
    make_facility,
    make_officers,
    reservation_rows,
    reset_postgresql,
)
from booking.auth.models import User
from booking.extensions import db
from booking.notify.notices import Notice, tell
from booking.notify.outbox import compose, enqueue
from booking.notify.sender import send_pass
from booking.reservations.models import Reservation

MESSAGES = 1000


class Sink:
    """Takes every message and keeps nothing but the count."""

    received = 0

    async def handle_DATA(self, _server, _session, _envelope):
        Sink.received += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_notices() -> None:
    facility = make_facility()
    officers = make_officers()
    rows = list(reservation_rows([room.id for room in facility.rooms], officers))[:MESSAGES]
    db.session.execute(insert(Reservation.__table__), rows)
    by_officer = {o.id: o for o in db.session.scalars(select(User))}
    for reservation in db.session.scalars(select(Reservation)):
        officer = by_officer[reservation.officer_id]
        tell(Notice.CONFIRMATION, officer, reservation.id, reservation.version, by=None)
    db.session.commit()


def write_ready() -> None:
    for n in range(MESSAGES):
        body = f"次の面談は終了時刻を過ぎましたが、退室の記録がありません。\n部屋：面談室{n}\n"
        enqueue("bench", compose("desk@bench.example.jp", "【確認のお願い】退室の記録", body))
    db.session.commit()


def measure(name: str, url: str) -> list[str]:
    booking.timeutil.frozen_now = NOW
    app = make_app(url)
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    lines = [f"   {name}:"]
    try:
        with app.app_context():
            flask_migrate.upgrade(directory="migrations")
            for label, write in (("notices", write_notices), ("ready messages", write_ready)):
                Sink.received = 0
                write()
                started = time.perf_counter()
                outcome = send_pass()
                seconds = time.perf_counter() - started
                assert outcome.sent == Sink.received == MESSAGES, (outcome, Sink.received)
                lines.append(
                    f"     {label:15} {MESSAGES} in {seconds:5.1f} s:"
                    f" {MESSAGES / seconds:6.0f} messages per second"
                )
            db.session.remove()
            db.engine.dispose()
    finally:
        controller.stop()
        booking.timeutil.frozen_now = None
    return lines


def run(postgresql_url: str | None = None) -> list[str]:
    """The sender's figures on SQLite, and on ``postgresql_url`` too when given."""
    with tempfile.TemporaryDirectory(prefix="mail-bench-") as tmp:
        lines = measure("SQLite", f"sqlite:///{tmp}/mail.sqlite3")
    if postgresql_url:
        reset_postgresql(postgresql_url)
        lines += measure("PostgreSQL", postgresql_url)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", action="store_true", help="also run on TEST_DATABASE_URL")
    args = parser.parse_args()
    url = os.environ.get("TEST_DATABASE_URL") if args.postgresql else None
    print("\n".join(run(url)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
