"""Login sessions: one per signed-in browser, kept on the server so that they can be ended."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from ua_parser import parse as parse_user_agent

from booking.auth.models import LoginSession, User
from booking.extensions import db
from booking.timeutil import now_utc

# last_used_at is written at most this often: a write on every request would cost each page.
TOUCH_EVERY = timedelta(minutes=5)

# Every page of a signed-in user runs it: one statement, built once.
BY_TOKEN = (
    select(LoginSession, User)
    .join(LoginSession.user)
    .where(LoginSession.token_hash == bindparam("token_hash"))
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_summary(user_agent: str) -> str:
    """「iPhone Safari」, 「Windows Edge」: enough to recognise a device, never the raw string."""
    parsed = parse_user_agent(user_agent or "")
    os_name = parsed.os.family if parsed.os else ""
    if os_name == "iOS" and parsed.device:
        os_name = parsed.device.family  # iPhone or iPad says more than iOS
    os_name = {"Mac OS X": "Mac"}.get(os_name, os_name)
    browser = parsed.user_agent.family.removeprefix("Mobile ") if parsed.user_agent else ""
    return " ".join(part for part in (os_name, browser) if part)[:80]


def start(user: User, *, user_agent: str, client_address: str | None) -> LoginSession:
    """Open a login session for ``user``; its raw token is on the user for Flask-Login."""
    token = secrets.token_urlsafe(32)
    now = now_utc()
    login = LoginSession(
        token_hash=hash_token(token),
        user=user,
        created_at=now,
        last_used_at=now,
        device=device_summary(user_agent),
        client_address=client_address,
    )
    db.session.add(login)
    user.login_session, user.login_token = login, token
    return login


def load(token: str, *, lifetime: timedelta, idle: timedelta) -> User | None:
    """The active user whose open, unexpired session this token is, or None."""
    row = db.session.execute(BY_TOKEN, {"token_hash": hash_token(token)}).one_or_none()
    if row is None:
        return None
    login, user = row
    if not user.active or not login.is_current_for(now_utc(), lifetime=lifetime, idle=idle):
        return None
    user.login_session, user.login_token = login, token
    return user


def is_stale(login: LoginSession) -> bool:
    return now_utc() - login.last_used_at >= TOUCH_EVERY


def touch(login_id: int) -> None:
    """Note that a session was used now (for the idle limit and the account page)."""
    db.session.execute(
        update(LoginSession).where(LoginSession.id == login_id).values(last_used_at=now_utc())
    )


def open_sessions(user: User, *, lifetime: timedelta, idle: timedelta) -> list[LoginSession]:
    """The sessions still usable, the most recently used first."""
    now = now_utc()
    query = (
        select(LoginSession)
        .where(
            LoginSession.user_id == user.id,
            LoginSession.ended_at.is_(None),
            LoginSession.created_at > now - lifetime,
            LoginSession.last_used_at > now - idle,
        )
        .order_by(LoginSession.last_used_at.desc(), LoginSession.id.desc())
    )
    return list(db.session.scalars(query))


def end(login: LoginSession) -> None:
    """End one session: its browser is signed out at its next request."""
    if login.ended_at is None:
        login.ended_at = now_utc()


def end_all(user: User, *, keep: LoginSession | None = None) -> int:
    """End every open session of ``user`` but ``keep``; how many were ended."""
    query = update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None)
    )
    if keep is not None:
        query = query.where(LoginSession.id != keep.id)
    return db.session.execute(query.values(ended_at=now_utc())).rowcount
