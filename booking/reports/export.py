"""The report's tables as CSV (for Excel) and as an .xlsx workbook, safe from formulas
(booking.exports makes every cell safe)."""

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Font

from booking.exports import cell, csv_tables


def csv_bytes(tables) -> bytes:
    """Every table through the shared writer, each under its title when there are several."""
    several = len(tables) > 1
    return csv_tables(
        (table.title if several else None, table.header, table.rows) for table in tables
    ).encode("utf-8")


def sheet_name(title: str, taken: set[str]) -> str:
    """Excel's limits: 31 characters, none of []:*?/\\, unique in the workbook."""
    name = re.sub(r"[\[\]:*?/\\]", "・", title)[:31]
    base, n = name, 2
    while name in taken:
        name = f"{base[:28]}({n})"
        n += 1
    taken.add(name)
    return name


def xlsx_bytes(tables) -> bytes:
    """One sheet per table, numbers as numbers, headings in bold."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(sheet_name(table.title, taken))
        sheet.append([cell(value) for value in table.header])
        for heading in sheet[1]:
            heading.font = Font(bold=True)
        for row in table.rows:
            sheet.append([cell(value) for value in row])
        sheet.column_dimensions["A"].width = 36
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
