"""Passwords known from breaches are refused, asked of a Pwned Passwords range service."""

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from booking.auth import breached
from booking.auth import services as accounts
from booking.auth.passwords import UnacceptablePassword

BREACHED = "shinobu hanami 1987"


class RangeService(BaseHTTPRequestHandler):
    """Answers as api.pwnedpasswords.com/range/ does: suffixes of SHA-1s with a prefix."""

    asked: list = []  # noqa: RUF012

    def do_GET(self):
        prefix = self.path.rsplit("/", 1)[1]
        RangeService.asked.append((prefix, self.headers.get("Add-Padding")))
        digest = hashlib.sha1(BREACHED.encode()).hexdigest().upper()
        lines = ["0018A45C4D1DEF81644B54AB7F969B88D65:0"]  # padding, as the service adds
        if digest.startswith(prefix):
            lines.append(f"{digest[5:]}:4213")
        body = "\r\n".join(lines).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def range_service(app):
    server = ThreadingHTTPServer(("127.0.0.1", 0), RangeService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    RangeService.asked = []
    app.config["PWNED_PASSWORDS_URL"] = f"http://127.0.0.1:{server.server_port}/range/"
    yield RangeService.asked
    server.shutdown()


def test_a_breached_password_is_refused_and_only_a_prefix_is_sent(officer, range_service):
    with pytest.raises(UnacceptablePassword, match="漏れたパスワード"):
        accounts.set_password(officer, BREACHED)
    digest = hashlib.sha1(BREACHED.encode()).hexdigest().upper()
    assert range_service == [(digest[:5], "true")]
    assert BREACHED not in str(range_service)


def test_a_password_not_in_any_breach_is_accepted(officer, range_service):
    accounts.set_password(officer, "白い雪と青い空の朝")
    assert accounts.is_password_of(officer, "白い雪と青い空の朝") and len(range_service) == 1


def test_when_the_service_cannot_be_reached_the_local_rules_decide(app, officer):
    app.config["PWNED_PASSWORDS_URL"] = "http://127.0.0.1:9/range/"  # nothing listens there
    assert breached.times_seen(BREACHED) is None
    accounts.set_password(officer, BREACHED)
    assert accounts.is_password_of(officer, BREACHED)


def test_switched_off_nothing_is_asked(app, officer):
    app.config["PWNED_PASSWORDS_URL"] = ""
    assert breached.times_seen(BREACHED) is None
