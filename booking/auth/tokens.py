"""Single-use account tokens: links e-mailed to set a password or confirm an address, and
codes printed on paper. Only a token's SHA-256 is stored; using one is a conditional UPDATE,
so two requests racing with the same token cannot both succeed."""

import secrets
import unicodedata
from datetime import timedelta

from sqlalchemy import insert, select, update

from booking.auth.models import AccountToken, TokenPurpose, User
from booking.auth.sessions import hash_token
from booking.errors import Gone
from booking.extensions import db
from booking.timeutil import now_utc

LIFETIMES = {
    TokenPurpose.INVITATION: timedelta(days=7),
    TokenPurpose.LETTER: timedelta(days=30),  # paper goes by post and waits on a table
    TokenPurpose.RESET: timedelta(minutes=30),
    TokenPurpose.EMAIL: timedelta(days=1),
}

# A printed code is typed by hand: no 0/O, 1/I/L, in groups of four (60 bits).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


def new_code() -> str:
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalized_code(typed: str) -> str:
    """What was typed, as printed: full-width to half-width, case and separators ignored."""
    plain = unicodedata.normalize("NFKC", typed).upper()
    kept = "".join(c for c in plain if c.isalnum())
    return "-".join(kept[i : i + 4] for i in range(0, len(kept), 4))


def issue(
    user: User, purpose: TokenPurpose, *, by: User | None, new_email: str | None = None
) -> str:
    """A new token for ``user``; earlier unused ones of the same purpose stop working.

    Returns the raw token (a URL-safe link token, or a printable code for letters), which is
    shown or sent once and never stored.
    """
    now = now_utc()
    withdraw(user, purpose)
    raw = new_code() if purpose is TokenPurpose.LETTER else secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(raw),
            new_email=new_email,
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
            created_by_id=by.id if by is not None else None,
        )
    )
    db.session.flush()
    return raw


def withdraw(user: User, purpose: TokenPurpose) -> None:
    """Make every unused token of ``purpose`` for ``user`` unusable."""
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now_utc())
    )


def find(raw: str, purpose: TokenPurpose) -> AccountToken | None:
    """The usable token behind ``raw`` (unused, unexpired, of an active account), or None."""
    if not raw or len(raw) > 100:
        return None
    if purpose is TokenPurpose.LETTER:
        raw = normalized_code(raw)
    token = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == hash_token(raw), AccountToken.purpose == purpose
        )
    )
    if token is None or not token.is_usable(now_utc()) or not token.user.active:
        return None
    return token


def usable(raw: str, purpose: TokenPurpose, gone: str) -> AccountToken:
    """The usable token behind ``raw``; otherwise Gone, with ``gone`` telling the person
    what to do instead."""
    token = find(raw, purpose)
    if token is None:
        raise Gone(gone)
    return token


def use(token: AccountToken) -> bool:
    """Spend ``token``; False when another request spent it first."""
    spent = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=now_utc())
        .execution_options(synchronize_session=False)
    )
    return spent.rowcount == 1


def issue_many(user_ids: list[int], purpose: TokenPurpose, *, by: User | None) -> list[str]:
    """A new link token for each of ``user_ids`` (accounts just made: none has one yet),
    written in one statement; the raw tokens, in the same order."""
    now = now_utc()
    raws = [secrets.token_urlsafe(32) for _ in user_ids]
    rows = [
        {
            "user_id": user_id,
            "purpose": purpose,
            "token_hash": hash_token(raw),
            "new_email": None,
            "created_at": now,
            "expires_at": now + LIFETIMES[purpose],
            "used_at": None,
            "created_by_id": by.id if by is not None else None,
        }
        for user_id, raw in zip(user_ids, raws, strict=True)
    ]
    if rows:
        db.session.execute(insert(AccountToken.__table__), rows)
    return raws
