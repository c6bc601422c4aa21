"""Every CSV the app writes goes through here: Excel opens it in Japanese and runs none of it.

A cell that begins like a formula (=HYPERLINK(...), =cmd|..., @SUM(...)) would be run by Excel,
LibreOffice or Google Sheets when the desk opens the file; such a cell is written with a
leading ' so that it shows as the text that was typed (OWASP's advice on CSV injection).
"""

import csv
import io
from collections.abc import Iterable

from flask import Response
from werkzeug.utils import secure_filename

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> str:
    """The cell as text a spreadsheet shows and never evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    """UTF-8 text with a BOM (Excel reads Japanese only with one) and CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralised(cell) for cell in header])
    writer.writerows([neutralised(cell) for cell in row] for row in rows)
    return "\ufeff" + out.getvalue()


def csv_response(text: str, filename: str) -> Response:
    """A download: an attachment under a file name that cannot break the header, never cached
    (the desk's files carry phone numbers and notes)."""
    response = Response(text.encode("utf-8"), mimetype="text/csv")
    response.charset = "utf-8"
    name = secure_filename(filename) or "export.csv"
    response.headers.set("Content-Disposition", "attachment", filename=name)
    response.headers["Cache-Control"] = "no-store"
    return response
