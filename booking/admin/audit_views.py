"""The audit log viewer: who did what, when, to which facility; filtered, paged, exported."""

from flask import render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from booking import exports
from booking.admin import audit_log
from booking.admin.views import bp
from booking.fields import ChoiceField, DayField, normalized
from booking.inputs import database_id, no_control_characters
from booking.manage.forms import DAY_FORMATS


class AuditFilterForm(FlaskForm):
    """A GET form: filters belong in the address, to be bookmarked and shared."""

    class Meta:
        csrf = False

    who = StringField(
        _l("誰が（名前・メールアドレス・番号）"),
        filters=[normalized],
        validators=[Optional(), Length(max=100), no_control_characters],
    )
    action = StringField(
        _l("操作（例：reservation.cancel、room）"),
        filters=[normalized],
        validators=[Optional(), Length(max=64), no_control_characters],
        render_kw={"list": "audit-actions", "autocomplete": "off"},
    )
    facility = ChoiceField(_l("施設"), validators=[Optional()])
    first_day = DayField(_l("この日から"), format=DAY_FORMATS, validators=[Optional()])
    last_day = DayField(_l("この日まで"), format=DAY_FORMATS, validators=[Optional()])

    def __init__(self, facilities, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.facility.choices = [SelectChoice("", _l("すべて"))] + [
            SelectChoice(str(fid), name) for fid, name in facilities
        ]

    def filters(self) -> audit_log.Filters:
        """What was asked; a field with an error counts as not filled in."""
        return audit_log.Filters(
            who=(self.who.data or "") if not self.who.errors else "",
            action=(self.action.data or "") if not self.action.errors else "",
            facility_id=database_id(self.facility.data) if not self.facility.errors else None,
            first_day=self.first_day.data if not self.first_day.errors else None,
            last_day=self.last_day.data if not self.last_day.errors else None,
        )


FILTER_NAMES = ("who", "action", "facility", "first_day", "last_day")


def filter_form() -> AuditFilterForm:
    form = AuditFilterForm(audit_log.facility_choices(), formdata=request.args)
    form.validate()
    return form


@bp.get("/audit")
def audit():
    """The newest events first, a page at a time, with the filters in the address."""
    form = filter_form()
    rows, after = audit_log.page(form.filters(), database_id(request.args.get("before")))
    query = {k: v for k, v in request.args.items() if k in FILTER_NAMES and v}
    return render_template(
        "admin/audit.html",
        form=form,
        rows=rows,
        stamps=audit_log.stamps(rows),
        actions=audit_log.ACTIONS,
        details=audit_log.details_text,
        who=audit_log.who_text,
        following=url_for(".audit", before=after, **query) if after else None,
        first=url_for(".audit", **query) if request.args.get("before") else None,
        csv=url_for(".audit_csv", **query),
    )


@bp.get("/audit.csv")
def audit_csv():
    """The filtered events as a CSV file (formula-safe, Excel-friendly)."""
    rows = audit_log.csv_rows(filter_form().filters())
    text = exports.csv_text(audit_log.CSV_TITLES, rows)
    return exports.csv_response(text, "audit.csv")
