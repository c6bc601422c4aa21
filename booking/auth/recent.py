"""The password asked again before what could let someone stay in or lock the owner out
(ASVS 7.5.1, 7.5.2): setting up a second factor, ending sessions.

A login, or the password typed again, counts for ``RECENT``. The mark is kept in the signed
session cookie and tied to this login session, so it cannot be carried to another one.
"""

from datetime import timedelta
from functools import wraps

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from booking.auth import services as accounts
from booking.auth.models import User
from booking.errors import InvalidInput
from booking.security import log_event
from booking.timeutil import now_utc

RECENT = timedelta(minutes=10)
MARK = "password_confirmed"


class WrongPassword(InvalidInput):
    status = 422
    field = "password"


def mark(user: User) -> None:
    """Note that ``user`` has just proved who they are, on this login."""
    session[MARK] = {"login": user.login_session.id, "at": now_utc().timestamp()}


def is_recent(user: User) -> bool:
    marked = session.get(MARK) or {}
    return (
        user.login_session is not None
        and marked.get("login") == user.login_session.id
        and now_utc().timestamp() - marked.get("at", 0) < RECENT.total_seconds()
    )


def confirm(user: User, password: str) -> None:
    """Accept the user's own password, typed again."""
    if not accounts.is_password_of(user, password):
        log_event("password.confirm_refused", user.id)
        raise WrongPassword(_("パスワードが違います。"))
    mark(user)
    log_event("password.confirmed", user.id)


def required(back_to: str):
    """A view that acts only within ``RECENT`` of a login or a confirmation; otherwise the
    password is asked, then the person is taken back to ``back_to`` (an endpoint) to act."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if is_recent(current_user):
                return view(*args, **kwargs)
            flash(_("この操作の前に、ご本人確認のためパスワードをもう一度入力してください。"))
            back = url_for(back_to) if request.method == "POST" else request.full_path
            return redirect(url_for("account.confirm_password", next=back))

        return guarded

    return decorate
