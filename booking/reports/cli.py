"""`flask report month YYYY-MM`: a month's report for scheduled e-mailing or archiving."""

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from booking.errors import DomainError
from booking.extensions import db
from booking.reports import export, services
from booking.reports.periods import parse_month
from booking.rooms.models import Facility
from booking.timeutil import now_utc

report = AppGroup("report", help="Usage reports for the city.")


@report.command("month")
@click.argument("month")
@click.option("--facility", "facility_id", type=int, help="Only this facility (its id).")
@click.option("--format", "kind", type=click.Choice(["csv", "xlsx"]), default="csv")
@click.option("--output", type=click.Path(dir_okay=False), help="Write to this file.")
def month_command(month: str, facility_id: int | None, kind: str, output: str | None) -> None:
    """Every table of a month's report, city-wide or for one facility."""
    try:
        period = parse_month(month)
    except DomainError as error:
        raise click.BadParameter(error.message, param_hint="MONTH") from None
    if kind == "xlsx" and not output:
        raise click.UsageError("--format xlsx needs --output FILE")
    tables = services.report(chosen_facilities(facility_id), period, now_utc()).tables
    body = export.xlsx_bytes(tables) if kind == "xlsx" else export.csv_bytes(tables)
    if output:
        with open(output, "wb") as file:
            file.write(body)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()


def chosen_facilities(facility_id: int | None) -> list[Facility]:
    if facility_id is None:
        return list(db.session.scalars(select(Facility).order_by(Facility.id)))
    facility = db.session.get(Facility, facility_id)
    if facility is None:
        raise click.BadParameter(f"no facility with id {facility_id}", param_hint="--facility")
    return [facility]
