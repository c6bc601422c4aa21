"""The admin area (/admin/): only admins reach it."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from booking.errors import NotAllowed
from booking.extensions import db
from booking.notify import outbox
from booking.notify.models import MessageStatus, OutboxMessage

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def only_admins():
    """Every page here is for city administrators alone."""
    if not current_user.is_admin:
        raise NotAllowed(_("市の管理者のための画面です。"))


@bp.get("/")
def index():
    """What an administrator looks after."""
    failed, _latest = outbox.undelivered(MessageStatus.FAILED)
    return render_template("admin/index.html", failed=failed)


@bp.get("/messages")
def messages():
    """E-mails that failed for good, and those still waiting to go out."""
    return render_template(
        "admin/messages.html",
        failed=outbox.undelivered(MessageStatus.FAILED),
        pending=outbox.undelivered(MessageStatus.PENDING),
    )


@bp.post("/messages/<id:message_id>/retry")
def retry(message_id: int):
    """Put a failed e-mail back in the outbox."""
    outbox.retry(db.get_or_404(OutboxMessage, message_id), by=current_user)
    db.session.commit()
    flash(_("メールをもう一度送ります。"))
    return redirect(url_for(".messages"))


# The pages of accounts, facilities, rooms, closures and the audit log add their routes to
# ``bp``.
from booking.admin import account_views, audit_views, place_views  # noqa: E402, F401
