"""Reading an officers' CSV as Japanese offices write it: Excel's Shift_JIS (CP932) or UTF-8
with or without a BOM, Japanese or English headers, full-width letters, digits and spaces,
phone numbers in any common format. Each row is read into the values an account would have,
or the reasons (in Japanese) it cannot be."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _

from booking.errors import InvalidInput
from booking.fields import kana_reading, national_phone, plausible_email
from booking.rooms.models import WARD_LABELS, Ward

MAX_BYTES = 3 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 50
MAX_NAME = 100
# As booking.inputs.has_control_characters, but fast over a whole file (Ctrl-Z, an old DOS
# end of file, is allowed and removed).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x19\x1b-\x1f\x7f]")

# What each column may be called (compared after NFKC, lower case, without spaces or marks).
HEADERS = {
    "name": ("氏名", "名前", "お名前", "氏名(漢字)", "保護司氏名", "name", "fullname"),
    "name_kana": (
        "ふりがな",
        "フリガナ",
        "よみがな",
        "ヨミガナ",
        "氏名(ふりがな)",
        "氏名(フリガナ)",
        "かな",
        "カナ",
        "kana",
        "namekana",
        "reading",
        "furigana",
    ),
    "email": (
        "メールアドレス",
        "メール",
        "eメール",
        "eメールアドレス",
        "email",
        "e-mail",
        "mail",
        "emailaddress",
        "e-mailaddress",
        "mailaddress",
    ),
    "phone": (
        "電話番号",
        "電話",
        "携帯電話",
        "携帯電話番号",
        "携帯",
        "連絡先",
        "tel",
        "phone",
        "telephone",
        "phonenumber",
        "mobile",
    ),
    "home_ward": ("居住区", "区", "住所(区)", "お住まいの区", "担当区", "ward", "homeward"),
}
TEMPLATE_HEADER = ("氏名", "ふりがな", "メールアドレス", "電話番号", "居住区")
TEMPLATE_EXAMPLE = (
    "保護司 一郎",
    "ほごし いちろう",
    "ichiro@example.jp",
    "090-1234-5678",
    "中央区",
)


class BadFile(InvalidInput):
    """The file as a whole cannot be read: nothing of it is imported."""


@dataclass
class Row:
    """One line of the file: its number as a spreadsheet shows it, its values, its problems."""

    number: int
    name: str = ""
    email: str | None = None
    values: dict[str, str | None] = field(default_factory=dict)  # only the columns given
    reasons: list[str] = field(default_factory=list)


def header_key(text: str) -> str:
    plain = unicodedata.normalize("NFKC", text).strip().lower()
    return "".join(ch for ch in plain if not ch.isspace() and ch not in "_・")


COLUMN_OF = {header_key(name): column for column, names in HEADERS.items() for name in names}
WARD_OF = {
    **{header_key(str(label)): ward for ward, label in WARD_LABELS.items()},
    **{header_key(str(label)).removesuffix("区"): ward for ward, label in WARD_LABELS.items()},
    **{ward.value: ward for ward in Ward},
    **{f"{ward.value}-ku": ward for ward in Ward},
    **{f"{ward.value}ku": ward for ward in Ward},
}


def decode(data: bytes) -> str:
    """The text of the file: UTF-8 (with or without BOM) if it is that, else CP932 as Excel
    saves it; a binary file or an empty one is refused."""
    if not data.strip():
        raise BadFile(_("ファイルが空です。見出しの行と、保護司の方の行を入れてください。"))
    if len(data) > MAX_BYTES:
        raise BadFile(
            _(
                "ファイルが大きすぎます（%(mb)dMBまで）。分けて取り込んでください。",
                mb=MAX_BYTES // 2**20,
            )
        )
    if b"\x00" in data:
        raise BadFile(
            _("CSVファイルではないようです。Excelで「CSV」形式で保存したファイルを選んでください。")
        )
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadFile(
        _("文字コードが読み取れません。Excelで「CSV UTF-8」か「CSV」形式で保存してください。")
    )


def read(data: bytes, *, rows_too: bool = True) -> tuple[list[str], list[Row]]:
    """The columns found and every row of the file, each read as far as it can be; with
    ``rows_too=False``, only whether the file as a whole can be read (no rows are read)."""
    text = decode(data)
    if CONTROL_CHARACTERS.search(text):
        raise BadFile(
            _("CSVファイルではないようです。Excelで「CSV」形式で保存したファイルを選んでください。")
        )
    records = csv.reader(io.StringIO(text.replace("\x1a", ""), newline=""), strict=True)
    try:
        header = next((r for r in records if any(cell.strip() for cell in r)), None)
        if header is None:
            raise BadFile(_("ファイルが空です。見出しの行と、保護司の方の行を入れてください。"))
        if len(header) > MAX_COLUMNS:
            raise BadFile(_("列が多すぎます（%(n)d列まで）。", n=MAX_COLUMNS))
        columns = [COLUMN_OF.get(header_key(cell)) for cell in header]
        check_columns(columns)
        rows = []
        for number, record in enumerate(records, start=2):
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_ROWS:
                raise BadFile(
                    _(
                        "行が多すぎます（一度に%(n)s人まで）。分けて取り込んでください。",
                        n=f"{MAX_ROWS:,}",
                    )
                )
            if len(record) > MAX_COLUMNS:
                raise BadFile(
                    _("%(row)d行目の列が多すぎます（%(n)d列まで）。", row=number, n=MAX_COLUMNS)
                )
            rows.append(read_row(number, columns, record) if rows_too else Row(number))
    except csv.Error:
        raise BadFile(_('CSVとして読み取れません（引用符「"」の閉じ忘れなど）。')) from None
    return [c for c in columns if c], rows


def check_columns(columns: list[str | None]) -> None:
    found = [c for c in columns if c]
    if len(found) != len(set(found)):
        raise BadFile(_("同じ項目の列が二つあります。見出しを確かめてください。"))
    if "name" not in found or "email" not in found:
        raise BadFile(
            _(
                "見出しの行に「氏名」と「メールアドレス」の列が必要です。ひな形のCSVをお使いください。"
            )
        )


def read_row(number: int, columns: list[str | None], record: list[str]) -> Row:
    """One record's values, tidied; the reasons it cannot be imported, if any."""
    cells = {column: record[i] for i, column in enumerate(columns) if column and i < len(record)}
    row = Row(number=number)
    row.name = " ".join(cells.get("name", "").split())
    if not row.name:
        row.reasons.append(_("氏名がありません。"))
    elif len(row.name) > MAX_NAME:
        row.reasons.append(_("氏名が長すぎます（%(n)d文字まで）。", n=MAX_NAME))
    typed_email = cells.get("email", "").strip()
    row.email = plausible_email(typed_email)
    if not typed_email:
        row.reasons.append(
            _("メールアドレスのない方は、一人ずつ登録して案内状を印刷してください。")
        )
    elif row.email is None:
        row.reasons.append(_("メールアドレスの形式が正しくありません。"))
    read_optional(row, cells)
    return row


def read_optional(row: Row, cells: dict[str, str]) -> None:
    """Reading, phone and ward: an empty cell leaves what the account has as it is."""
    if kana := cells.get("name_kana", "").strip():
        row.values["name_kana"] = kana_reading(kana) if len(kana) <= MAX_NAME else None
        if row.values["name_kana"] is None:
            row.reasons.append(_("ふりがなは、ひらがなかカタカナで書いてください。"))
    if phone := cells.get("phone", "").strip():
        row.values["phone"] = national_phone(phone) if len(phone) <= 32 else None
        if row.values["phone"] is None:
            row.reasons.append(_("電話番号が正しくありません（例：090-1234-5678）。"))
    if ward := cells.get("home_ward", "").strip():
        found = WARD_OF.get(header_key(ward))
        row.values["home_ward"] = found.value if found else None
        if found is None:
            row.reasons.append(_("居住区が分かりません（例：中央区）。"))
