"""Everyone's own account: the browsers signed in to it, its password, its second factor."""

from flask_babel import gettext as _
from sqlalchemy import select

from booking import audit
from booking.auth import services as accounts
from booking.auth import sessions
from booking.auth.models import LoginSession, User
from booking.auth.passwords import UnacceptablePassword
from booking.errors import NotFound
from booking.extensions import db
from booking.rooms.models import Ward
from booking.security import log_event


def own_open_session(user: User, session_id: int) -> LoginSession:
    """One of ``user``'s own open sessions; anyone else's is as if it did not exist."""
    login = db.session.scalar(
        select(LoginSession).where(
            LoginSession.id == session_id,
            LoginSession.user_id == user.id,
            LoginSession.ended_at.is_(None),
        )
    )
    if login is None:
        raise NotFound(_("そのログインは見つからないか、既に終わっています。"))
    return login


def end_session(user: User, session_id: int) -> None:
    """Sign one of the user's other browsers out."""
    sessions.end(own_open_session(user, session_id))
    log_event("session.end", user.id)


def end_other_sessions(user: User) -> int:
    """Sign out every browser but this one; how many were signed out."""
    ended = sessions.end_all(user, keep=user.login_session)
    log_event("sessions.end_others", user.id)
    return ended


class WrongCurrentPassword(UnacceptablePassword):
    field = "current_password"


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password, given the current one; every other browser is signed out."""
    if not accounts.is_password_of(user, current):
        log_event("password.change_refused", user.id)
        raise WrongCurrentPassword(_("今のパスワードが違います。"))
    accounts.set_password(user, new, by=user, keep=user.login_session)


def choose_mail(user: User, choices: dict[str, bool]) -> None:
    """Keep which e-mails the user wants; the audit event names what changed."""
    changed = sorted(name for name, value in choices.items() if getattr(user, name) != value)
    for name in changed:
        setattr(user, name, choices[name])
    if changed:
        audit.record(user, "user.mail_choices", user, changed=changed)


DETAILS = ("name_kana", "phone", "home_ward")


def update_details(user: User, values: dict[str, str | None]) -> list[str]:
    """Keep the user's own phone, home ward and name reading; the names of what changed."""
    if values.get("home_ward") is not None:
        values["home_ward"] = Ward(values["home_ward"]).value
    changed = sorted(name for name in DETAILS if getattr(user, name) != values.get(name))
    for name in changed:
        setattr(user, name, values.get(name))
    if changed:
        audit.record(user, "user.update_own", user, changed=changed)
    return changed
