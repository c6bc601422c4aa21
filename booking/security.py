"""Security headers on every response, from one hook; and the security event log."""

import hashlib
import logging

from flask import Flask, Response, current_app, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface

from booking.timeutil import now_utc

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Nothing here needs a camera, a microphone, the location or any other device feature.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)
HSTS = "max-age=31536000; includeSubDomains"

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
    """Strict CSP, no framing, no sniffing, no referrer to other sites, no device features."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if current_app.config["PRODUCTION"]:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if is_private(response):
        headers["Cache-Control"] = "no-store"
    return response


def is_private(response: Response) -> bool:
    """A signed-in user's page or any download: no cache, shared or the browser's, keeps it."""
    # The session cookie says whether someone is signed in without loading the user.
    signed_in = "_user_id" in session
    return signed_in or response.headers.get("Content-Disposition", "").startswith("attachment")


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, signed with HMAC-SHA-256 rather than its SHA-1."""

    digest_method = staticmethod(hashlib.sha256)


def init_app(app: Flask) -> None:
    app.session_interface = SessionCookies()
    app.after_request(add_security_headers)
    security_log.setLevel(logging.INFO)
    if not security_log.handlers and not logging.getLogger().handlers:
        # Nothing configured logging (gunicorn does not): events still reach stderr.
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        security_log.addHandler(handler)
        security_log.propagate = False  # once, even if logging is configured later
