"""The desk's acknowledgement of a red card on the safety board: what it found out, by whom."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.extensions import db
from booking.rooms.models import str_enum

if TYPE_CHECKING:
    from booking.auth.models import User
    from booking.reservations.models import Reservation

NOTE_MAX = 100


class AlarmKind(enum.StrEnum):
    """The two worries of the board: nobody came, or nobody recorded leaving."""

    NOT_ARRIVED = "not_arrived"
    OVERDUE = "overdue"

    @property
    def label(self) -> str:
        return str({AlarmKind.NOT_ARRIVED: _l("未到着"), AlarmKind.OVERDUE: _l("退室未記録")}[self])


class Outcome(enum.StrEnum):
    """What the desk found out; a free-text outcome carries a short note."""

    SAFE_BY_PHONE = "safe_by_phone"
    ARRIVED_UNRECORDED = "arrived_unrecorded"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(
            {
                Outcome.SAFE_BY_PHONE: _l("電話で無事を確認"),
                Outcome.ARRIVED_UNRECORDED: _l("到着済み（記録漏れ）"),
                Outcome.OTHER: _l("その他"),
            }[self]
        )


class Acknowledgement(db.Model):
    """One alarm of one reservation, acknowledged by the desk; the alarm is then cleared.

    One per reservation and kind: a later alarm of the other kind is a new alarm. The note
    (the desk's own words, for "other") is cleared with the desk notes (safety.retention).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int] = mapped_column(
        ForeignKey("reservation.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[AlarmKind] = mapped_column(str_enum(AlarmKind, 16))
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome, 32))
    note: Mapped[str] = mapped_column(String(NOTE_MAX), default="")
    by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime]

    by: Mapped[User] = relationship()
    reservation: Mapped[Reservation] = relationship()

    __table_args__ = (
        UniqueConstraint("reservation_id", "kind"),
        CheckConstraint(
            "outcome = 'other' OR note = ''",
            name="note_only_for_other",
        ),
        CheckConstraint(f"length(note) <= {NOTE_MAX}", name="note_short"),
    )

    @property
    def outcome_text(self) -> str:
        """The desk's own words, or the outcome's name (also once the words were cleared)."""
        return self.note or self.outcome.label
