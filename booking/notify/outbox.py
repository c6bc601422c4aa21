"""Writing messages: compose an e-mail and put it in the outbox in the caller's transaction."""

import email.policy
from email import base64mime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from booking import audit
from booking.errors import InvalidInput
from booking.extensions import db
from booking.notify.models import MessageStatus, OutboxMessage
from booking.timeutil import now_utc

# Headers encoded (RFC 2047), bodies in UTF-8 with a transfer encoding, lines folded short.
POLICY = email.policy.SMTP.clone(max_line_length=78)


def compose(to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text e-mail from the service, with the headers every message carries."""
    sender = current_app.config["MAIL_SENDER"]
    message = EmailMessage(policy=POLICY)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(now_utc())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    # Vacation responders and the like must not answer a message no person wrote.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, charset="utf-8")
    return message


def japanese_mail(to: str, subject, template: str, **context) -> EmailMessage:
    """An e-mail about an account, in Japanese whatever the language of the page that sends
    it: ``subject`` (a lazy text) and ``template`` with ``context`` rendered in Japanese."""
    with force_locale("ja"):
        return compose(to, str(subject), render_template(template, **context))


def public_url(endpoint: str, **values) -> str:
    """The full address of a page on PUBLIC_BASE_URL, for links in e-mails."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def enqueue(kind: str, message: EmailMessage) -> None:
    """Put ``message`` in the outbox: it is sent only if the caller's transaction commits."""
    now = now_utc()
    db.session.execute(
        WRITE,
        {
            "kind": kind,
            "recipient": str(message["To"]),
            "subject": str(message["Subject"])[:300],
            "message": message.as_string(policy=POLICY),
            "status": MessageStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "locale": "ja",
            "details": {},
        },
    )


def enqueue_letters(kind: str, subject: str, letters: list[tuple[str, str]]) -> None:
    """Put many e-mails of one subject in the outbox in one statement (an import's invitations).

    The headers are composed once by compose(); each letter differs only in its To, its
    Message-ID and its body, base64-encoded as compose() would write it. Composing each
    message in full costs about 3 ms, which for 5,000 invitations would outlast a request.
    """
    if not letters:
        return
    prototype = compose("prototype@invalid", subject, "-")
    domain = prototype["Message-ID"].rpartition("@")[2].rstrip(">")
    del prototype["To"], prototype["Message-ID"]
    prototype.set_content("-", charset="utf-8", cte="base64")
    headers = prototype.as_string(policy=POLICY).split("\r\n\r\n", 1)[0]
    now = now_utc()
    subject_text = str(prototype["Subject"])[:300]
    db.session.execute(
        WRITE,
        [
            {
                "kind": kind,
                "recipient": to,
                "subject": subject_text,
                "message": f"To: {to}\r\nMessage-ID: {make_msgid(domain=domain)}\r\n"
                f"{headers}\r\n\r\n{base64_body(body)}",
                "status": MessageStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "locale": "ja",
                "details": {},
            }
            for to, body in letters
        ],
    )


def base64_body(text: str) -> str:
    """A text body as set_content(cte="base64") writes it: CRLF lines, UTF-8, 76 columns."""
    data = ("\r\n".join(text.splitlines()) + "\r\n").encode("utf-8")
    return base64mime.body_encode(data, maxlinelen=76, eol="\r\n")


WRITE = insert(OutboxMessage.__table__)


UNDELIVERED_SHOWN = 100


def undelivered(status: MessageStatus) -> tuple[int, list[OutboxMessage]]:
    """How many messages have ``status``, and the latest of them."""
    total = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == status)
    )
    latest = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == status)
        .order_by(OutboxMessage.id.desc())
        .limit(UNDELIVERED_SHOWN)
    ).all()
    return total, list(latest)


def retry(message: OutboxMessage, *, by) -> None:
    """Send a failed message again, with a fresh count of attempts."""
    if message.status is not MessageStatus.FAILED:
        raise InvalidInput(_("このメールは送信に失敗したものではありません。"))
    message.status = MessageStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = now_utc()
    message.claim = message.claimed_until = None
    audit.record(by, "outbox.retry", message)
