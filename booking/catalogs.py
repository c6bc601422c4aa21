"""Compiled message catalogues kept up to date, so that `pytest` or `flask run` alone work."""

import logging
import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

CATALOGUES = Path(__file__).parent / "translations"
log = logging.getLogger(__name__)


def is_stale(po: Path, mo: Path) -> bool:
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def compile_stale(root: Path = CATALOGUES) -> list[Path]:
    """Compile each messages.po whose .mo is missing or older; return the files written."""
    written = []
    for po in sorted(root.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if not is_stale(po, mo):
            continue
        with po.open("rb") as source:
            catalogue = read_po(source)
        partial = mo.with_name(f"{mo.name}.{os.getpid()}")
        try:
            with partial.open("wb") as target:
                write_mo(target, catalogue, use_fuzzy=True)
            partial.replace(mo)  # atomic: another worker never reads half a file
        except OSError as error:  # a read-only install: it must have been compiled when built
            log.warning("cannot write %s: %s", mo, error)
            continue
        written.append(mo)
    return written
