"""The live safety board: where each of today's reservations stands, overdue ones first."""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from booking.reservations.models import Reservation


class BoardState(enum.StrEnum):
    OVERDUE = "overdue"
    NOT_ARRIVED = "not_arrived"
    IN_ROOM = "in_room"
    UPCOMING = "upcoming"
    LEFT = "left"

    @property
    def label(self) -> str:
        return str(BOARD_LABELS[self])


BOARD_LABELS = {
    BoardState.OVERDUE: _l("超過"),
    BoardState.NOT_ARRIVED: _l("未到着"),
    BoardState.IN_ROOM: _l("入室中"),
    BoardState.UPCOMING: _l("これから"),
    BoardState.LEFT: _l("退室済"),
}
ORDER = list(BoardState)


def board_state(reservation: Reservation, now: datetime, grace: timedelta) -> BoardState:
    """Overdue: past the end plus grace without check-out, whether or not anyone checked in."""
    if reservation.checked_out_at:
        return BoardState.LEFT
    if now > reservation.ends_at + grace:
        return BoardState.OVERDUE
    if reservation.checked_in_at:
        return BoardState.IN_ROOM
    if now > reservation.starts_at + grace:
        return BoardState.NOT_ARRIVED
    return BoardState.UPCOMING


def is_overdue(reservation: Reservation, now: datetime, grace: timedelta) -> bool:
    return reservation.is_active and board_state(reservation, now, grace) is BoardState.OVERDUE


@dataclass(frozen=True)
class BoardRow:
    reservation: Reservation
    state: BoardState


def board_rows(reservations: list[Reservation], now: datetime, grace: timedelta) -> list[BoardRow]:
    """Active reservations with their state: overdue first, then by start time."""
    rows = [BoardRow(r, board_state(r, now, grace)) for r in reservations if r.is_active]
    return sorted(rows, key=lambda row: (ORDER.index(row.state), row.reservation.starts_at))
