"""Logging in and out, and choosing the language."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from booking.auth import services
from booking.auth.forms import LoginForm
from booking.extensions import db, limiter, login_manager

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = None
login_manager.user_loader(services.load_user)


def _login_account_key() -> str:
    return "login-account:" + services.normalize_email(request.form.get("email", ""))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=_login_account_key,
)
def login():
    """Log in with e-mail and password, then go back to where the user was heading."""
    if current_user.is_authenticated:
        return redirect(url_for("rooms.find"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            session.permanent = True
            login_user(user)
            return redirect(services.safe_next(form.next.data) or url_for("rooms.find"))
        form.password.errors.append(_("メールアドレスかパスワードが違います。"))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """Log out and return to the login page."""
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
