"""The shape of input every feature shares: database ids, days, and the characters text may hold.

Anything outside these shapes is refused where it enters (a 404 for a path, the fallback day
for a query, a Japanese message for a form), so that it never reaches the database: an id
beyond PostgreSQL's integer, a NUL byte in a text column, or a year whose neighbouring days
do not exist would otherwise end in a 500.
"""

from datetime import date

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

# Every id column is an INTEGER: PostgreSQL refuses larger numbers instead of finding nothing.
ID_MAX = 2**31 - 1

# The years a person may mean; date arithmetic a week either side stays far from year 1 and 9999.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class IdConverter(IntegerConverter):
    """``<id:name>``: a row id in the database's range; anything else is a plain 404."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=ID_MAX)


def database_id(text: str | None) -> int | None:
    """The id ``text`` names, or None when it is not one the database can hold."""
    if not text or not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= ID_MAX else None


def parse_day(text: str | None) -> date | None:
    """A 2025-04-10 day from a query string; None when absent, malformed or out of range."""
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return None
    return day if day is not None and is_sensible_year(day) else None


def is_sensible_year(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


def has_control_characters(text: str | None) -> bool:
    """NUL and other control characters: PostgreSQL refuses NUL, and none belongs in a text."""
    return any((ord(ch) < 32 and ch not in "\r\n\t") or ord(ch) == 127 for ch in text or "")


def no_control_characters(_form, field) -> None:
    """A form validator: refuse text with control characters, in plain Japanese."""
    if has_control_characters(field.data):
        raise ValidationError(_l("使えない文字が含まれています。"))


def accepts_up_to(size: int):
    """Let one route (a CSV import) take a body larger than MAX_CONTENT_LENGTH.

    Put it just above the view function, below @bp.route and @login_required.
    """

    def allow(view):
        view.max_content_length = size
        return view

    return allow


def apply_route_limit() -> None:
    """Before CSRF or the rate limiter read the form, set the route's own body limit."""
    view = current_app.view_functions.get(request.endpoint or "")
    size = getattr(view, "max_content_length", None)
    if size is not None:
        request.max_content_length = size


def init_app(app: Flask) -> None:
    """Register the id converter and the per-route body limit; call it before the extensions."""
    app.url_map.converters["id"] = IdConverter
    app.before_request(apply_route_limit)
