"""Invitations: a new account gets no password, but an e-mailed single-use link to set one."""

from types import SimpleNamespace

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from booking import audit
from booking.auth import services as accounts
from booking.auth import tokens
from booking.auth.models import AccountToken, TokenPurpose, User
from booking.errors import Gone, InvalidInput
from booking.notify.outbox import enqueue, enqueue_letters, japanese_mail, public_url

INVITATION_SUBJECT = _l("【札幌市】保護司面談室予約のご案内")


def invite(user: User, *, by: User | None) -> None:
    """E-mail ``user`` a link to set their password; an earlier link stops working."""
    if not user.email:
        raise InvalidInput(_("メールアドレスのない方には、案内状を印刷してお渡しください。"))
    raw = tokens.issue(user, TokenPurpose.INVITATION, by=by)
    link = public_url("auth.invitation", token=raw)
    message = japanese_mail(
        user.email, INVITATION_SUBJECT, "notify/account_invitation.txt", user=user, link=link
    )
    enqueue("account.invitation", message)
    audit.record(by, "user.invite", user)


def invited(raw: str) -> User:
    """The account an invitation link is for, if the link can still be used."""
    return usable(raw).user


def usable(raw: str) -> AccountToken:
    return tokens.usable(
        raw,
        TokenPurpose.INVITATION,
        _(
            "この案内のリンクは使えません（使用済みか、期限の7日を過ぎています）。"
            "市の担当者に新しい案内を頼んでください。"
        ),
    )


def accept(raw: str, password: str) -> User:
    """Set the invited account's first password; the link is spent."""
    token = usable(raw)
    user = token.user
    accounts.ensure_acceptable_password(user, password)
    if not tokens.use(token):
        raise Gone(_("この案内のリンクは、たった今使われました。"))
    accounts.set_password(user, password, by=user)
    audit.record(user, "user.invitation_accepted", user)
    return user


def invite_many(people: list, *, by: User | None) -> None:
    """Invite accounts just made (``people`` have id, name and email), as invite() does one,
    in two statements whatever their number: an import of thousands makes no row-by-row
    round trips. Each account's own audit event (its creation) says it was invited."""
    raws = tokens.issue_many([person.id for person in people], TokenPurpose.INVITATION, by=by)
    # Written once with markers, then filled in: the same text invite() renders for each.
    name, token = "\x00name\x00", "~token~"  # "~" is kept as it is in a URL path
    with force_locale("ja"):
        link = public_url("auth.invitation", token=token)
        body = render_template(
            "notify/account_invitation.txt", user=SimpleNamespace(name=name), link=link
        )
        subject = str(INVITATION_SUBJECT)
    letters = [
        (person.email, body.replace(name, person.name).replace(token, raw))
        for person, raw in zip(people, raws, strict=True)
    ]
    enqueue_letters("account.invitation", subject, letters)
