"""Extensions, created once and unbound; ``init_app`` binds them to an application."""

import sqlite3
from datetime import datetime

from flask import Flask, current_app, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry

from booking.timeutil import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base: stable constraint names, and every datetime through UTCDateTime."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)


def _render_item(type_: str, obj, _context):
    """Write the UTC column type into migrations as the plain type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


migrate = Migrate(render_as_batch=True, compare_type=True, render_item=_render_item)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def exempt_from_page_limit() -> bool:
    """Load balancers' checks, static files and feeds (nginx limits feeds by address)."""
    return request.endpoint in ("static", "ops.healthz", "ops.readyz", "feeds.feed")


# All other routes share PAGE_LIMIT_PER_IP per client address (ASVS 2.4.1); logins and codes
# have their own, stricter limits (booking.auth.views).
# (Read per request: the tests build apps with different settings around one limiter.)
limiter = Limiter(
    key_func=get_remote_address,
    application_limits=[lambda: current_app.config["PAGE_LIMIT_PER_IP"]],
    application_limits_exempt_when=exempt_from_page_limit,
)


def select_locale() -> str:
    """The language the user chose (kept in the session), else Japanese."""
    from flask import current_app, has_request_context

    chosen = session.get("lang") if has_request_context() else None
    return chosen if chosen in current_app.config["LANGUAGES"] else "ja"


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record) -> None:
    """WAL, a busy timeout and enforced foreign keys on every SQLite connection."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    from flask import current_app, has_app_context

    timeout = current_app.config["SQLITE_BUSY_TIMEOUT_MS"] if has_app_context() else 15000
    # SQLAlchemy, not pysqlite, begins transactions (see _begin_sqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL cannot corrupt the database; it skips an fsync per commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(timeout)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection) -> None:
    """Write requests take SQLite's write lock when their transaction begins.

    pysqlite's deferred BEGIN lets two requests read "free", then both write; with
    BEGIN IMMEDIATE the second waits (busy timeout) and then sees the first one's row.
    """
    if connection.dialect.name != "sqlite":
        return
    from flask import has_request_context, request

    writing = has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
    writing = writing or connection.get_execution_options().get("sqlite_write_lock", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def init_app(app: Flask) -> None:
    """Bind every extension to ``app``."""
    db.init_app(app)
    migrate.init_app(app, db)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
