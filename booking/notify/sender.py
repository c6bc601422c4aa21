"""Sending the outbox: claim due rows, hand them to the mail server, retry what it refuses.

Run by `flask mail send` (one pass, from cron) or `flask mail worker` (a loop). Each step is
its own short transaction, so that on SQLite the write lock is never held while the mail
server is talked to. Two senders never claim the same row while its lease runs.
"""

import contextlib
import secrets
import smtplib
import ssl
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_string, policy

from flask import current_app
from sqlalchemy import or_, select, update

from booking.extensions import db
from booking.notify import messages
from booking.notify.models import MessageStatus, OutboxMessage
from booking.notify.outbox import POLICY
from booking.timeutil import now_utc

BATCH = 50
# Longer than a batch can take with the mail server's timeout on every message.
LEASE = timedelta(minutes=10)
LONGEST_DELAY = timedelta(hours=1)


class TemporaryFailure(Exception):
    """The mail server is down or answered 4xx: try again later."""


class PermanentFailure(Exception):
    """The mail server refused the message for good (5xx)."""


class ServerUnreachable(TemporaryFailure):
    """No connection at all: the rest of the pass would fail the same way."""


class MailNotConfigured(RuntimeError):
    """Production without MAIL_SERVER: nothing is sent, and nothing is lost."""


@dataclass
class Pass:
    sent: int = 0
    retried: int = 0
    failed: int = 0


@dataclass
class Claimed:
    id: int
    claim: str
    recipient: str
    message: str | None  # None: a notice the sender makes into an e-mail first
    attempts: int
    written: dict = field(default_factory=dict)  # the e-mail made here, kept with the outcome


def claim(now: datetime, limit: int = BATCH) -> list[Claimed]:
    """Take up to ``limit`` due messages for this sender, and commit the claim."""
    token = secrets.token_hex(8)
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == MessageStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    # The UPDATE is its transaction's first statement: on SQLite it takes the write lock
    # (waiting its turn) before it reads, so two senders claim one after the other.
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # Rows another sender is claiming right now are passed over, not waited for.
        due = due.with_for_update(skip_locked=True)
    rows = connection.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(claim=token, claimed_until=now + LEASE)
        .returning(
            OutboxMessage.id,
            OutboxMessage.recipient,
            OutboxMessage.message,
            OutboxMessage.attempts,
        )
    ).all()
    db.session.commit()
    return sorted(
        (Claimed(row.id, token, row.recipient, row.message, row.attempts) for row in rows),
        key=lambda claimed: claimed.id,
    )


def settle(claimed: Claimed, **values) -> bool:
    """Write a delivery outcome, if the claim is still this sender's; True if it was."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == claimed.id, OutboxMessage.claim == claimed.claim)
        .values(claim=None, claimed_until=None, **claimed.written, **values)
    )
    db.session.commit()
    return result.rowcount == 1


def write_message(claimed: Claimed) -> None:
    """Make a notice into its e-mail; it is kept with the outcome, so retries send the same."""
    message = messages.render(db.session.get(OutboxMessage, claimed.id))
    claimed.message = message.as_string(policy=POLICY)
    claimed.written = {"message": claimed.message, "subject": str(message["Subject"])[:300]}
    # End the read: on SQLite the outcome's write must begin a transaction of its own.
    db.session.rollback()


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... times the base delay after each failed attempt, at most an hour."""
    base = timedelta(seconds=current_app.config["MAIL_RETRY_SECONDS"])
    return min(base * 2 ** (attempts - 1), LONGEST_DELAY)


def count_failure(claimed: Claimed, error: Exception, outcome: Pass) -> None:
    """Schedule the next attempt, or give up after the last one or a permanent refusal."""
    attempts = claimed.attempts + 1
    final = isinstance(error, PermanentFailure) or (
        attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]
    )
    still_mine = settle(
        claimed,
        attempts=attempts,
        last_error=str(error)[:200],
        status=MessageStatus.FAILED if final else MessageStatus.PENDING,
        next_attempt_at=now_utc() + retry_delay(attempts),
    )
    if still_mine and final:
        outcome.failed += 1
    elif still_mine:
        outcome.retried += 1


