"""Configuration, error pages and security headers."""

import sqlite3

import pytest
from werkzeug.exceptions import InternalServerError

from booking import create_app
from booking.extensions import db
from tests.conftest import config_for


def test_unknown_page_is_a_japanese_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.get_data(as_text=True)


def test_unexpected_error_is_a_japanese_500_without_trace(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "システムエラーが発生しました" in page
    assert "Traceback" not in page and "secret internals" not in page


@pytest.mark.parametrize("status", [400, 403, 405])
def test_http_errors_render_in_japanese(app, client, status):
    from flask import abort

    @app.get(f"/fail-{status}")
    def fail():
        abort(status)

    response = client.get(f"/fail-{status}")
    assert response.status_code == status
    assert '<html lang="ja">' in response.get_data(as_text=True)


def test_security_headers(client):
    headers = client.get("/login").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app, backend):
    if backend != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert isinstance(raw, sqlite3.Connection)
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert raw.execute("PRAGMA busy_timeout").fetchone()[0] == 15000


def test_development_secret_key_is_generated_once_and_kept(tmp_path, database_url):
    overrides = config_for(database_url, SECRET_KEY=None, PRODUCTION=False)
    first = create_app(overrides | {"SECRET_KEY": None})
    first.instance_path = str(tmp_path)
    from booking import ensure_secret_key

    first.config["SECRET_KEY"] = None
    ensure_secret_key(first)
    second = create_app(overrides)
    second.instance_path = str(tmp_path)
    second.config["SECRET_KEY"] = None
    ensure_secret_key(second)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_secret_key(database_url):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config_for(database_url, SECRET_KEY=None, PRODUCTION=True))


def test_production_refuses_the_example_files_placeholder_key(database_url):
    placeholder = "change-me-to-64-random-hex-characters-from-secrets.token_hex-32"
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config_for(database_url, SECRET_KEY=placeholder, PRODUCTION=True))


def test_production_cookies_are_secure(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    reloaded = importlib.reload(config)
    try:
        assert reloaded.Config.SESSION_COOKIE_SECURE is True
        assert reloaded.Config.SESSION_COOKIE_NAME == "__Host-session"
        assert reloaded.Config.PRODUCTION is True
    finally:
        monkeypatch.delenv("APP_ENV")
        importlib.reload(config)


def test_csrf_token_never_expires_on_its_own():
    from config import Config

    assert Config.WTF_CSRF_TIME_LIMIT is None


def test_internal_server_error_class_is_mapped(app, client):
    @app.get("/ise")
    def ise():
        raise InternalServerError()

    assert client.get("/ise").status_code == 500


PLANTED = "PLANTED-desk-note-7f3a"


def test_a_database_error_logs_no_submitted_value(
    app, officer_client, room, now, monkeypatch, caplog
):
    """A desk note that was being written when the database failed never reaches the log."""
    from sqlalchemy import select, text

    from booking.reservations import services
    from booking.reservations.models import Reservation
    from tests.conftest import csrf_token

    failing = text("INSERT INTO no_such_table (note) VALUES (:desk_note) RETURNING id")
    monkeypatch.setattr(services, "CREATE", select(Reservation).from_statement(failing))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    path = f"/rooms/{room.id}/reserve"
    data = {
        "day": "2025-04-08",
        "start": "10:00",
        "minutes": "60",
        "probation_officer": "none",
        "desk_note": PLANTED,
        "csrf_token": csrf_token(officer_client, path),
    }
    with caplog.at_level("DEBUG"):
        response = officer_client.post(path, data=data)
    assert response.status_code == 500
    assert "unexpected error" in caplog.text and "reservations.new" in caplog.text
    assert "ProgrammingError" in caplog.text or "OperationalError" in caplog.text
    assert PLANTED not in caplog.text


def test_database_errors_do_not_quote_their_parameters(app):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError) as caught:
        db.session.execute(
            text("SELECT * FROM no_such_table WHERE note = :note"), {"note": PLANTED}
        )
    db.session.rollback()
    assert PLANTED not in str(caught.value)


def test_a_body_over_the_limit_is_a_japanese_413_and_never_parsed(client):
    response = client.post(
        "/login",
        data=b"email=" + b"a" * (10 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert "送られた内容が大きすぎます" in response.get_data(as_text=True)


def test_one_route_may_accept_a_larger_body(app, client):
    from flask import request

    from booking.inputs import accepts_up_to

    @app.post("/import-test")
    @accepts_up_to(3 * 1024 * 1024)
    def import_test():
        return str(len(request.form["file"]))

    app.config["WTF_CSRF_ENABLED"] = False
    body = {"file": "x" * (2 * 1024 * 1024)}
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert client.post("/login", data=body).status_code == 413
    response = client.post("/import-test", data=body)
    assert response.status_code == 200 and response.get_data(as_text=True) == str(2 * 1024 * 1024)


def test_the_body_limit_comes_from_the_environment(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("MAX_CONTENT_LENGTH", "2048")
    try:
        assert importlib.reload(config).Config.MAX_CONTENT_LENGTH == 2048
    finally:
        monkeypatch.delenv("MAX_CONTENT_LENGTH")
        importlib.reload(config)
