"""Logging in and out, and choosing the language."""

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from booking.auth import services, sessions
from booking.auth.forms import LoginForm
from booking.extensions import db, limiter, login_manager

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(token: str):
    """The user of this browser's login session, unless it ended or expired."""
    config = current_app.config
    user = sessions.load(
        token, lifetime=config["PERMANENT_SESSION_LIFETIME"], idle=config["SESSION_IDLE"]
    )
    if user is not None and sessions.is_stale(user.login_session):
        g.touch_login_session = user.login_session.id
    return user


@bp.after_app_request
def touch_login_session(response):
    """Record, every few minutes at most, that a session is in use."""
    login_id = g.pop("touch_login_session", None)
    if login_id is not None:
        # Whatever the view meant to keep is committed; start a fresh short transaction.
        db.session.rollback()
        sessions.touch(login_id)
        db.session.commit()
    return response


def _login_account_key() -> str:
    # The account AND the client: failures from one place cannot lock the owner out elsewhere.
    email = services.normalize_email(request.form.get("email", ""))
    return f"login-account:{email}:{request.remote_addr}"


def failed(response) -> bool:
    """Only failed attempts count towards the limits: a good login leaves with a redirect."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=failed
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=_login_account_key,
    deduct_when=failed,
)
def login():
    """Log in with e-mail and password, then go back to where the user was heading."""
    if current_user.is_authenticated:
        return redirect(url_for("rooms.find"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            sessions.start(
                user,
                user_agent=request.headers.get("User-Agent", ""),
                client_address=request.remote_addr,
            )
            services.record_login(user)
            db.session.commit()
            session.permanent = True
            login_user(user)
            return redirect(services.safe_next(form.next.data) or url_for("rooms.find"))
        services.record_failed_login(form.email.data)
        db.session.commit()
        form.password.errors.append(_("メールアドレスかパスワードが違います。"))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """End this browser's login session and return to the login page."""
    sessions.end(current_user.login_session)
    services.record_logout(current_user)
    db.session.commit()
    logout_user()
    flash(_("ログアウトしました。"))
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language():
    """Remember the chosen language for this browser."""
    chosen = request.form.get("lang", "")
    if chosen in current_app.config["LANGUAGES"]:
        session["lang"] = chosen
        session.permanent = True
    return redirect(services.safe_next(request.form.get("next")) or url_for("rooms.find"))
