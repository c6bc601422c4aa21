"""Finding the officer the desk books for: by name, reading or phone, not from a city-wide list."""

import re

from sqlalchemy import func, or_, select

from booking.auth.models import Role, User
from booking.extensions import db
from booking.fields import normalized
from booking.inputs import ID_MAX, has_control_characters

FOUND_AT_MOST = 20


def katakana(text: str) -> str:
    """ほごし as ホゴシ: a reading matches however it was typed."""
    return "".join(chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch for ch in text)


def hiragana(text: str) -> str:
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in text)


def find_officers(text: str | None) -> list[User]:
    """Active officers whose name or reading contains ``text``, whose login id it is, or whose
    phone contains its digits (three or more); at most a screenful."""
    text = (normalized(text) or "").strip()
    if not text or has_control_characters(text):  # PostgreSQL refuses a NUL in a pattern
        return []
    matches = [
        User.name.contains(text, autoescape=True),
        User.name_kana.contains(katakana(text), autoescape=True),
        User.name_kana.contains(hiragana(text), autoescape=True),
    ]
    if re.fullmatch(r"[Hh][0-9]{6}", text):  # the login id of an officer without e-mail
        matches.append(User.login_id == text.upper())
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 3:
        matches.append(func.replace(User.phone, "-", "").contains(digits, autoescape=True))
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.OFFICER, User.active, or_(*matches))
            .order_by(User.name_kana, User.name, User.id)
            .limit(FOUND_AT_MOST)
        )
    )


def chosen_officer(officer_id: str | None) -> list[User]:
    """The officer a submitted form names, if it is an active officer; else none."""
    if not (officer_id or "").isdigit() or not 0 < int(officer_id) <= ID_MAX:
        return []
    officer = db.session.get(User, int(officer_id))
    return [officer] if officer and officer.role is Role.OFFICER and officer.active else []
