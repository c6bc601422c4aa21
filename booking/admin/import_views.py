"""/admin/accounts/import: officers from a CSV, previewed row by row, then confirmed (admins)."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from booking import inputs
from booking.admin import import_rows, imports
from booking.admin.views import only_admins
from booking.errors import DomainError
from booking.exports import csv_response, csv_text
from booking.extensions import db

bp = Blueprint("imports", __name__, url_prefix="/admin/accounts/import")
bp.before_request(only_admins)


class UploadForm(FlaskForm):
    file = FileField(
        _l("CSVファイル"), validators=[FileRequired(_l("CSVファイルを選んでください。"))]
    )


class ConfirmForm(FlaskForm):
    digest = HiddenField(validators=[DataRequired(), Length(min=64, max=64)])


@bp.get("")
def upload_page():
    """How the file should look, and the button to choose it."""
    return upload_form(UploadForm())


@bp.get("/template.csv")
def template():
    """A CSV with the headers and one example row, to fill in with Excel."""
    text = csv_text(import_rows.TEMPLATE_HEADER, [import_rows.TEMPLATE_EXAMPLE])
    return csv_response(text, "officers-template.csv")


@bp.post("")
@inputs.accepts_up_to(import_rows.MAX_BYTES + 1024 * 1024)
def upload():
    """Keep the file and show what importing it would do."""
    form = UploadForm()
    if not form.validate_on_submit():
        return upload_form(form, 422)
    try:
        upload = imports.store(
            form.file.data.read(), form.file.data.filename or "", by=current_user
        )
    except DomainError as error:
        db.session.rollback()
        form.file.errors.append(error.message)
        return upload_form(form, error.status)
    db.session.commit()
    return redirect(url_for(".preview", import_id=upload.id))


@bp.get("/<id:import_id>")
def preview(import_id: int):
    """Every row's result; the confirm button only when no row is refused."""
    plan = imports.plan(imports.find(import_id, by=current_user))
    return preview_page(plan)


@bp.post("/<id:import_id>/confirm")
def confirm(import_id: int):
    """Import exactly what was previewed, or nothing."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return preview_page(imports.plan(imports.find(import_id, by=current_user)), 400)
    try:
        done = imports.confirm(import_id, form.digest.data, by=current_user)
    except (imports.PlanChanged, imports.NotReady) as error:
        db.session.rollback()
        flash(error.message)
        return preview_page(imports.plan(imports.find(import_id, by=current_user)), error.status)
    db.session.commit()
    flash(
        _(
            "取り込みました。新しく登録%(new)d人（案内のメールを送ります）、更新%(updated)d人、"
            "変更なし%(unchanged)d人です。",
            **done.counts,
        )
    )
    return redirect(url_for(".upload_page"))


def upload_form(form: UploadForm, status: int = 200):
    page = render_template(
        "admin/import.html",
        form=form,
        max_rows=import_rows.MAX_ROWS,
        max_mb=import_rows.MAX_BYTES // 2**20,
    )
    return page, status


def preview_page(plan: imports.Plan, status: int = 200):
    page = render_template(
        "admin/import_preview.html", plan=plan, form=ConfirmForm(formdata=None, digest=plan.digest)
    )
    return page, status
