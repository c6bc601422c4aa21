"""Changing one's own e-mail address: the new address confirms by a link before it takes
effect, and the old one is told, so that a stolen session cannot quietly take the account."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from booking import audit
from booking.auth import services as accounts
from booking.auth import tokens
from booking.auth.models import AccountToken, TokenPurpose, User
from booking.errors import Gone, InvalidInput
from booking.extensions import db
from booking.notify.outbox import enqueue, japanese_mail, public_url
from booking.security import log_event


class AddressTaken(InvalidInput):
    status = 409
    field = "new_email"


class WrongPassword(InvalidInput):
    status = 422
    field = "email_password"


def ensure_free(user: User, address: str) -> None:
    """Refuse an address that another account already has."""
    taken = db.session.scalar(
        select(func.count()).select_from(User).where(User.email == address, User.id != user.id)
    )
    if taken:
        raise AddressTaken(
            _(
                "そのメールアドレスは、ほかのアカウントで使われています。別のアドレスにしてください。"
            )
        )


def request_change(user: User, new_email: str, password: str) -> None:
    """Send a confirmation link to ``new_email``; nothing changes until it is opened."""
    if not accounts.is_password_of(user, password):
        log_event("email.change_refused", user.id)
        raise WrongPassword(_("今のパスワードが違います。"))
    new_email = accounts.normalize_email(new_email)
    if new_email == user.email:
        raise AddressTaken(_("今と同じメールアドレスです。"))
    ensure_free(user, new_email)
    raw = tokens.issue(user, TokenPurpose.EMAIL, by=user, new_email=new_email)
    link = public_url("account.confirm_email", token=raw)
    enqueue(
        "account.email_confirmation",
        japanese_mail(
            new_email,
            _l("【札幌市】メールアドレスの確認"),
            "notify/email_confirmation.txt",
            user=user,
            link=link,
        ),
    )
    audit.record(user, "user.email_change_requested", user)
    log_event("email.change_requested", user.id)


def pending(raw: str) -> AccountToken:
    """The confirmation behind ``raw``, if it can still be used."""
    return tokens.usable(
        raw,
        TokenPurpose.EMAIL,
        _(
            "このリンクは使えません（使用済みか、期限の1日を過ぎています）。"
            "アカウントの画面から、もう一度お手続きください。"
        ),
    )


def confirm(raw: str) -> User:
    """Make the confirmed address the account's own, and tell the old one."""
    token = pending(raw)
    user, new_email = token.user, token.new_email
    ensure_free(user, new_email)
    if not tokens.use(token):
        raise Gone(_("このリンクは、たった今使われました。"))
    old_email, user.email = user.email, new_email
    if old_email:
        enqueue(
            "account.email_changed",
            japanese_mail(
                old_email,
                _l("【札幌市】メールアドレスを変更しました"),
                "notify/email_changed.txt",
                user=user,
                masked=masked(new_email),
            ),
        )
    audit.record(user, "user.email_change", user, changed=["email"])
    log_event("email.change", user.id)
    return user


def masked(address: str) -> str:
    """ta****@docomo.ne.jp: enough for the owner to recognise, too little to use."""
    local, _at, domain = address.partition("@")
    return f"{local[:2]}{'*' * max(3, len(local) - 2)}@{domain}"
