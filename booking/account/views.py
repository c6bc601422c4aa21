"""/account: each person's own account, the browsers signed in to it, its password."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from booking.account import services
from booking.auth import sessions
from booking.extensions import db

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("")
@login_required
def index():
    """The account's details and the browsers where it is signed in."""
    config = current_app.config
    open_sessions = sessions.open_sessions(
        current_user, lifetime=config["PERMANENT_SESSION_LIFETIME"], idle=config["SESSION_IDLE"]
    )
    return render_template(
        "account/index.html", sessions=open_sessions, this_session=current_user.login_session
    )


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    """Sign one other browser out (a lost phone, a shared computer)."""
    services.end_session(current_user, session_id)
    db.session.commit()
    flash(_("その端末からログアウトしました。"))
    return redirect(url_for(".index"))


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions():
    """Sign every other browser out."""
    services.end_other_sessions(current_user)
    db.session.commit()
    flash(_("ほかの端末から全てログアウトしました。"))
    return redirect(url_for(".index"))
