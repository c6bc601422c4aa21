"""The officers' CSV import for `make bench`: the preview and the confirmation of a 5,000-row
file (Excel's CP932, CRLF), as ratios to the trivial endpoint measured alongside.

Each round uploads a file of 5,000 new officers (the upload and the preview page together
are "the preview"), then confirms it: 5,000 accounts, invitations and audit events written
in a few statements. A re-import of the same file (all unchanged) is timed as well. No
target is set by the issue: the figures are reported only.

Run alone with ``.venv/bin/python -m bench.imports [--postgresql]``; ``run()`` gives the lines.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time

import flask_migrate
import pyotp

# A module import: bench.run imports this module in turn, for `make bench`.
import bench.run as bulk
import booking.timeutil
from booking.auth import services as accounts
from booking.auth.models import Role
from booking.extensions import db

ROWS = 5_000
ROUNDS = 3
TRIVIAL_REPS = 100
PASSWORD = "bench horse battery staple"


def officers_csv(round_: int) -> bytes:
    lines = ["氏名,ふりがな,メールアドレス,電話番号,居住区"]
    lines += [
        f"保護司 {n}号,ほごし,r{round_}.officer{n}@bench.example.jp,090-{1000 + n:04d}-5678,中央区"
        for n in range(ROWS)
    ]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def signed_in_admin(app):
    with app.app_context():
        admin = accounts.create_user(
            "admin@bench.example.jp", "ベンチ 管理者", Role.ADMIN, PASSWORD
        )
        admin.totp_secret = pyotp.random_base32()
        admin.totp_confirmed_at = bulk.NOW
        db.session.commit()
        secret = admin.totp_secret
    client = app.test_client()
    client.post("/login", data={"email": "admin@bench.example.jp", "password": PASSWORD})
    client.post("/login/code", data={"code": pyotp.TOTP(secret).at(bulk.NOW)})
    return client


def timed(call, *args, **kwargs):
    started = time.perf_counter()
    response = call(*args, **kwargs)
    return response, time.perf_counter() - started


def preview(client, data: bytes):
    """Upload and preview page, as the admin waits for them; the confirm path and seconds."""
    upload = {"file": (io.BytesIO(data), "officers.csv")}
    posted, first = timed(client.post, "/admin/accounts/import", data=upload)
    if posted.status_code != 302:
        raise RuntimeError(f"upload answered {posted.status_code}")
    page, second = timed(client.get, posted.location)
    html = page.get_data(as_text=True)
    digest = html.split('name="digest" type="hidden" value="', 1)[1][:64]
    return posted.location, digest, first + second


def measure(name: str, url: str) -> list[str]:
    booking.timeutil.frozen_now = bulk.NOW
    app = bulk.make_app(url)
    try:
        with app.app_context():
            flask_migrate.upgrade(directory=str(bulk.MIGRATIONS))
        client = signed_in_admin(app)
        for _ in range(10):
            client.get("/_bench/ok")
        trivial = [timed(client.get, "/_bench/ok")[1] for _ in range(TRIVIAL_REPS)]
        previews, confirms, again = [], [], []
        for round_ in range(ROUNDS):
            data = officers_csv(round_)
            location, digest, seconds = preview(client, data)
            previews.append(seconds)
            response, seconds = timed(client.post, f"{location}/confirm", data={"digest": digest})
            if response.status_code != 302:
                raise RuntimeError(f"confirm answered {response.status_code}")
            confirms.append(seconds)
            again.append(preview(client, data)[2])
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        booking.timeutil.frozen_now = None
    base = statistics.median(trivial)
    lines = [f"   {name}: trivial endpoint {base * 1000:.3f} ms"]
    for label, values in (
        (f"preview of {ROWS:,} new rows (upload + page)", previews),
        (f"confirm of {ROWS:,} new rows", confirms),
        (f"preview of the same {ROWS:,} rows again", again),
    ):
        median = statistics.median(values)
        lines.append(
            f"     {label:<44} {median * 1000:8.1f} ms = {median / base:7.0f}x trivial"
            "   target: none given (reported only)"
        )
    return lines


def run(postgresql_url: str | None = None) -> list[str]:
    """The import's timings on SQLite, and on ``postgresql_url`` too when given."""
    with tempfile.TemporaryDirectory(prefix="imports-bench-") as tmp:
        lines = measure("SQLite", f"sqlite:///{tmp}/imports.sqlite3")
    if postgresql_url:
        bulk.reset_postgresql(postgresql_url)
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
