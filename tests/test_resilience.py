"""Faults survived: the database restarting or locked, and backups that restore."""

import glob
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from booking import create_app
from booking.extensions import db
from booking.reservations.models import Reservation
from tests.conftest import TEST_PASSWORD, Client, booked, config_for, csrf_token, log_in, row_count

# --- SQLite: backup and restore, a locked database -------------------------------------------


def test_backup_restores_into_a_new_database_that_serves_the_same_reservations(
    app, backend, room, officer, now, tmp_path
):
    if backend != "sqlite":
        result = app.test_cli_runner().invoke(args=["db", "backup", str(tmp_path / "b.db")])
        assert result.exit_code != 0 and "pg_dump" in result.output
        return
    kept = booked(room, officer, "10:00")
    backup = tmp_path / "backup.sqlite3"
    result = app.test_cli_runner().invoke(args=["db", "backup", str(backup)])
    assert result.exit_code == 0, result.output

    fresh = create_app(config_for(f"sqlite:///{tmp_path}/restored.sqlite3"))
    with fresh.app_context():  # the new server's own commands, on its own database
        runner = fresh.test_cli_runner()
        assert runner.invoke(args=["db", "restore", str(backup)]).exit_code != 0  # no --yes
        result = runner.invoke(args=["db", "restore", str(backup), "--yes"])
        assert result.exit_code == 0, result.output
        client = fresh.test_client()
        assert log_in(client, officer.email, TEST_PASSWORD).status_code == 302
        page = client.get("/reservations/").get_data(as_text=True)
        assert f"/reservations/{kept.public_id}" in page
        assert db.session.scalar(select(Reservation.public_id)) == kept.public_id
        db.engine.dispose()


def test_a_damaged_backup_is_refused(app, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("SQLite's backup; PostgreSQL uses pg_dump")
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"this is not a database" * 100)
    result = app.test_cli_runner().invoke(args=["db", "restore", str(broken), "--yes"])
    assert result.exit_code != 0 and "not a usable backup" in result.output


def test_a_locked_database_is_a_503_and_changes_nothing(app, backend, client, room, officer, now):
    if backend != "sqlite":
        pytest.skip("SQLite's write lock")
    log_in(client, officer.email)
    token = csrf_token(client, f"/rooms/{room.id}/reserve")
    app.config["SQLITE_BUSY_TIMEOUT_MS"] = 50
    db.engine.dispose()  # new connections take the short timeout
    holder = sqlite3.connect(db.engine.url.database)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        app.config["PROPAGATE_EXCEPTIONS"] = False
        response = client.post(
            f"/rooms/{room.id}/reserve",
            data={
                "day": "2025-04-08",
                "start": "10:00",
                "minutes": "60",
                "probation_officer": "none",
                "idempotency_key": "locked",
                "csrf_token": token,
            },
        )
    finally:
        holder.rollback()
        holder.close()
    assert response.status_code == 503
    assert "ただいま使えません" in response.get_data(as_text=True)
    assert row_count(Reservation) == 0


# --- PostgreSQL restarting under the app -----------------------------------------------------


def pg_tool(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def as_postgres(*command: str) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)


@pytest.fixture
def own_cluster():
    """A throwaway PostgreSQL cluster on its own port, to stop and start at will."""
    initdb, pg_ctl = pg_tool("initdb"), pg_tool("pg_ctl")
    if not (initdb and pg_ctl and shutil.which("runuser")) or os.geteuid() != 0:
        message = "needs PostgreSQL's initdb and pg_ctl, run as root through runuser"
        if os.environ.get("REQUIRE_TOOLS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    home = Path(tempfile.mkdtemp(prefix="booking-pg-"))
    shutil.chown(home, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = home / "data"
    as_postgres(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"

    def start():
        as_postgres(pg_ctl, "-D", str(data), "-o", options, "-l", str(home / "log"), "-w", "start")

    def stop():
        as_postgres(pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop")

    start()
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", start, stop
    finally:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(home, ignore_errors=True)


def test_the_app_serves_again_after_postgresql_restarts(own_cluster, tmp_path):
    url, start, stop = own_cluster
    app = create_app(config_for(url, PROPAGATE_EXCEPTIONS=False))
    app.test_client_class = Client  # each request in its own app context, as in production
    with app.app_context():
        flask_migrate.upgrade()
        from booking.auth import services as accounts
        from booking.auth.models import Role

        accounts.create_user("restart@example.jp", "再起動 確認", Role.OFFICER, TEST_PASSWORD)
        db.session.commit()
        client = app.test_client()
        assert log_in(client, "restart@example.jp").status_code == 302
        assert client.get("/reservations/").status_code == 200

        stop()
        during = client.get("/reservations/")
        assert during.status_code == 503
        assert "ただいま使えません" in during.get_data(as_text=True)
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200

        start()  # the same app, not restarted: its pool checks connections before use
        assert client.get("/reservations/").status_code == 200
        assert client.get("/readyz").status_code == 200
        with db.engine.connect() as connection:
            assert connection.execute(sa.text('SELECT count(*) FROM "user"')).scalar() == 1
        db.session.remove()
        db.engine.dispose()
