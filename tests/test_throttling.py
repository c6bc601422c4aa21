"""Login throttling that slows guessing without locking the owner out."""

import multiprocessing
import secrets
import socket

import pytest
from sqlalchemy import select

from booking import create_app
from booking.auth.models import LoginSession
from booking.extensions import db
from tests.conftest import Client, config_for, csrf_token, log_in


def throttled_app(database_url, **settings):
    defaults = {"RATELIMIT_ENABLED": True, "LOGIN_LIMIT_PER_ACCOUNT": "3 per 10 minutes"}
    app = create_app(config_for(database_url, **(defaults | settings)))
    app.test_client_class = Client
    return app


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_failures_from_one_place_do_not_lock_the_owner_out_elsewhere(database_url, officer):
    app = throttled_app(database_url)
    attacker = client_at(app, "203.0.113.66")
    statuses = [log_in(attacker, officer.email, "guess").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    owner = client_at(app, "198.51.100.10")
    assert log_in(owner, officer.email).status_code == 302


def test_good_logins_do_not_count(database_url, officer):
    app = throttled_app(database_url)
    for _ in range(5):
        assert log_in(client_at(app, "198.51.100.10"), officer.email).status_code == 302


def test_the_per_address_limit_still_holds_across_accounts(database_url, officer):
    app = throttled_app(database_url, LOGIN_LIMIT_PER_IP="4 per 10 minutes")
    sprayer = client_at(app, "203.0.113.66")
    statuses = [log_in(sprayer, f"person{n}@example.jp", "guess").status_code for n in range(5)]
    assert statuses == [422, 422, 422, 422, 429]


def test_a_throttled_answer_says_when_to_try_again(database_url, officer):
    app = throttled_app(database_url)
    client = client_at(app, "203.0.113.66")
    for _ in range(3):
        log_in(client, officer.email, "guess")
    response = log_in(client, officer.email, "guess")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 601
    page = response.get_data(as_text=True)
    assert "操作の回数が多すぎます" in page
    assert "分ほど待ってから" in page


def behind_proxy(app, forwarded_for: str):
    client = client_at(app, "10.0.0.2")
    client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client


def test_behind_a_trusted_proxy_each_client_has_its_own_address(database_url, officer):
    app = throttled_app(database_url, TRUSTED_PROXIES=1)
    attacker = behind_proxy(app, "203.0.113.66")
    statuses = [log_in(attacker, officer.email, "guess").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    assert log_in(behind_proxy(app, "198.51.100.10"), officer.email).status_code == 302
    assert db.session.scalar(select(LoginSession.client_address)) == "198.51.100.10"


def test_without_trusted_proxies_forwarded_addresses_are_ignored(app, officer):
    log_in(behind_proxy(app, "203.0.113.66"), officer.email)
    assert db.session.scalar(select(LoginSession.client_address)) == "10.0.0.2"


def redis_is_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


def failed_login_elsewhere(database_url: str, settings: dict, email: str, address: str) -> int:
    """One wrong password through another app server: a fresh process, memory of its own."""
    app = throttled_app(database_url, **settings)
    with app.app_context():
        return log_in(client_at(app, address), email, "guess").status_code


@pytest.mark.skipif(not redis_is_reachable(), reason="no Redis at 127.0.0.1:6379")
@pytest.mark.parametrize(
    ("storage", "elsewhere"),
    [("redis://127.0.0.1:6379/15", 429), ("memory://", 422)],
)
def test_app_servers_share_the_counters_only_through_redis(
    database_url, officer, storage, elsewhere
):
    """Failures counted by one server hold on another with Redis; each counts alone in memory."""
    settings = {"RATELIMIT_STORAGE_URI": storage}
    address = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"  # fresh counters
    here = throttled_app(database_url, **settings)
    statuses = [
        log_in(client_at(here, address), officer.email, "guess").status_code for _ in range(3)
    ]
    assert statuses == [422, 422, 422]
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        status = pool.apply(
            failed_login_elsewhere, (database_url, settings, officer.email, address)
        )
    assert status == elsewhere
    if storage.startswith("redis"):
        import redis

        connection = redis.Redis.from_url(storage)
        for key in connection.scan_iter(f"*{address}*"):
            connection.delete(key)


def test_every_page_has_a_limit_per_address_but_health_checks_and_feeds_do_not(
    database_url, officer
):
    from booking.feeds import services as feeds
    from booking.feeds.models import Feed, FeedKind

    app = throttled_app(database_url, PAGE_LIMIT_PER_IP="3 per minute")
    token = feeds.issue(officer, Feed(FeedKind.MINE), by=officer)
    db.session.commit()
    client = client_at(app, "203.0.113.66")
    statuses = [client.get("/rooms/").status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]  # to the login page, until the limit
    assert "操作の回数が多すぎます" in client.get("/calendar").get_data(as_text=True)
    assert all(client.get("/healthz").status_code == 200 for _ in range(5))
    assert all(client.get(f"/feeds/{token}.ics").status_code == 200 for _ in range(5))
    assert client_at(app, "198.51.100.10").get("/rooms/").status_code == 302


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/account/confirm", {"password": "guess"}),
        ("/account/email", {"new_email": "new@example.jp", "email_password": "guess"}),
        (
            "/account/password",
            {
                "current_password": "guess",
                "new_password": "春の雪 坂の上 古い時計",
                "new_password_again": "春の雪 坂の上 古い時計",
            },
        ),
    ],
)
def test_guessing_one_s_own_password_on_the_account_pages_is_limited(
    database_url, officer, path, fields
):
    app = throttled_app(database_url)
    client = client_at(app, "198.51.100.10")
    assert log_in(client, officer.email).status_code == 302
    token = csrf_token(client, "/account")
    statuses = [
        client.post(path, data={"csrf_token": token, **fields}).status_code for _ in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
