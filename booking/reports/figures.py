"""Counts with the officers behind them, and how a row of figures is shown.

A cell that counts fewer than three distinct officers is shown as 「3未満」 so that nobody
can be singled out. Zero stays zero: it says nothing about anyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

FEWEST_OFFICERS = 3

COUNTS = (
    "held",
    "cancelled_by_officer",
    "cancelled_by_staff",
    "no_show",
    "second_officer",
    "probation_officer",
    "notify_desk",
    "caution",
)

FIGURE_HEADINGS = (
    _l("予約件数"),
    _l("面談時間（時間）"),
    _l("利用率（%）"),
    _l("保護司の人数"),
    _l("保護司による取消"),
    _l("窓口・市による取消"),
    _l("入室記録なし"),
    _l("保護司2人以上"),
    _l("保護観察官の参加"),
    _l("窓口へ連絡"),
    _l("慎重対応"),
)


def suppressed_text() -> str:
    return _("3未満")


@dataclass(frozen=True)
class Count:
    """How many, and how many distinct officers they came from."""

    n: int = 0
    officers: int = 0

    @property
    def suppressed(self) -> bool:
        return 0 < self.officers < FEWEST_OFFICERS

    def shown(self, divisor: int = 1) -> int | float | str:
        """The number for a table (an average when ``divisor`` > 1), or 「3未満」."""
        if self.suppressed:
            return suppressed_text()
        return self.n if divisor == 1 else round(self.n / divisor, 1)

    @classmethod
    def of(cls, row, name: str) -> Count:
        return cls(int(row[name] or 0), int(row[f"{name}_officers"] or 0))


@dataclass
class Figures:
    """One row of a report: the counts of COUNTS, interview and opening minutes."""

    counts: dict[str, Count] = field(default_factory=dict)
    minutes: int = 0
    opening: int = 0

    @classmethod
    def of(cls, row, opening: int = 0) -> Figures:
        counts = {name: Count.of(row, name) for name in COUNTS}
        return cls(counts, int(row["minutes"] or 0), opening)

    def count(self, name: str) -> Count:
        return self.counts.get(name, Count())

    def cells(self, divisor: int = 1) -> list:
        """The row's cells under FIGURE_HEADINGS; hours and utilisation follow the
        suppression of the reservations they come from."""
        held = self.count("held")
        hidden = held.suppressed
        hours = round(self.minutes / 60 / divisor, 1)
        rate = round(100 * self.minutes / self.opening, 1) if self.opening else "—"
        officers = Count(held.officers, held.officers)
        return [
            held.shown(divisor),
            suppressed_text() if hidden else hours,
            suppressed_text() if hidden else rate,
            officers.shown(divisor),
            *(self.count(name).shown(divisor) for name in COUNTS[1:]),
        ]
