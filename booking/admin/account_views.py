"""The administrators' account pages (/admin/accounts): list, one account, create, edit, and
what they may do to an account. Routes of the admin blueprint, so only admins reach them."""

import secrets

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from booking import exports
from booking.admin import accounts
from booking.admin.account_forms import AccountForm, SearchForm
from booking.admin.views import bp
from booking.auth.models import User
from booking.errors import DomainError
from booking.extensions import db
from booking.inputs import database_id
from booking.notify.outbox import public_url
from booking.rooms.models import Ward
from booking.timeutil import today_tokyo

# The create form's key and the account it made: a second submission of the same form (a
# reload, a double click) prints the letter again instead of making a second account.
CREATED = "account_created"


@bp.get("/accounts")
def accounts_list():
    """Every account, searched, filtered and fifty to a page."""
    form = SearchForm(accounts.facilities(), request.args)
    page = accounts.find(form.search(), database_id(request.args.get("page")) or 1)
    return render_template(
        "admin/accounts.html", form=form, page=page, status_of=accounts.status_of
    )


@bp.get("/accounts.csv")
def accounts_csv():
    """The list as filtered, for Excel."""
    form = SearchForm(accounts.facilities(), request.args)
    rows = accounts.csv_rows(accounts.every(form.search()))
    text = exports.csv_text([str(title) for title in accounts.CSV_TITLES], rows)
    return exports.csv_response(text, f"accounts-{today_tokyo().isoformat()}.csv")


@bp.get("/accounts/<id:user_id>")
def account(user_id: int):
    """One account: who, what they may do, and what happened to it lately."""
    return account_page(db.get_or_404(User, user_id))


def account_page(user: User, error: DomainError | None = None):
    """The account's page, with the refusal of a button above it when there was one."""
    config = current_app.config
    overview = accounts.overview(
        user, lifetime=config["PERMANENT_SESSION_LIFETIME"], idle=config["SESSION_IDLE"]
    )
    return render_template(
        "admin/account.html",
        overview=overview,
        two_factor=accounts.two_factor_state(user),
        ward=Ward(user.home_ward).label if user.home_ward else "",
        event_label=accounts.event_label,
        error=error,
    ), (error.status if error else 200)


@bp.route("/accounts/new", methods=["GET", "POST"])
def new_account():
    """Create an account: with an e-mail it is invited; without, a letter is printed."""
    form = AccountForm(accounts.facilities())
    key = request.form.get("form_key") or secrets.token_urlsafe(16)
    created = session.get(CREATED) or {}
    if form.is_submitted() and created.get("key") == key:
        again = db.session.get(User, created.get("user"))
        if again is not None and again.name == form.name.data:  # not a page reused for another
            return after_creating(again)
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.create(form.details(), by=current_user)
        except DomainError as error:
            db.session.rollback()
            form.attach(error)
            status = error.status
        else:
            session[CREATED] = {"key": key, "user": user.id}
            return after_creating(user)
    elif form.errors:
        status = 422
    return render_template("admin/account_form.html", form=form, user=None, form_key=key), status


def after_creating(user: User):
    """To the account's page when an invitation went out; else straight to its letter."""
    if user.email:
        db.session.commit()
        flash(_("アカウントを作り、%(email)s に案内のメールを送りました。", email=user.email))
        return redirect(url_for(".account", user_id=user.id))
    return letter_page(user)


@bp.route("/accounts/<id:user_id>/edit", methods=["GET", "POST"])
def edit_account(user_id: int):
    """Change an account's details, role, facilities and home ward."""
    user = db.get_or_404(User, user_id)
    form = AccountForm.of(user, accounts.facilities())
    if form.validate_on_submit():
        try:
            changed = accounts.update(user, form.details(), by=current_user)
        except DomainError as error:
            db.session.rollback()
            form.attach(error)
            status = error.status
        else:
            db.session.commit()
            flash(_("変更を保存しました。") if changed else _("変更はありませんでした。"))
            return redirect(url_for(".account", user_id=user.id))
    else:
        status = 422 if form.errors else 200
    return render_template("admin/account_form.html", form=form, user=user), status


@bp.post("/accounts/<id:user_id>/letter")
def print_letter(user_id: int):
    """A new one-time code on an A4 letter; the code before it stops working."""
    return letter_page(db.get_or_404(User, user_id))


def letter_page(user: User):
    """The letter with a fresh code: shown in this response only, never stored or linked."""
    try:
        letter = accounts.letter(user, by=current_user)
    except DomainError as error:
        db.session.rollback()
        return account_page(user, error)
    db.session.commit()
    page = render_template(
        "admin/account_letter.html",
        letter=letter,
        address=public_url("auth.letter"),
        today=today_tokyo(),
    )
    return page, 200, {"Cache-Control": "no-store"}


ACTIONS = {
    "deactivate": (
        accounts.deactivate,
        _l("アカウントを停止しました。ログイン中の端末も全てログアウトしました。"),
    ),
    "reactivate": (accounts.reactivate, _l("アカウントの利用を再開しました。")),
    "end-sessions": (accounts.end_sessions, _l("全ての端末からログアウトさせました。")),
    "reset-two-factor": (
        accounts.reset_two_factor,
        _l("2段階認証を解除しました。次のログインで設定し直します。"),
    ),
    "invite": (
        accounts.invite,
        _l("パスワードを決めるリンクをメールで送りました。前のリンクは使えなくなりました。"),
    ),
}


@bp.post("/accounts/<id:user_id>/<any(" + ",".join(f'"{a}"' for a in ACTIONS) + "):action>")
def account_action(user_id: int, action: str):
    """One of the buttons on an account's page."""
    user = db.get_or_404(User, user_id)
    act, done = ACTIONS[action]
    try:
        act(user, by=current_user)
    except DomainError as error:
        db.session.rollback()
        return account_page(user, error)
    db.session.commit()
    flash(str(done))
    return redirect(url_for(".account", user_id=user.id))
