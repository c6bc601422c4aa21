"""The domain errors, and their one mapping to HTTP responses."""

import math
import time
import traceback

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from booking.extensions import login_manager
from booking.security import log_event


class DomainError(Exception):
    """A rule of the service was broken; the message is shown to the user as it is."""

    status = 422
    field: str | None = None  # the form field the message belongs to, if any

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    status = 400


class NotAllowed(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Gone(DomainError):
    """It was there once and is no more: a used or expired link, a retired room."""

    status = 410


class BookingError(DomainError):
    """A reservation breaks one of the booking rules."""

    field = "start"


class NotBookable(BookingError):
    """The room is not lent at that time: hours, closures, holidays, lending dates."""


class OffTheClock(BookingError):
    """In the past, too far ahead, or off the room's slot step."""


class WrongLength(BookingError):
    field = "minutes"


class TooManyReservations(BookingError):
    field = None


class CautionNeedsStaff(BookingError):
    field = "caution"


class Conflict(BookingError):
    """The room, or the officer, is already booked then."""

    status = 409
    own = None  # the public id of the officer's own reservation in the way, to link to it


class RoomTaken(Conflict):
    pass


class OfficerBusy(Conflict):
    pass


def _page_texts() -> dict[int, tuple[str, str]]:
    return {
        400: (_("リクエストが正しくありません"), _("入力内容を確かめて、もう一度お試しください。")),
        403: (_("この操作はできません"), _("このページを使う権限がありません。")),
        404: (_("ページが見つかりません"), _("アドレスが正しいかお確かめください。")),
        405: (_("この操作はできません"), _("前の画面に戻って、もう一度お試しください。")),
        409: (_("既に予約があります"), _("別の時間か部屋をお選びください。")),
        410: (
            _("この部屋は予約を受け付けていません"),
            _("ほかの部屋を探してください。"),
        ),
        413: (
            _("送られた内容が大きすぎます"),
            _("内容を少なくしてから、もう一度お試しください。"),
        ),
        422: (_("入力内容に問題があります"), _("入力内容を確かめて、もう一度お試しください。")),
        429: (
            _("操作の回数が多すぎます"),
            _("しばらく時間をおいてから、もう一度お試しください。"),
        ),
        500: (
            _("システムエラーが発生しました"),
            _("申し訳ありません。時間をおいてもう一度お試しください。"),
        ),
        503: (
            _("ただいま使えません"),
            _(
                "保守か混雑のため、いまは使えません。この操作は記録されていません。数分後にもう一度お試しください。"
            ),
        ),
    }


def render_error(status: int, detail: str | None = None):
    """The Japanese error page for ``status``; never a stack trace."""
    if status == 403:
        from flask_login import current_user

        from booking.security import log_event

        log_event("forbidden", getattr(current_user, "id", None))
    texts = _page_texts()
    title, hint = texts.get(status, texts[500 if status >= 500 else 400])
    return render_template("errors/error.html", title=title, hint=hint, detail=detail), status


def throttled():
    """429 saying when to try again, in the page and in Retry-After."""
    from booking.extensions import limiter
    from booking.security import log_event

    limit = limiter.current_limit
    wait = max(1, math.ceil(limit.reset_at - time.time())) if limit else 60
    log_event("throttled")
    detail = _(
        "%(minutes)d分ほど待ってから、もう一度お試しください。", minutes=math.ceil(wait / 60)
    )
    body, status = render_error(429, detail)
    return body, status, {"Retry-After": str(wait)}


def init_app(app: Flask) -> None:
    """Register the one mapping from errors to responses."""

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return render_error(error.status, error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):
        log_event("csrf.refused")  # a page kept too long, or a request forged elsewhere
        return render_error(
            400, _("画面の有効期限が切れたか、送信が正しくありません。もう一度操作してください。")
        )

    @app.errorhandler(RateLimitExceeded)
    def too_many(_error: RateLimitExceeded):
        return throttled()

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_error(error.code or 500)

    @app.errorhandler(OperationalError)
    def database_error(error: OperationalError):
        if not is_unavailable(error):
            return unexpected_error(error)
        # Down, restarting, locked or out of disk: nothing of this request was committed.
        app.logger.warning("database unavailable: %s", error_kinds(error))
        if "_login_user" not in g:  # the page must not ask the database who is signed in
            g._login_user = login_manager.anonymous_user()
        body, status = render_error(503)
        return body, status, {"Retry-After": "30"}

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.error(
            "unexpected error %s in %s\n%s",
            error_kinds(error),
            request.endpoint,
            "".join(traceback.format_tb(error.__traceback__)),
        )
        return render_error(500)


# SQLite says why in words; PostgreSQL by SQLSTATE class: connection (08), resources such
# as a full disk (53), the server shutting down (57P). None: no connection was made at all.
SQLITE_UNAVAILABLE = ("locked", "busy", "disk", "unable to open")
POSTGRESQL_UNAVAILABLE = ("08", "53", "57P")


def is_unavailable(error: OperationalError) -> bool:
    """The database cannot serve just now (as opposed to a fault in the code)."""
    if error.connection_invalidated:
        return True
    if error.orig is None or not hasattr(error.orig, "sqlstate"):
        return any(word in str(error.orig).lower() for word in SQLITE_UNAVAILABLE)
    sqlstate = error.orig.sqlstate
    return sqlstate is None or sqlstate.startswith(POSTGRESQL_UNAVAILABLE)


def error_kinds(error: BaseException) -> str:
    """The chain of error types, without their messages.

    Messages are left out of the log on purpose: a database error quotes the row it refused
    (PostgreSQL's DETAIL: Key (...)=(...)), and with it a desk note or an e-mail address.
    """
    kinds, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        kinds.append(f"{type(error).__module__}.{type(error).__qualname__}")
        error = error.__cause__ or error.__context__
    return " <- ".join(kinds)
