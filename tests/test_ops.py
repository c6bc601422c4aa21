"""Health checks for load balancers, the request log, and a 503 while the database is away."""

import json
import logging

import pytest
from sqlalchemy import text

from booking import create_app
from booking.extensions import db
from tests.conftest import config_for, log_in


def test_healthz_answers_without_a_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_when_migrated(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json["status"] == "ready"
    assert "Set-Cookie" not in response.headers


def test_readyz_refuses_a_schema_behind_the_code(app, client):
    current = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    db.session.execute(text("UPDATE alembic_version SET version_num = '0001_foundation'"))
    db.session.commit()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json["problems"] == ["migrations not at head"]
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
        db.session.commit()


@pytest.fixture
def unreachable(tmp_path):
    """The app with a database that cannot be opened: as if its server were down."""
    app = create_app(config_for(f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"))

    @app.get("/_reads")
    def reads():
        return str(db.session.scalar(text("SELECT 1")))

    with app.app_context():
        yield app


def test_readyz_fails_while_the_database_is_down(unreachable):
    response = unreachable.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["problems"] == ["database unreachable"]
    assert unreachable.test_client().get("/healthz").status_code == 200


def test_a_page_while_the_database_is_down_is_a_japanese_503(unreachable):
    unreachable.config["PROPAGATE_EXCEPTIONS"] = False
    response = unreachable.test_client().get("/_reads")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "ただいま使えません" in page and "この操作は記録されていません" in page
    assert "Traceback" not in page and "sqlite" not in page.lower()


def test_one_json_line_per_request_with_the_route_never_the_path(app, client, caplog, officer):
    caplog.set_level(logging.INFO, logger="booking.requests")
    log_in(client, officer.email)
    caplog.clear()
    secret_path = "/feeds/" + "a" * 43 + ".ics"
    response = client.get(secret_path, headers={"X-Request-ID": "from-proxy-123"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "from-proxy-123"
    (record,) = [r for r in caplog.records if r.name == "booking.requests"]
    line = json.loads(record.getMessage())
    assert line["request_id"] == "from-proxy-123"
    assert line["method"] == "GET" and line["status"] == 404
    assert line["route"] == "feeds.feed"
    assert isinstance(line["duration_ms"], float)
    assert "a" * 43 not in record.getMessage() and "/feeds/" not in record.getMessage()


@pytest.mark.parametrize(
    "offered", ["", "short", "x" * 65, "bad id forged", "<script>", "a;b=c/d1234"]
)
def test_an_unusable_request_id_is_replaced(client, offered, caplog):
    caplog.set_level(logging.INFO, logger="booking.requests")
    response = client.get("/healthz", headers={"X-Request-ID": offered})
    given = response.headers["X-Request-ID"]
    assert given != offered and len(given) == 32
    assert json.loads(caplog.records[-1].getMessage())["request_id"] == given
