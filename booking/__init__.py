"""Sapporo's interview room booking system for volunteer probation officers."""

import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy.engine import make_url
from werkzeug.middleware.proxy_fix import ProxyFix

from booking import catalogs, cli, compression, errors, extensions, inputs, security, templating
from booking.account import views as account
from booking.admin import import_views
from booking.admin import views as admin
from booking.auth import views as auth
from booking.feeds import cache as feed_cache
from booking.feeds import views as feeds
from booking.manage import views as manage
from booking.ops import requests
from booking.ops import views as ops
from booking.reports import views as reports
from booking.reservations import views as reservations
from booking.rooms import views as rooms
from config import Config


def create_app(overrides: dict | None = None) -> Flask:
    """Build the booking application."""
    app = Flask(__name__, template_folder="../templates", instance_relative_config=True)
    app.config.from_object(Config)
    app.config.update(overrides or {})
    ensure_secret_key(app)
    ensure_encrypted_backends(app)
    catalogs.compile_stale()
    requests.init_app(app)  # first, so that every request has its id and its log line
    compression.init_app(app)  # next, so that it runs after every other hook
    # Before the extensions (CSRF reads the form) and the blueprints (their routes use its
    # converters).
    inputs.init_app(app)
    extensions.init_app(app)
    blueprints = (auth.bp, account.bp, rooms.bp, reservations.bp, feeds.bp, manage.bp, admin.bp)
    for blueprint in (*blueprints, import_views.bp, reports.bp, ops.bp):
        app.register_blueprint(blueprint)
    errors.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    feed_cache.init_app(app)
    cli.init_app(app)
    trust_proxies(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES proxies, take the client's address and scheme from their headers.

    Without it every user behind a proxy would share the proxy's address (and its login
    throttling bucket); with too many, a client could forge its address.
    """
    count = app.config["TRUSTED_PROXIES"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}


def ensure_encrypted_backends(app: Flask) -> None:
    """Production reaches a database, Redis or mail server on another host only over TLS.

    Connections on this host (a Unix socket or the loopback address) never cross a network.
    """
    if not app.config["PRODUCTION"]:
        return
    config = app.config
    plain = []
    database = make_url(config["SQLALCHEMY_DATABASE_URI"])
    verified = database.query.get("sslmode") in ("verify-full", "verify-ca")
    if database.get_backend_name() == "postgresql" and not is_local(database.host) and not verified:
        plain.append("DATABASE_URL (add ?sslmode=verify-full)")
    for key in ("RATELIMIT_STORAGE_URI", "FEED_CACHE_URL"):
        parts = urlsplit(config.get(key) or "")
        if parts.scheme == "redis" and not is_local(parts.hostname):
            plain.append(f"{key} (use rediss://)")
    mail = config.get("MAIL_SERVER")
    if mail and not is_local(mail) and not (config["MAIL_USE_TLS"] or config["MAIL_USE_SSL"]):
        plain.append("MAIL_SERVER (set MAIL_USE_TLS=1 or MAIL_USE_SSL=1)")
    if plain:
        raise RuntimeError(
            "APP_ENV=production: these reach another host without TLS: " + "; ".join(plain)
        )


def is_local(host: str | None) -> bool:
    """The loopback address, or no host at all (a Unix socket)."""
    return (host or "").strip("[]") in LOCAL_HOSTS or (host or "").startswith("/")


# Sessions and CSRF tokens are signed with it: 256 bits, as `secrets.token_hex(32)` makes.
MIN_SECRET_KEY_BYTES = 32


def ensure_secret_key(app: Flask) -> None:
    """Production must set a long SECRET_KEY; development generates one once and keeps it."""
    key = app.config.get("SECRET_KEY")
    if app.config["PRODUCTION"] and (
        len(str(key or "").encode()) < MIN_SECRET_KEY_BYTES or "change-me" in str(key)
    ):
        raise RuntimeError(
            f"SECRET_KEY must be set, to a secret of at least {MIN_SECRET_KEY_BYTES} bytes, when "
            "APP_ENV=production: python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )
    if key:
        return
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    app.config["SECRET_KEY"] = path.read_text().strip()
