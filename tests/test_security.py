"""Security headers, caching of private pages, the production secret key."""

import pytest

from booking import create_app
from booking.auth.models import Role
from tests.conftest import booked, config_for, log_in


def test_permissions_policy_denies_device_features(client):
    policy = client.get("/login").headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in policy


def test_hsts_only_in_production(database_url):
    production = create_app(config_for(database_url, PRODUCTION=True, SECRET_KEY="k" * 32))
    development = create_app(config_for(database_url))
    hsts = production.test_client().get("/login").headers["Strict-Transport-Security"]
    assert hsts == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in development.test_client().get("/login").headers


@pytest.mark.parametrize("key", [None, "", "short", "x" * 31])
def test_production_refuses_a_short_secret_key(database_url, key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config_for(database_url, PRODUCTION=True, SECRET_KEY=key))


@pytest.mark.parametrize("path", ["/", "/reservations/", "/account", "/calendar", "/rooms/"])
def test_a_signed_in_users_pages_are_not_stored(officer_client, path):
    assert officer_client.get(path).headers["Cache-Control"] == "no-store"


def test_after_logout_and_for_strangers_the_login_page_may_be_cached(client):
    assert client.get("/login").headers.get("Cache-Control") != "no-store"


def test_exports_are_not_stored(officer_client, officer, room, now):
    reservation = booked(room, officer)
    response = officer_client.get(f"/reservations/{reservation.public_id}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_desk_csv_is_not_stored(client, make_user, facility, room, now):
    manager = make_user(Role.MANAGER, facilities=[facility])
    log_in(client, manager.email)
    response = client.get(f"/manage/facilities/{facility.id}/schedule.csv?day=2025-04-08")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_session_cookie_is_signed_with_sha256(app, officer_client):
    from flask.sessions import SecureCookieSessionInterface

    cookie = officer_client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    signature = cookie.rsplit(".", 1)[1]
    assert len(signature) == 43  # 32 bytes of HMAC-SHA-256, base64url without padding
    # The same session signed the old way (HMAC-SHA-1) is not accepted.
    old = SecureCookieSessionInterface().get_signing_serializer(app)
    payload = app.session_interface.get_signing_serializer(app).loads(cookie)
    officer_client.set_cookie(app.config["SESSION_COOKIE_NAME"], old.dumps(payload))
    assert officer_client.get("/reservations/").status_code == 302


REMOTE_DB = "postgresql+psycopg://booking:pw@db.example.jp/booking"


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"SQLALCHEMY_DATABASE_URI": REMOTE_DB}, "DATABASE_URL"),
        ({"SQLALCHEMY_DATABASE_URI": REMOTE_DB + "?sslmode=require"}, "DATABASE_URL"),
        ({"RATELIMIT_STORAGE_URI": "redis://cache.example.jp:6379/0"}, "RATELIMIT_STORAGE_URI"),
        ({"FEED_CACHE_URL": "redis://10.0.0.5/1"}, "FEED_CACHE_URL"),
        ({"MAIL_SERVER": "smtp.example.jp"}, "MAIL_SERVER"),
    ],
)
def test_production_refuses_plain_connections_to_other_hosts(database_url, settings, named):
    config = config_for(database_url, PRODUCTION=True, SECRET_KEY="k" * 32)
    with pytest.raises(RuntimeError, match=named):
        create_app({**config, **settings})


@pytest.mark.parametrize(
    "settings",
    [
        {"SQLALCHEMY_DATABASE_URI": REMOTE_DB + "?sslmode=verify-full"},
        {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://booking@/booking?host=/run/postgresql"},
        {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://booking:pw@127.0.0.1/booking"},
        {"RATELIMIT_STORAGE_URI": "rediss://cache.example.jp:6380/0"},
        {"FEED_CACHE_URL": "redis://127.0.0.1:6379/1"},
        {"MAIL_SERVER": "smtp.example.jp", "MAIL_USE_TLS": True},
        {"MAIL_SERVER": "localhost"},
    ],
)
def test_production_accepts_tls_or_this_host(database_url, settings):
    config = config_for(database_url, PRODUCTION=True, SECRET_KEY="k" * 32)
    create_app({**config, **settings})  # a database is not reached at start
