"""SQL expressions the reports group by, written for SQLite and PostgreSQL alike."""

from sqlalchemy import Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class TokyoMonth(FunctionElement):
    """The Sapporo month of a UTC timestamp, as text: 2025-04."""

    inherit_cache = True
    type = String()


class TokyoWeekday(FunctionElement):
    """The Sapporo day of the week of a UTC timestamp: 0 is Sunday."""

    inherit_cache = True
    type = Integer()


class TokyoHour(FunctionElement):
    """The Sapporo hour (0-23) of a UTC timestamp."""

    inherit_cache = True
    type = Integer()


class MinutesBetween(FunctionElement):
    """Whole minutes from the first timestamp to the second."""

    inherit_cache = True
    type = Integer()


SQLITE_FORMATS = {TokyoMonth: "%Y-%m", TokyoWeekday: "%w", TokyoHour: "%H"}
POSTGRESQL_FIELDS = {TokyoWeekday: "dow", TokyoHour: "hour"}


@compiles(TokyoMonth, "sqlite")
@compiles(TokyoWeekday, "sqlite")
@compiles(TokyoHour, "sqlite")
def _tokyo_sqlite(element, compiler, **kw):
    # Japan has kept UTC+9 without summer time since 1951: a fixed offset is exact.
    column = compiler.process(element.clauses, **kw)
    text = f"strftime('{SQLITE_FORMATS[type(element)]}', {column}, '+9 hours')"
    return text if isinstance(element, TokyoMonth) else f"CAST({text} AS INTEGER)"


@compiles(TokyoMonth, "postgresql")
@compiles(TokyoWeekday, "postgresql")
@compiles(TokyoHour, "postgresql")
def _tokyo_postgresql(element, compiler, **kw):
    local = f"({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Tokyo')"
    if isinstance(element, TokyoMonth):
        return f"to_char({local}, 'YYYY-MM')"
    return f"CAST(extract({POSTGRESQL_FIELDS[type(element)]} FROM {local}) AS INTEGER)"


@compiles(MinutesBetween, "sqlite")
def _minutes_sqlite(element, compiler, **kw):
    first, second = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(round((julianday({second}) - julianday({first})) * 1440) AS INTEGER)"


@compiles(MinutesBetween, "postgresql")
def _minutes_postgresql(element, compiler, **kw):
    first, second = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(round(extract(epoch FROM {second} - {first}) / 60) AS INTEGER)"
