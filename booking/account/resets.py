"""Forgotten passwords: an e-mailed single-use link, valid 30 minutes, to choose a new one.

The answer to whoever asks is the same whether or not the address has an account, and the
work is much the same too: the e-mail is written and the request audited either way, and
only for an active account that has this address is a token issued and the e-mail put in
the outbox. The audit event of an unknown address does not name it.
"""

from types import SimpleNamespace

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from booking import audit
from booking.auth import services as accounts
from booking.auth import tokens
from booking.auth.models import AccountToken, TokenPurpose, User
from booking.errors import Gone
from booking.notify.outbox import enqueue, japanese_mail, public_url
from booking.security import log_event

# Written into the e-mail made for an unknown address, which is never sent.
_NOBODY = SimpleNamespace(name="-", email="nobody@invalid")


class Address:
    """What the audit event of a request for an address without an account is about."""

    id = "unknown"


def request_reset(email: str) -> None:
    """Send a reset link to ``email`` if an active account has it; otherwise only log it."""
    user = accounts.find_user(email)
    known = user is not None and user.active
    raw = tokens.issue(user, TokenPurpose.RESET, by=None) if known else "-" * 43
    link = public_url("auth.reset_password", token=raw)
    to = user if known else _NOBODY
    message = japanese_mail(
        to.email,
        _l("【札幌市】パスワードの再設定"),
        "notify/password_reset.txt",
        user=to,
        link=link,
    )
    if known:
        enqueue("account.password_reset", message)
    # Written either way, so that both answers commit a write and take about as long.
    audit.record(None, "user.password_reset_requested", user if known else Address())
    log_event("password.reset_requested", user.id if known else None)


def usable(raw: str) -> AccountToken:
    """The reset token behind ``raw``, if it can still be used."""
    return tokens.usable(
        raw,
        TokenPurpose.RESET,
        _(
            "このリンクは使えません（使用済みか、期限の30分を過ぎています）。"
            "もう一度「パスワードを忘れた時」からお手続きください。"
        ),
    )


def reset(raw: str, password: str) -> User:
    """Set the new password; the link is spent and every session of the account ends."""
    token = usable(raw)
    user = token.user
    accounts.ensure_acceptable_password(user, password)
    if not tokens.use(token):
        raise Gone(_("このリンクは、たった今使われました。"))
    # An invited person who never set a password: this link served as the invitation.
    tokens.withdraw(user, TokenPurpose.INVITATION)
    accounts.set_password(user, password, by=user)
    audit.record(user, "user.password_reset", user)
    log_event("password.reset", user.id)
    return user
