"""/account: each person's own account, the browsers signed in to it, its password."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from booking.account import addresses, services
from booking.account.forms import (
    ConfirmPasswordForm,
    DetailsForm,
    EmailChangeForm,
    MailChoiceForm,
    PasswordChangeForm,
)
from booking.auth import recent, sessions, two_factor
from booking.auth import services as accounts
from booking.auth.forms import CodeForm
from booking.errors import DomainError
from booking.extensions import db, limiter
from booking.security import log_event

bp = Blueprint("account", __name__, url_prefix="/account")

# Pages where one's own password is typed: each allows the login's number of guesses per
# account; only wrong ones (an answer other than the redirect after success) count.
password_guesses = limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=lambda: f"password:{current_user.id}",
    deduct_when=lambda response: response.status_code != 302,
)


@bp.get("")
@login_required
def index():
    """The account's details, its password and the browsers where it is signed in."""
    return account_page()


@bp.post("/password")
@login_required
@password_guesses
def change_password():
    """Change the password; the current one is asked for, the other browsers signed out."""
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return account_page(form, 422, password=form)
    try:
        services.change_password(current_user, form.current_password.data, form.new_password.data)
    except DomainError as error:
        db.session.rollback()
        form.attach(error)
        return account_page(form, error.status, password=form)
    db.session.commit()
    flash(_("パスワードを変更しました。ほかの端末はログアウトしました。"))
    return redirect(url_for(".index"))


@bp.post("/mail")
@login_required
def choose_mail():
    """Which e-mails to receive."""
    form = MailChoiceForm()
    if not form.validate_on_submit():
        return account_page(status=400)
    services.choose_mail(current_user, form.values())
    db.session.commit()
    flash(_("お知らせのメールの設定を保存しました。"))
    return redirect(url_for(".index", _anchor="mail"))


@bp.post("/details")
@login_required
def update_details():
    """Keep one's own phone, home ward and the reading of one's name."""
    form = DetailsForm()
    if not form.validate_on_submit():
        return account_page(form, 422, details=form)
    services.update_details(current_user, form.values())
    db.session.commit()
    flash(_("登録内容を保存しました。"))
    return redirect(url_for(".index", _anchor="details"))


@bp.post("/email")
@login_required
@password_guesses
def change_email():
    """Send a confirmation link to a new address; it takes effect once the link is opened."""
    form = EmailChangeForm()
    if not form.validate_on_submit():
        return account_page(form, 422, email=form)
    try:
        addresses.request_change(current_user, form.new_email.data, form.email_password.data)
    except DomainError as error:
        db.session.rollback()
        form.attach(error)
        return account_page(form, error.status, email=form)
    db.session.commit()
    flash(
        _(
            "%(email)s に確認のメールを送りました。メールのリンクを開くと、アドレスが変わります。",
            email=form.new_email.data,
        )
    )
    return redirect(url_for(".index", _anchor="email"))


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """Open the link sent to the new address, and confirm the change with a button."""
    confirmation = addresses.pending(token)
    if request.method == "POST":
        addresses.confirm(token)
        db.session.commit()
        flash(_("メールアドレスを変更しました。"))
        return redirect(url_for(".index" if current_user.is_authenticated else "auth.login"))
    return render_template("account/email_confirm.html", new_email=confirmation.new_email)


def account_page(failed=None, status: int = 200, **forms):
    """/account with each form as it stands; ``failed`` is the one whose errors to show."""
    config = current_app.config
    open_sessions = sessions.open_sessions(
        current_user, lifetime=config["PERMANENT_SESSION_LIFETIME"], idle=config["SESSION_IDLE"]
    )
    page = render_template(
        "account/index.html",
        form=failed,
        password=forms.get("password") or PasswordChangeForm(formdata=None),
        details=forms.get("details") or DetailsForm(formdata=None, obj=current_user),
        email=forms.get("email") or EmailChangeForm(formdata=None),
        mail=MailChoiceForm(formdata=None, obj=current_user),
        sessions=open_sessions,
        this_session=current_user.login_session,
    )
    return page, status


@bp.route("/confirm", methods=["GET", "POST"])
@login_required
@password_guesses
def confirm_password():
    """The password typed again before a sensitive change, then back to where it was."""
    form = ConfirmPasswordForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            recent.confirm(current_user, form.password.data)
        except DomainError as error:
            form.attach(error)
        else:
            return redirect(accounts.safe_next(form.next.data) or url_for(".index"))
    status = 422 if form.errors else 200
    return render_template("account/confirm.html", form=form), status


@bp.post("/sessions/<id:session_id>/end")
@login_required
@recent.required(back_to="account.index")
def end_session(session_id: int):
    """Sign one other browser out (a lost phone, a shared computer)."""
    services.end_session(current_user, session_id)
    db.session.commit()
    flash(_("その端末からログアウトしました。"))
    return redirect(url_for(".index"))


@bp.post("/sessions/end-others")
@login_required
@recent.required(back_to="account.index")
def end_other_sessions():
    """Sign every other browser out."""
    services.end_other_sessions(current_user)
    db.session.commit()
    flash(_("ほかの端末から全てログアウトしました。"))
    return redirect(url_for(".index"))


@bp.get("/two-factor")
@login_required
def two_factor_page():
    """The second factor: what it is, and setting it up (required for staff)."""
    return two_factor_setup(CodeForm())


@bp.post("/two-factor/start")
@login_required
@recent.required(back_to="account.two_factor_page")
def start_two_factor():
    """Make a new secret for the authenticator app; nothing changes until a code confirms it."""
    two_factor.start_enrolment(current_user)
    db.session.commit()
    return redirect(url_for(".two_factor_page", _anchor="setup"))


@bp.post("/two-factor/confirm")
@login_required
def confirm_two_factor():
    """Switch the second factor on, and show the recovery codes this one time."""
    form = CodeForm()
    if not form.validate_on_submit():
        return two_factor_setup(form, 422)
    try:
        codes = two_factor.confirm_enrolment(current_user, form.code.data)
    except DomainError as error:
        db.session.rollback()
        form.attach(error)
        return two_factor_setup(form, error.status)
    db.session.commit()
    return render_template("account/recovery_codes.html", codes=codes)


def two_factor_setup(form: CodeForm, status: int = 200):
    """The page with, while setting up, the QR code and the secret as text."""
    setting_up = current_user.totp_secret is not None and not current_user.has_two_factor
    page = render_template(
        "account/two_factor.html",
        form=form,
        qr_code=two_factor.qr_code(current_user) if setting_up else None,
        secret=two_factor.grouped_secret(current_user) if setting_up else None,
    )
    return page, status


# While staff have no second factor, these are all they may use.
OPEN_TO_STAFF_WITHOUT_TWO_FACTOR = {
    "static",
    "auth.logout",
    "auth.language",
    "account.two_factor_page",
    "account.start_two_factor",
    "account.confirm_password",
    "account.confirm_two_factor",
    # Asked by load balancers and calendar apps, never by a person: no user is loaded for them.
    "ops.healthz",
    "ops.readyz",
    "feeds.feed",
}


@bp.before_app_request
def require_two_factor_for_staff():
    """Send a manager or admin without a second factor to set one up, whatever they asked."""
    if request.endpoint in OPEN_TO_STAFF_WITHOUT_TWO_FACTOR or request.endpoint is None:
        return None
    if current_user.is_authenticated and current_user.needs_two_factor:
        log_event("two_factor.required", current_user.id)
        flash(_("施設職員と管理者は、2段階認証を設定してからご利用ください。"))
        return redirect(url_for("account.two_factor_page"))
    return None
