"""What makes a password acceptable (ASVS 6.2): long enough, not common, not the person's own.

No composition rules and no expiry: length and a list of common passwords do more.
"""

from functools import cache

from flask_babel import gettext as _
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from booking.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 128


class UnacceptablePassword(InvalidInput):
    status = 422
    field = "new_password"


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of zxcvbn's lists (leaked password corpora)."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def own_words(email: str, name: str) -> set[str]:
    """Parts of the e-mail and the name that a password must not contain."""
    words = {email.split("@", 1)[0].casefold()}
    parts = name.casefold().split()
    words.update(parts)
    words.add("".join(parts))
    # One or two letters would forbid far too much ("a", "jo"); Japanese given names are
    # often two characters, which is already a whole word.
    return {w for w in words if len(w) >= 3 or (len(w) == 2 and not w.isascii())}


# The words of this service (ASVS 6.2.11): a password may contain them, but without them
# what is left must still hold a few letters of its own, not only digits or symbols.
SERVICE_WORDS = (
    "sapporo", "札幌", "さっぽろ", "サッポロ",
    "hogoshi", "保護司", "ほごし", "hogo", "保護",
    "mendan", "面談", "めんだん", "yoyaku", "予約", "よやく", "booking", "reserve",
    "interview", "room", "面談室", "probation", "city", "市役所",
)  # fmt: skip


OWN_LETTERS = 4


def leans_on_service_words(folded: str) -> bool:
    """True for 「sapporo2025」 or 「札幌の保護司です」, not for 「さくら咲く札幌の春」."""
    rest = folded
    for word in sorted(SERVICE_WORDS, key=len, reverse=True):
        rest = rest.replace(word, "")
    return rest != folded and sum(c.isalpha() for c in rest) < OWN_LETTERS


def ensure_acceptable(password: str, *, email: str, name: str) -> None:
    """Raise UnacceptablePassword with a plain message saying what to change."""
    if len(password) < MIN_LENGTH:
        raise UnacceptablePassword(
            _("パスワードは%(count)d文字以上にしてください。", count=MIN_LENGTH)
        )
    if len(password) > MAX_LENGTH:
        raise UnacceptablePassword(
            _("パスワードは%(count)d文字以内にしてください。", count=MAX_LENGTH)
        )
    folded = password.casefold()
    if folded in common_passwords() or "".join(folded.split()) in common_passwords():
        raise UnacceptablePassword(
            _("よく使われていて推測されやすいパスワードです。別のパスワードにしてください。")
        )
    if leans_on_service_words(folded):
        raise UnacceptablePassword(
            _(
                "「札幌」「保護司」「予約」のような、このサービスのことばに頼らないパスワードに"
                "してください。ほかのことばを足せば使えます。"
            )
        )
    if any(word in folded for word in own_words(email, name)):
        raise UnacceptablePassword(_("メールアドレスや名前を含まないパスワードにしてください。"))
