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

from booking.account import invitations, letters, resets
from booking.auth import recent, services, sessions, two_factor
from booking.auth.forms import (
    CodeForm,
    ForgotPasswordForm,
    LetterForm,
    LoginForm,
    NewPasswordForm,
)
from booking.auth.passwords import UnacceptablePassword
from booking.errors import DomainError
from booking.extensions import db, limiter, login_manager
from booking.timeutil import now_utc

bp = Blueprint("auth", __name__)

# Between a right password and a right code: whose login it is, since when, where to go next.
PENDING = "pending_login"

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
    login = services.normalize_login(request.form.get("email", ""))
    return f"login-account:{login}:{request.remote_addr}"


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
        target = services.safe_next(form.next.data)
        if user is not None and user.has_two_factor:
            db.session.commit()  # a rehashed password
            session[PENDING] = {"user": user.id, "at": now_utc().timestamp(), "next": target}
            return redirect(url_for(".code"))
        if user is not None:
            return finish_login(user, target)
        services.record_failed_login(form.email.data)
        db.session.commit()
        form.password.errors.append(_("メールアドレスかパスワードが違います。"))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


def _code_key() -> str:
    pending = session.get(PENDING) or {}
    return f"login-code:{pending.get('user')}:{request.remote_addr}"


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=failed
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=_code_key,
    deduct_when=failed,
)
def code():
    """The second step of a login: the code of the authenticator app, or a recovery code."""
    user = services.pending_login(session.get(PENDING))
    if user is None:
        session.pop(PENDING, None)
        flash(_("もう一度ログインしてください。"))
        return redirect(url_for(".login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            two_factor.verify(user, form.code.data)
        except DomainError as error:
            db.session.rollback()
            form.attach(error)
        else:
            return finish_login(user, session.pop(PENDING).get("next"))
    status = 422 if form.errors else 200
    return render_template("auth/code.html", form=form), status


def finish_login(user, target: str | None):
    """Open the login session, and go where the user was heading."""
    sessions.start(
        user, user_agent=request.headers.get("User-Agent", ""), client_address=request.remote_addr
    )
    services.record_login(user)
    db.session.commit()
    session.permanent = True
    login_user(user)
    recent.mark(user)  # a login is proof enough for the next few minutes
    return redirect(target or url_for("rooms.find"))


@bp.route("/login/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """An invited person chooses their first password (the link works once, for 7 days)."""
    user = invitations.invited(token)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            invitations.accept(token, form.new_password.data)
        except UnacceptablePassword as error:
            db.session.rollback()
            form.attach(error)
        else:
            db.session.commit()
            flash(
                _(
                    "パスワードを決めました。メールアドレスと新しいパスワードでログインしてください。"
                )
            )
            return redirect(url_for(".login"))
    status = 422 if form.errors else 200
    return render_template("auth/invitation.html", form=form, user=user), status


def _reset_address_key() -> str:
    return "reset-address:" + services.normalize_email(request.form.get("email", ""))


@bp.route("/login/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["PASSWORD_RESET_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    key_func=_reset_address_key,
)
def forgot_password():
    """Ask for a reset link; the answer never says whether the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        resets.request_reset(form.email.data)
        db.session.commit()
        return redirect(url_for(".reset_sent"))
    status = 422 if form.errors else 200
    return render_template("auth/forgot.html", form=form), status


@bp.get("/login/forgot/sent")
def reset_sent():
    """The same answer for every address."""
    return render_template("auth/forgot_sent.html")


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from a reset link (once, within 30 minutes)."""
    resets.usable(token)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            resets.reset(token, form.new_password.data)
        except UnacceptablePassword as error:
            db.session.rollback()
            form.attach(error)
        else:
            db.session.commit()
            flash(_("パスワードを変えました。新しいパスワードでログインしてください。"))
            return redirect(url_for(".login"))
    status = 422 if form.errors else 200
    return render_template("auth/reset.html", form=form), status


# A right letter code waits in the session cookie as its token's id and the time (never the code).
LETTER = "letter_code"


def _letter_key() -> str:
    login_id = letters.normalized_login_id(request.form.get("login_id", ""))
    return f"letter:{login_id}:{request.remote_addr}"


@bp.route("/login/letter", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=failed
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=_letter_key,
    deduct_when=failed,
)
def letter():
    """The login id and one-time code from a letter the city printed."""
    form = LetterForm()
    if form.validate_on_submit():
        try:
            token = letters.check(form.login_id.data, form.code.data)
        except DomainError as error:
            db.session.commit()  # nothing to keep; ends the read
            form.attach(error)
        else:
            session[LETTER] = {"token": token.id, "at": now_utc().timestamp()}
            return redirect(url_for(".letter_password"))
    status = 422 if form.errors else 200
    return render_template("auth/letter.html", form=form), status


@bp.route("/login/letter/password", methods=["GET", "POST"])
def letter_password():
    """After a right code: choose the password to log in with from now on."""
    token = letters.pending(session.get(LETTER))
    if token is None:
        session.pop(LETTER, None)
        flash(_("もう一度、ログインIDと確認コードを入力してください。"))
        return redirect(url_for(".letter"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = letters.accept(token, form.new_password.data)
        except DomainError as error:
            db.session.rollback()
            form.attach(error)
        else:
            db.session.commit()
            session.pop(LETTER, None)
            flash(
                _(
                    "パスワードを決めました。ログインID %(login_id)s と新しいパスワードで"
                    "ログインしてください。",
                    login_id=user.login_id,
                )
            )
            return redirect(url_for(".login"))
    status = 422 if form.errors else 200
    return render_template("auth/letter_password.html", form=form, user=token.user), status


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
