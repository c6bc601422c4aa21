"""Passwords, logins and accounts."""

import unicodedata
from datetime import timedelta
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from sqlalchemy import select

from booking import audit
from booking.auth import alerts, breached, passwords, sessions
from booking.auth.models import LoginSession, Role, User
from booking.errors import InvalidInput, NotAllowed
from booking.extensions import db
from booking.rooms.models import Facility
from booking.security import log_event
from booking.timeutil import now_utc

hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified when the e-mail is unknown, so that a wrong address takes as long as a wrong password.
_DUMMY_HASH = hasher.hash("not a password of anyone")


# How long a right password waits for its code before the login starts again.
PENDING_LOGIN = timedelta(minutes=10)


def pending_login(pending: dict | None) -> User | None:
    """The active user whose password was right a few minutes ago, still waiting for a code."""
    if not pending or now_utc().timestamp() - pending.get("at", 0) > PENDING_LOGIN.total_seconds():
        return None
    user = db.session.get(User, pending.get("user"))
    return user if user is not None and user.active and user.has_two_factor else None


def record_login(user: User) -> None:
    """Audit and log a good login (the session it opened is already added), and tell the
    owner when it came from a device the account has not used lately."""
    audit.record(user, "user.login", user)
    log_event("login", user.id)
    alerts.tell_of_new_device(user)


def record_failed_login(email: str) -> None:
    """Audit and log a refused login; the answer to the client never says if the account exists.

    Throttling slows a guesser down without locking the owner out; the owner is also told by
    e-mail once failures pile up, so that they can change a password someone is after.
    """
    user = find_user(email)
    if user is not None:
        audit.record(None, "user.login_failed", user)
        alerts.warn_of_failed_logins(user)
    log_event("login.failed", user.id if user else None)


def record_logout(user: User) -> None:
    audit.record(user, "user.logout", user)
    log_event("logout", user.id)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def normalize_login(typed: str) -> str:
    """An e-mail address in lower case, or a login id (H123456) as printed, full-width too."""
    plain = unicodedata.normalize("NFKC", typed or "").strip()
    return plain.lower() if "@" in plain else "".join(plain.split()).upper()


def find_user(email: str) -> User | None:
    """The account with this e-mail address, or with this login id when it has no "@"."""
    login = normalize_login(email)
    if "@" in login:
        return db.session.scalar(select(User).where(User.email == login))
    return db.session.scalar(select(User).where(User.login_id == login)) if login else None


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail (or login id) and password, or None; rehashes
    outdated hashes."""
    user = find_user(email)
    # An account that has no password yet is checked like an unknown one: same time, no.
    stored = (user.password_hash if user else None) or _DUMMY_HASH
    # The check is slow on purpose; on SQLite a POST's transaction holds the write lock,
    # so end it before checking rather than make every other request wait.
    db.session.rollback()
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active or user.password_hash is None:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def create_user(
    email: str, name: str, role: Role, password: str, *, phone=None, facility_ids=()
) -> User:
    """Add an account; managers are linked to the facilities they serve."""
    email = normalize_email(email)
    if "@" not in email:
        raise InvalidInput("メールアドレスの形式が正しくありません。")
    if find_user(email):
        raise InvalidInput(f"{email} は既に登録されています。")
    if not name.strip():
        raise InvalidInput("氏名を入力してください。")
    passwords.ensure_acceptable(password, email=email, name=name)
    breached.ensure_not_breached(password)
    facilities = list(db.session.scalars(select(Facility).where(Facility.id.in_(facility_ids))))
    if len(facilities) != len(set(facility_ids)):
        raise InvalidInput("存在しない施設が指定されました。")
    if facilities and role is not Role.MANAGER:
        raise InvalidInput("施設を担当できるのは施設職員だけです。")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        phone=phone,
        password_hash=hasher.hash(password),
        facilities=facilities,
    )
    db.session.add(user)
    return user


def set_password(
    user: User, password: str, *, by: User | None = None, keep: LoginSession | None = None
) -> None:
    """Change the password and end every session the user has open but ``keep``."""
    ensure_acceptable_password(user, password)
    user.password_hash = hasher.hash(password)
    sessions.end_all(user, keep=keep)
    audit.record(by, "user.password_change", user)
    log_event("password.change", user.id)


def ensure_acceptable_password(user: User, password: str) -> None:
    """Raise UnacceptablePassword when ``password`` will not do for ``user``."""
    passwords.ensure_acceptable(password, email=user.sign_in_name, name=user.name)
    breached.ensure_not_breached(password)


def is_password_of(user: User, password: str) -> bool:
    """True when ``password`` is ``user``'s current one."""
    if user.password_hash is None:
        return False
    try:
        return hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def end_sessions(user: User, *, by: User | None) -> int:
    """Sign ``user`` out everywhere (an admin's act, or the command line's)."""
    if by is not None and not by.is_admin and by.id != user.id:
        raise NotAllowed(_("この操作はできません。"))
    ended = sessions.end_all(user)
    audit.record(by, "user.end_sessions", user, ended=ended)
    log_event("sessions.end_all", user.id)
    return ended


def deactivate(user: User) -> None:
    """Stop the user logging in; open sessions end at their next request."""
    user.active = False
    sessions.end_all(user)
    log_event("account.deactivate", user.id)
