"""The second factor: TOTP codes (RFC 6238) from an authenticator app, and recovery codes."""

import hashlib
import hmac
import secrets
import unicodedata

import pyotp
import segno
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from sqlalchemy import delete, select

from booking import audit
from booking.auth import services as accounts
from booking.auth import sessions
from booking.auth.models import RecoveryCode, User
from booking.errors import InvalidInput, NotAllowed
from booking.extensions import db
from booking.security import log_event
from booking.timeutil import now_utc

ISSUER = "札幌市 面談室予約"
RECOVERY_CODES = 10
# No 0/o, 1/l/i: a code read off paper by someone over 60 must not be ambiguous.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10


class WrongCode(InvalidInput):
    status = 422
    field = "code"


def normalize(text: str) -> str:
    """Full-width digits, spaces and hyphens as typed on a phone, folded away."""
    return "".join(unicodedata.normalize("NFKC", text or "").split()).replace("-", "").lower()


def start_enrolment(user: User) -> None:
    """Give the account a new secret; it counts only after a code confirms it."""
    if user.has_two_factor:
        raise InvalidInput(_("2段階認証は既に設定されています。"))
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.sign_in_name, issuer_name=ISSUER)


def qr_code(user: User) -> str:
    """The secret as a QR code: an SVG data: URI made here, for the page's <img>."""
    return segno.make(provisioning_uri(user), error="m").svg_data_uri(scale=5, border=2)


def grouped_secret(user: User) -> str:
    """The secret in groups of four, for typing it into the app by hand."""
    secret = user.totp_secret or ""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def accept_totp(user: User, code: str) -> bool:
    """True for the current code (or its neighbour, for a slow clock) not used before."""
    totp = pyotp.TOTP(user.totp_secret)
    now = totp.timecode(now_utc())
    for step in (now - 1, now, now + 1):
        fresh = user.totp_last_step is None or step > user.totp_last_step
        if fresh and hmac.compare_digest(totp.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Switch the second factor on once a code proves the app has the secret."""
    if user.totp_secret is None or user.has_two_factor:
        raise InvalidInput(_("もう一度、設定を始めてください。"))
    if not accept_totp(user, normalize(code)):
        log_event("two_factor.enrol_failed", user.id)
        raise WrongCode(
            _("確認コードが違います。アプリに今表示されている6桁の数字を入力してください。")
        )
    user.totp_confirmed_at = now_utc()
    audit.record(user, "user.two_factor_enable", user)
    log_event("two_factor.enabled", user.id)
    return new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh single-use codes, replacing any earlier ones; only their hashes are kept.

    A code has about 50 bits, so each is hashed like a password (argon2id, salted).
    """
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=accounts.hasher.hash(c)) for c in codes
    )
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def is_code(stored: str, code: str) -> bool:
    if not stored.startswith("$argon2"):  # made before codes were hashed with argon2
        return hmac.compare_digest(stored, hashlib.sha256(code.encode()).hexdigest())
    try:
        return accounts.hasher.verify(stored, code)
    except (VerificationError, InvalidHashError):
        return False


def use_recovery_code(user: User, code: str) -> bool:
    """True, and the code is spent, when it is one of the user's unused codes.

    Salted hashes cannot be looked up, so each unused code (ten at most) is checked.
    """
    if len(code) != RECOVERY_LENGTH:
        return False
    unused = db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    found = next((row for row in unused if is_code(row.code_hash, code)), None)
    if found is not None:
        found.used_at = now_utc()
    return found is not None


def verify(user: User, typed: str) -> None:
    """Accept a current TOTP code or an unused recovery code, or raise WrongCode."""
    code = normalize(typed)
    ok = accept_totp(user, code) if code.isdigit() else use_recovery_code(user, code)
    if not ok:
        log_event("two_factor.failed", user.id)
        raise WrongCode(
            _("確認コードが違います。アプリの6桁の数字か、予備のコードを入力してください。")
        )
    log_event("two_factor.passed", user.id)


def reset(user: User, *, by: User | None) -> None:
    """Remove an account's second factor (a lost phone); staff must enrol again at login."""
    if by is not None and not by.is_admin:
        raise NotAllowed(_("この操作はできません。"))
    user.totp_secret = user.totp_confirmed_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    sessions.end_all(user)
    audit.record(by, "user.two_factor_reset", user)
    log_event("two_factor.reset", user.id)
