"""The report's tables as CSV (for Excel) and as an .xlsx workbook, safe from formulas."""

import csv
import io
import re

from openpyxl import Workbook
from openpyxl.styles import Font

from booking.exports import neutralised


def neutral(cell):
    """Text as the shared writer makes it safe (booking.exports); numbers stay numbers."""
    return neutralised(cell) if isinstance(cell, str) else cell


def csv_bytes(tables) -> bytes:
    """UTF-8 with a BOM and CRLF, as Excel opens it; each table under its title (the shared
    writer in booking.exports writes one table; a report is several)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        if len(tables) > 1:
            writer.writerow([neutral(table.title)])
        writer.writerow([neutral(cell) for cell in table.header])
        writer.writerows([neutral(cell) for cell in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


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
        sheet.append([neutral(cell) for cell in table.header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([neutral(cell) for cell in row])
        sheet.column_dimensions["A"].width = 36
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
