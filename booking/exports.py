"""Every CSV the app writes goes through here: Excel opens it in Japanese and runs none of it.

A cell that begins like a formula (=HYPERLINK(...), =cmd|..., @SUM(...)) would be run by Excel,
LibreOffice or Google Sheets when the desk opens the file; such a cell is written with a
leading ' so that it shows as the text that was typed (OWASP's advice on CSV injection).
"""

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from flask import Response
from werkzeug.utils import secure_filename

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> str:
    """The cell as text a spreadsheet shows and never evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: object) -> object:
    """Numbers stay numbers (a count of -1 is no formula); anything else is neutralised."""
    is_number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    return value if is_number else neutralised(value)


def csv_text(header: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    """UTF-8 text with a BOM (Excel reads Japanese only with one) and CRLF line ends."""
    return csv_tables([(None, header, rows)])


def csv_tables(tables: Iterable[tuple[str | None, Iterable[object], Iterable]]) -> str:
    """Several tables in one file, as (title or None, header, rows): each under its title,
    a blank line between them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for index, (title, header, rows) in enumerate(tables):
        if index:
            writer.writerow([])
        if title is not None:
            writer.writerow([cell(title)])
        writer.writerow([cell(value) for value in header])
        writer.writerows([cell(value) for value in row] for row in rows)
    return "\ufeff" + out.getvalue()


def csv_response(text: str, filename: str) -> Response:
    """A CSV download (see ``download``)."""
    return download(text.encode("utf-8"), "text/csv", filename)


def download(body: bytes, mimetype: str, filename: str) -> Response:
    """An attachment under a file name that cannot break the header, never cached (the
    desk's files carry phone numbers and notes)."""
    response = Response(body, mimetype=mimetype)
    if mimetype.startswith("text/"):
        response.charset = "utf-8"
    name = secure_filename(filename) or "export"
    response.headers.set("Content-Disposition", "attachment", filename=name)
    response.headers["Cache-Control"] = "no-store"
    return response
