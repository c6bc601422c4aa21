"""Every Japanese text of the code and templates has its English translation."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def test_every_text_is_translated_to_english(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(template),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as file:
        wanted = {message.id for message in read_po(file) if message.id}
    with (ROOT / "booking/translations/en/LC_MESSAGES/messages.po").open("rb") as file:
        translated = {m.id for m in read_po(file) if m.id and m.string and not m.fuzzy}
    assert len(wanted) > 100, "extraction found too few texts: is babel.cfg right?"
    assert sorted(wanted - translated) == []