def send_pass(now: datetime | None = None) -> Pass:
    """Send every message that is due, batch by batch; stop early if the server is down."""
    outcome, server = Pass(), transport()
    while batch := claim(now or now_utc()):
        try:
            with server as deliver:
                for claimed in batch:
                    deliver_one(deliver, claimed, outcome)
        except ServerUnreachable as error:
            for claimed in batch:  # those not yet settled; settled ones no longer match
                count_failure(claimed, error, outcome)
            break
    return outcome


def deliver_one(deliver, claimed: Claimed, outcome: Pass) -> None:
    try:
        if claimed.message is None:
            write_message(claimed)
        deliver(claimed)
    except ServerUnreachable:
        raise
    except (TemporaryFailure, PermanentFailure) as error:
        count_failure(claimed, error, outcome)
    else:
        settle(claimed, status=MessageStatus.SENT, sent_at=now_utc())
        outcome.sent += 1


def transport():
    """The mail server from the settings; without one outside production, the console."""
    config = current_app.config
    if config["MAIL_SERVER"]:
        return SMTPTransport(config)
    if config["PRODUCTION"]:
        raise MailNotConfigured("MAIL_SERVER is not set: the messages stay in the outbox")
    return ConsoleTransport()


class ConsoleTransport:
    """Development without a mail server: each message is printed where `make run` shows it."""

    def __enter__(self):
        return self.deliver

    def __exit__(self, *exc) -> None:
        return None

    @staticmethod
    def deliver(claimed: Claimed) -> None:
        parsed = message_from_string(claimed.message, policy=policy.default)
        attached = [part.get_filename() for part in parsed.iter_attachments()]
        print(
            f"--- e-mail to {parsed['To']}\nSubject: {parsed['Subject']}\n\n"
            f"{parsed.get_body(preferencelist=('plain',)).get_content()}"
            + "".join(f"[attached: {name}]\n" for name in attached)
            + "---",
            file=sys.stdout,
            flush=True,
        )


class SMTPTransport:
    """One connection per batch, STARTTLS or TLS and login as configured."""

    def __init__(self, config):
        self.config = config
        self.smtp = None

    def __enter__(self):
        config = self.config
        # A TLS connection checks the server's certificate and name.
        verified = ssl.create_default_context()
        try:
            if config["MAIL_USE_SSL"]:
                self.smtp = smtplib.SMTP_SSL(
                    config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20, context=verified
                )
            else:
                self.smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20)
            if config["MAIL_USE_TLS"]:
                self.smtp.starttls(context=verified)
            if config["MAIL_USERNAME"]:
                self.smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except (OSError, smtplib.SMTPException) as error:
            raise ServerUnreachable(describe(error)) from None
        return self.deliver

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            self.smtp.quit()

    def deliver(self, claimed: Claimed) -> None:
        try:
            self.smtp.sendmail(self.config["MAIL_SENDER"], [claimed.recipient], claimed.message)
        except smtplib.SMTPRecipientsRefused as error:
            code = next(iter(error.recipients.values()))[0]
            raise classify(code, error) from None
        except smtplib.SMTPResponseException as error:
            raise classify(error.smtp_code, error) from None
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            raise ServerUnreachable(describe(error)) from None


def classify(code: int, error: Exception) -> Exception:
    """5xx is final; anything else the server says may pass later."""
    kind = PermanentFailure if 500 <= code < 600 else TemporaryFailure
    return kind(f"SMTP {code} ({type(error).__name__})")


def describe(error: Exception) -> str:
    """What went wrong, without the message or its recipient."""
    code = getattr(error, "smtp_code", None)
    return f"SMTP {code} ({type(error).__name__})" if code else type(error).__name__
