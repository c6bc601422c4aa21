"""Printed letters: an account without e-mail chooses its first password with the login id
and the one-time code printed for it."""

import unicodedata

from flask_babel import gettext as _

from booking import audit
from booking.auth import services as accounts
from booking.auth import tokens
from booking.auth.models import AccountToken, TokenPurpose, User
from booking.errors import Gone, InvalidInput
from booking.extensions import db
from booking.security import log_event
from booking.timeutil import now_utc

# Between a right code and the chosen password: long enough to think of a good one.
PENDING_SECONDS = 30 * 60


class WrongCode(InvalidInput):
    """A wrong login id and a wrong code get this same answer."""

    status = 422
    field = "code"


def normalized_login_id(typed: str | None) -> str:
    """As printed: full-width letters and digits made plain, upper case, no spaces."""
    return "".join(unicodedata.normalize("NFKC", typed or "").split()).upper()


def check(login_id: str, code: str) -> AccountToken:
    """The usable letter token that ``code`` is for ``login_id``; WrongCode otherwise."""
    token = tokens.find(code, TokenPurpose.LETTER)
    if token is None or token.user.login_id != normalized_login_id(login_id):
        log_event("letter.failed", token.user_id if token else None)
        raise WrongCode(
            _(
                "ログインIDか確認コードが違います。紙に書かれたとおりに入力してください。"
                "確認コードの期限が過ぎた時は、市の担当者に新しい紙を頼んでください。"
            )
        )
    return token


def pending(marker: dict | None) -> AccountToken | None:
    """The token a right code was typed for a few minutes ago, if it is still usable."""
    if not marker or now_utc().timestamp() - marker.get("at", 0) > PENDING_SECONDS:
        return None
    token = db.session.get(AccountToken, marker.get("token"))
    if token is None or token.purpose is not TokenPurpose.LETTER:
        return None
    return token if token.is_usable(now_utc()) and token.user.active else None


def accept(token: AccountToken, password: str) -> User:
    """Set the account's password; the printed code is spent."""
    user = token.user
    accounts.ensure_acceptable_password(user, password)
    if not tokens.use(token):
        raise Gone(_("この確認コードは、たった今使われました。"))
    accounts.set_password(user, password, by=user)
    audit.record(user, "user.letter_accepted", user)
    return user
