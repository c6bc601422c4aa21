"""Telling an account's owner that someone keeps failing to log in as them."""

from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from booking import audit
from booking.audit import AuditEvent
from booking.auth.models import User
from booking.extensions import db
from booking.notify.outbox import compose, enqueue, public_url
from booking.security import log_event
from booking.timeutil import now_utc

WINDOW = timedelta(hours=1)


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
    with force_locale("ja"):
        body = render_template(
            "notify/account_failed_logins.txt",
            user=user,
            failures=counts["user.login_failed"],
            account_url=public_url("account.index"),
        )
        message = compose(user.email, _("【札幌市】ログインの失敗が続いています"), body)
    enqueue("account.failed_logins", message)
    audit.record(None, "user.failed_logins_warned", user, failures=counts["user.login_failed"])
    log_event("login.failures_warned", user.id)
    return True
