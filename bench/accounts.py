"""The administrators' account list at 50,000 accounts for `make bench`, as ratios to a
trivial endpoint measured alternately in the same run.

The accounts are loaded with one executemany of precomputed rows (password_hash NULL, so
that nothing is hashed), a tenth of them managers of one of twenty facilities. Timed: the
first page of the list, a search by reading (a LIKE over every row), a search by phone
digits, a filter by facility, a page deep in the list, and the CSV of one facility's
managers. Each page's statements are counted too: they must not grow with the table.
Targets: a page of the list (first, deep, a facility's) within 20x the trivial endpoint; a
text search within 50x, since LIKE '%...%' reads every row (about 50,000 at 2-4 us each;
the matches are then sorted, see accounts.reading_order).

Run alone with ``.venv/bin/python -m bench.accounts [--postgresql]``; ``run()`` gives the lines.
With --postgresql the schema of TEST_DATABASE_URL is dropped and made again.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from datetime import date

import flask_migrate
import pyotp
import sqlalchemy as sa
from sqlalchemy import insert, select

import bench.run as bulk
from booking.auth import services as auth
from booking.auth.models import Role, User, facility_manager
from booking.extensions import db
from booking.rooms.models import Facility, FacilityKind, FeeBasis, Ward

ACCOUNTS = 50_000
FACILITIES = 20
REPS = 30
LIST_TARGET = 20.0
SEARCH_TARGET = 50.0
PASSWORD = "bench password 0123456789"
FAMILY = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
FAMILY_KANA = [
    "サトウ",
    "スズキ",
    "タカハシ",
    "タナカ",
    "イトウ",
    "ワタナベ",
    "ヤマモト",
    "ナカムラ",
    "コバヤシ",
    "カトウ",
]
GIVEN = ["一郎", "花子", "次郎", "幸子", "三郎", "和子", "健", "恵子", "誠", "洋子"]
GIVEN_KANA = [
    "イチロウ",
    "ハナコ",
    "ジロウ",
    "サチコ",
    "サブロウ",
    "カズコ",
    "ケン",
    "ケイコ",
    "マコト",
    "ヨウコ",
]


def account_rows(now) -> list[dict]:
    """50,000 people: names and readings that repeat as real ones do, a phone each, a tenth
    without e-mail (a login id instead), a tenth managers."""
    rows = []
    for n in range(ACCOUNTS):
        family, given = n % 10, (n // 10) % 10
        without_email = n % 10 == 3
        rows.append(
            {
                "email": None if without_email else f"person{n}@bench.example.jp",
                "login_id": f"H{n:06d}" if without_email else None,
                "name": f"{FAMILY[family]} {GIVEN[given]}{n}",
                "name_kana": f"{FAMILY_KANA[family]} {GIVEN_KANA[given]}",
                "phone": f"090-{n // 10000:04d}-{n % 10000:04d}",
                "role": Role.MANAGER.value if n % 10 == 7 else Role.OFFICER.value,
                "active": n % 50 != 1,
                "password_hash": None,
                "created_at": now,
                "home_ward": list(Ward)[n % 10].value,
            }
        )
    return rows


def load(now) -> tuple[int, str]:
    """The facilities, the accounts (one executemany) and their facility links; the id of a
    facility and the admin's TOTP secret."""
    facilities = [
        Facility(
            code=f"bench-{n}",
            ward=list(Ward)[n % 10],
            name_ja=f"ベンチ会館{n}",
            name_en=f"Bench Hall {n}",
            address="札幌市",
            kind=FacilityKind.SUPPORT_CENTER,
            fee_basis=FeeBasis.FULL_EXEMPTION,
            bookable_from=date(2020, 1, 1),
        )
        for n in range(FACILITIES)
    ]
    db.session.add_all(facilities)
    db.session.flush()
    db.session.execute(insert(User), account_rows(now))
    managers = db.session.scalars(select(User.id).where(User.role == Role.MANAGER)).all()
    links = [
        {"user_id": user_id, "facility_id": facilities[i % FACILITIES].id}
        for i, user_id in enumerate(managers)
    ]
    db.session.execute(insert(facility_manager), links)
    admin = User(
        email="bench-admin@example.jp",
        name="ベンチ 管理者",
        role=Role.ADMIN,
        password_hash=auth.hasher.hash(PASSWORD),
        totp_secret=pyotp.random_base32(),
        totp_confirmed_at=now,
    )
    db.session.add(admin)
    db.session.commit()
    return facilities[0].id, admin.totp_secret


def signed_in(app, secret: str):
    client = app.test_client()
    client.post("/login", data={"email": "bench-admin@example.jp", "password": PASSWORD})
    answer = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    if answer.status_code != 302:
        raise RuntimeError(f"the admin's login answered {answer.status_code}")
    return client


class Statements:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def seen(self, *_args):
        self.count += 1

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self.seen)
        return self

    def __exit__(self, *_exc):
        sa.event.remove(self.engine, "before_cursor_execute", self.seen)


def measure(name: str, url: str) -> list[str]:
    now = bulk.NOW
    app = bulk.make_app(url)
    lines = [f"   {name}:"]
    with app.app_context():
        flask_migrate.upgrade(directory=str(bulk.MIGRATIONS))
        started = time.perf_counter()
        facility_id, secret = load(now)
        loaded = time.perf_counter() - started
        engine = db.engine
        db.session.remove()
    lines.append(f"     {ACCOUNTS:,} accounts loaded in {loaded:.1f} s")
    admin = signed_in(app, secret)
    pages = {
        "the first page": ("/admin/accounts", LIST_TARGET),
        "page 500 of 1,000": ("/admin/accounts?page=500", LIST_TARGET),
        "one facility's managers": (f"/admin/accounts?facility={facility_id}", LIST_TARGET),
        "CSV of one facility's managers": (
            f"/admin/accounts.csv?facility={facility_id}",
            LIST_TARGET,
        ),
        "search by reading (たなか)": ("/admin/accounts?q=たなか", SEARCH_TARGET),
        "search by phone (0901234)": ("/admin/accounts?q=0901234", SEARCH_TARGET),
        "search by name and role": ("/admin/accounts?q=佐藤+一郎&role=manager", SEARCH_TARGET),
    }
    for label, (path, target) in pages.items():
        lines.append(time_page(admin, engine, label, path, target))
    engine.dispose()
    return lines


def time_page(client, engine, label: str, path: str, target: float) -> str:
    """The page against the trivial endpoint, alternated; its statements counted."""
    page, trivial = [], []
    for _ in range(3):  # warm-up
        client.get(path)
        client.get("/_bench/ok")
    gc.collect()
    for _ in range(REPS):
        started = time.perf_counter()
        answer = client.get(path)
        page.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code}")
        started = time.perf_counter()
        client.get("/_bench/ok")
        trivial.append(time.perf_counter() - started)
    with Statements(engine) as statements:
        client.get(path)
    ratio = statistics.median(page) / statistics.median(trivial)
    verdict = "PASS" if ratio <= target else "FAIL"
    return (
        f"     {label:<32} {statistics.median(page) * 1000:6.1f} ms, {statements.count}"
        f" statements, trivial {statistics.median(trivial) * 1000:4.1f} ms:"
        f" {ratio:4.0f}x (target <= {target:g}x) {verdict}"
    )


def run(postgresql_url: str | None = None) -> list[str]:
    """The account pages on SQLite, and on ``postgresql_url`` too when given."""
    with tempfile.TemporaryDirectory(prefix="accounts-bench-") as tmp:
        lines = measure("SQLite", f"sqlite:///{tmp}/accounts.sqlite3")
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
