"""The domain errors, and their one mapping to HTTP responses."""

from flask import Flask, g, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from booking.extensions import login_manager


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
    texts = _page_texts()
    title, hint = texts.get(status, texts[500 if status >= 500 else 400])
    return render_template("errors/error.html", title=title, hint=hint, detail=detail), status


def init_app(app: Flask) -> None:
    """Register the one mapping from errors to responses."""

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return render_error(error.status, error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):
        return render_error(
            400, _("画面の有効期限が切れたか、送信が正しくありません。もう一度操作してください。")
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_error(error.code or 500)

    @app.errorhandler(OperationalError)
    def database_unavailable(_error: OperationalError):
        # Down, restarting, locked or out of disk: nothing of this request was committed.
        app.logger.warning("database unavailable")
        if "_login_user" not in g:  # the page must not ask the database who is signed in
            g._login_user = login_manager.anonymous_user()
        body, status = render_error(503)
        return body, status, {"Retry-After": "30"}

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("unexpected error")
        return render_error(500)
