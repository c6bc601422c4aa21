"""Sapporo's interview room booking system for volunteer probation officers."""

import secrets
from pathlib import Path

from flask import Flask

from booking import catalogs, cli, compression, errors, extensions, security, templating
from booking.admin import views as admin
from booking.auth import views as auth
from booking.feeds import cache as feed_cache
from booking.feeds import views as feeds
from booking.manage import views as manage
from booking.ops import requests
from booking.ops import views as ops
from booking.reservations import views as reservations
from booking.rooms import views as rooms
from config import Config


def create_app(overrides: dict | None = None) -> Flask:
    """Build the booking application."""
    app = Flask(__name__, template_folder="../templates", instance_relative_config=True)
    app.config.from_object(Config)
    app.config.update(overrides or {})
    ensure_secret_key(app)
    catalogs.compile_stale()
    requests.init_app(app)  # first, so that every request has its id and its log line
    compression.init_app(app)  # next, so that it runs after every other hook
    extensions.init_app(app)
    for blueprint in (auth.bp, rooms.bp, reservations.bp, feeds.bp, manage.bp, admin.bp, ops.bp):
        app.register_blueprint(blueprint)
    errors.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    feed_cache.init_app(app)
    cli.init_app(app)
    return app


def ensure_secret_key(app: Flask) -> None:
    """Production must set SECRET_KEY; development generates one once and keeps it."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config["PRODUCTION"]:
        raise RuntimeError("SECRET_KEY must be set when APP_ENV=production")
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    app.config["SECRET_KEY"] = path.read_text().strip()
