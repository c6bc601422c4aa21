"""Passwords, logins and accounts."""

from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select

from booking.auth.models import Role, User
from booking.errors import InvalidInput
from booking.extensions import db
from booking.rooms.models import Facility

hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified when the e-mail is unknown, so that a wrong address takes as long as a wrong password.
_DUMMY_HASH = hasher.hash("not a password of anyone")
MIN_PASSWORD_LENGTH = 10


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None; rehashes outdated hashes."""
    user = find_user(email)
    stored = user.password_hash if user else _DUMMY_HASH
    # The check is slow on purpose; on SQLite a POST's transaction holds the write lock,
    # so end it before checking rather than make every other request wait.
    db.session.rollback()
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


# Every page of a signed-in user runs it: built once, not on each request.
BY_ID = select(User).where(User.id == bindparam("id"))


def load_user(login_id: str) -> User | None:
    """The user a session belongs to, unless that session was revoked or the user deactivated."""
    user_id, _, version = login_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.scalars(BY_ID, {"id": int(user_id)}).one_or_none()
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def ensure_password_acceptable(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。")


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
    ensure_password_acceptable(password)
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


def set_password(user: User, password: str) -> None:
    """Change the password and end every session the user has open."""
    ensure_password_acceptable(password)
    user.password_hash = hasher.hash(password)
    revoke_sessions(user)


def revoke_sessions(user: User) -> None:
    user.session_version = user.session_version + 1


def deactivate(user: User) -> None:
    """Stop the user logging in; open sessions end at their next request."""
    user.active = False
    revoke_sessions(user)
