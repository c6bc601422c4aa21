"""Security headers on every response, from one hook; and the security event log."""

import logging

from flask import Flask, Response, has_request_context, request

from booking.timeutil import now_utc

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

# Logins, failures, logouts, second factors, refusals, throttling, password changes, ended
# sessions: what happened, to which account, from where, when. Never a password, token,
# note or anything the user typed.
security_log = logging.getLogger("booking.security")


def log_event(event: str, account_id: int | None = None) -> None:
    """Write one security event line (and the same facts as fields for JSON handlers)."""
    client = request.remote_addr if has_request_context() else None
    at = now_utc().isoformat()
    facts = {"event": event, "account_id": account_id, "client_address": client, "at": at}
    security_log.info(
        "security event=%s account=%s client=%s at=%s",
        event,
        account_id if account_id is not None else "-",
        client or "-",
        at,
        extra={"security": facts},
    )


def add_security_headers(response: Response) -> Response:
    """Strict CSP, no framing, no sniffing, no referrer to other sites."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    security_log.setLevel(logging.INFO)
    if not security_log.handlers and not logging.getLogger().handlers:
        # Nothing configured logging (gunicorn does not): events still reach stderr.
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        security_log.addHandler(handler)
