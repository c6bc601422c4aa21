"""Usage reports (/reports/): admins see every facility, managers the ones they serve."""

from datetime import date

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from booking.errors import InvalidInput
from booking.exports import download
from booking.extensions import db
from booking.reports import charts, export, forms, services
from booking.rooms.models import Facility
from booking.templating import weekday_name
from booking.timeutil import now_utc

bp = Blueprint("reports", __name__, url_prefix="/reports")

# The Tetsuto machizukuri center's trial began on 1 June 2025.
TRIAL_STARTED = date(2025, 6, 1)


def chosen_report() -> services.Report:
    """The period and facility of the query string, for a user allowed to see them."""
    period, facility_id = forms.chosen_period(request.args), forms.chosen_facility_id(request.args)
    if facility_id is None:
        facilities = services.visible_facilities(current_user)
    else:
        facility = db.get_or_404(Facility, facility_id)
        services.ensure_may_see(current_user, facility)
        facilities = [facility]
    return services.report(facilities, period, now_utc())


@bp.get("/")
@login_required
def index():
    """A month's or a fiscal year's figures, with charts and the same figures as tables."""
    report = chosen_report()
    return render_template(
        "reports/index.html",
        report=report,
        args=same_report_args(),
        choices=services.visible_facilities(current_user),
        chosen=forms.chosen_facility_id(request.args),
        bars=charts.bar_chart(report.table("months").title, report.months),
        heat=charts.heat_map(
            report.table("heatmap").title,
            [weekday_name(dow) for dow in range(7)],
            report.hours,
            report.heat,
        ),
    )


def same_report_args() -> dict:
    """The query string of this report, for its exports and print links."""
    period = forms.chosen_period(request.args)
    args = {"facility": forms.chosen_facility_id(request.args)}
    if request.args.get("year"):
        args["year"] = period.first.year
    else:
        args["month"] = period.first.strftime("%Y-%m")
    return {name: value for name, value in args.items() if value is not None}


@bp.get("/report.csv")
@login_required
def csv():
    """Every table, or the one named by ``table``, as CSV for Excel."""
    report, key = chosen_report(), forms.chosen_table(request.args)
    tables = [report.table(key)] if key else report.tables
    name = f"report-{report.period.first.isoformat()}-{key or 'all'}.csv"
    return download(export.csv_bytes(tables), "text/csv", name)


@bp.get("/report.xlsx")
@login_required
def xlsx():
    """Every table as a sheet of one workbook."""
    report = chosen_report()
    return download(
        export.xlsx_bytes(report.tables),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"report-{report.period.first.isoformat()}.xlsx",
    )


@bp.get("/facilities/<id:facility_id>/print")
@login_required
def print_month(facility_id: int):
    """A facility's month on one A4 page, for its records."""
    facility = db.get_or_404(Facility, facility_id)
    services.ensure_may_see(current_user, facility)
    period = forms.chosen_period(request.args)
    report = services.report([facility], period, now_utc())
    return render_template("reports/print.html", report=report, facility=facility)


def chosen_trial() -> tuple[forms.TrialQuery | None, services.Table | None]:
    """The trial comparison the query string asks for, if the user may see that facility."""
    services.ensure_may_see(current_user)
    query = forms.trial_query(request.args, TRIAL_STARTED)
    if query is None:
        return None, None
    facility = db.get_or_404(Facility, query.facility_id)
    services.ensure_may_see(current_user, facility)
    return query, services.trial(facility, query.split, query.days, now_utc())


@bp.get("/trial")
@login_required
def trial():
    """A facility's figures before and after a date, beside the average support center."""
    query, table = chosen_trial()
    return render_template(
        "reports/trial.html",
        table=table,
        query=query,
        choices=services.visible_facilities(current_user),
        default_split=TRIAL_STARTED,
    )


@bp.get("/trial.csv")
@login_required
def trial_csv():
    """The trial comparison as CSV for Excel."""
    query, table = chosen_trial()
    if table is None:
        raise InvalidInput(_("施設の指定が正しくありません。"))
    name = f"trial-{query.facility_id}-{query.split.isoformat()}.csv"
    return download(export.csv_bytes([table]), "text/csv", name)
