"""Passwords known from breaches (ASVS 6.2.12), asked of the Pwned Passwords range API.

Only the first five hex digits of the password's SHA-1 leave the server (k-anonymity), and
the answer is padded so that its size says nothing either. When the service cannot be
reached the password is judged by the local rules alone: nobody is kept from setting one.
"""

import hashlib
import logging
import urllib.request

from flask import current_app
from flask_babel import gettext as _

from booking.auth.passwords import UnacceptablePassword

log = logging.getLogger(__name__)


def times_seen(password: str) -> int | None:
    """How often the password appears in known breaches; None when nobody could be asked."""
    base = current_app.config["PWNED_PASSWORDS_URL"]
    if not base:
        return None
    digest = hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()
    request = urllib.request.Request(
        base + digest[:5],
        headers={"Add-Padding": "true", "User-Agent": "sapporo-interview-rooms"},
    )
    timeout = current_app.config["PWNED_PASSWORDS_TIMEOUT"]
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(2_000_000).decode("ascii", "replace")
    except (OSError, ValueError) as error:
        log.warning("Pwned Passwords not reachable (%s): local rules only", type(error).__name__)
        return None
    for line in body.splitlines():
        suffix, _sep, count = line.strip().partition(":")
        if suffix == digest[5:]:
            return int(count) if count.isdigit() else 1
    return 0


def ensure_not_breached(password: str) -> None:
    if times_seen(password):
        raise UnacceptablePassword(
            _(
                "このパスワードは、ほかのサービスから漏れたパスワードの一覧にあります。"
                "別のパスワードにしてください。"
            )
        )
