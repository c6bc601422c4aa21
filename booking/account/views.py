"""/account: each person's own account, the browsers signed in to it, its password."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from booking.account import services
from booking.account.forms import PasswordChangeForm
from booking.auth import sessions
from booking.errors import DomainError
from booking.extensions import db, limiter

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("")
@login_required
def index():
    """The account's details, its password and the browsers where it is signed in."""
    return account_page(PasswordChangeForm())


@bp.post("/password")
@login_required
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=lambda: f"password:{current_user.id}",
)
def change_password():
    """Change the password; the current one is asked for, the other browsers signed out."""
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return account_page(form, 422)
    try:
        services.change_password(current_user, form.current_password.data, form.new_password.data)
    except DomainError as error:
        db.session.rollback()
        form.attach(error)
        return account_page(form, error.status)
    db.session.commit()
    flash(_("パスワードを変更しました。ほかの端末はログアウトしました。"))
    return redirect(url_for(".index"))


def account_page(form: PasswordChangeForm, status: int = 200):
    """/account with the password form as it stands."""
    config = current_app.config
    open_sessions = sessions.open_sessions(
        current_user, lifetime=config["PERMANENT_SESSION_LIFETIME"], idle=config["SESSION_IDLE"]
    )
    page = render_template(
        "account/index.html",
        form=form,
        sessions=open_sessions,
        this_session=current_user.login_session,
    )
    return page, status


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
