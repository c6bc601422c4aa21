"""Telling an account's owner what they should know: repeated failed logins, and a login
from a device the account has not used lately."""

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from booking import audit
from booking.audit import AuditEvent
from booking.auth.models import LoginSession, User
from booking.extensions import db
from booking.notify.outbox import enqueue, japanese_mail, public_url
from booking.security import log_event
from booking.timeutil import now_utc

WINDOW = timedelta(hours=1)
# A device (「iPhone Safari」) not seen among the account's logins for this long is new.
DEVICE_MEMORY = timedelta(days=180)


def warn_of_failed_logins(user: User) -> bool:
    """E-mail ``user`` when the failures of the last hour reach the configured number.

    At most one warning an hour: the warning is audited, and a recent one is looked for.
    """
    since = now_utc() - WINDOW
    counts = dict(
        db.session.execute(
            select(AuditEvent.action, func.count())
            .where(
                AuditEvent.object_type == "user",
                AuditEvent.object_id == str(user.id),
                AuditEvent.action.in_(("user.login_failed", "user.failed_logins_warned")),
                AuditEvent.at >= since,
            )
            .group_by(AuditEvent.action)
        ).all()
    )
    threshold = current_app.config["FAILED_LOGINS_BEFORE_WARNING"]
    if (
        not user.email
        or counts.get("user.failed_logins_warned")
        or (counts.get("user.login_failed", 0) < threshold)
    ):
        return False
    message = japanese_mail(
        user.email,
        _l("【札幌市】ログインの失敗が続いています"),
        "notify/account_failed_logins.txt",
        user=user,
        failures=counts["user.login_failed"],
        account_url=public_url("account.index"),
    )
    enqueue("account.failed_logins", message)
    audit.record(None, "user.failed_logins_warned", user, failures=counts["user.login_failed"])
    log_event("login.failures_warned", user.id)
    return True


def tell_of_new_device(user: User) -> bool:
    """E-mail ``user`` when this login's device is not among their logins of the last months.

    Not for a first login ever (the owner has only just set the account up), nor for an
    account without e-mail. The device is a summary such as 「iPhone Safari」, never more.
    """
    login = user.login_session
    if login is None or not user.email:
        return False
    db.session.flush()  # this login's own row and id
    others = select(LoginSession.id).where(
        LoginSession.user_id == user.id, LoginSession.id != login.id
    )
    seen_lately = others.where(
        LoginSession.device == login.device,
        LoginSession.created_at >= now_utc() - DEVICE_MEMORY,
    )
    first_ever = db.session.scalar(others.limit(1)) is None
    if first_ever or db.session.scalar(seen_lately.limit(1)) is not None:
        return False
    message = japanese_mail(
        user.email,
        _l("【札幌市】新しい端末からログインがありました"),
        "notify/account_new_device.txt",
        user=user,
        device=login.device or _l("（不明な端末）"),
        when=login.created_at,
        account_url=public_url("account.index"),
    )
    enqueue("account.new_device", message)
    log_event("login.new_device_told", user.id)
    return True
