"""The live safety board: where each of today's reservations stands, alarms first."""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking.extensions import db
from booking.reservations.models import Reservation
from booking.safety.models import Acknowledgement, AlarmKind


class BoardState(enum.StrEnum):
    OVERDUE = "overdue"
    NOT_ARRIVED = "not_arrived"
    IN_ROOM = "in_room"
    UPCOMING = "upcoming"
    ACKNOWLEDGED = "acknowledged"
    LEFT = "left"

    @property
    def label(self) -> str:
        return str(BOARD_LABELS[self])

    @property
    def alarm(self) -> AlarmKind | None:
        """The red states are alarms the desk must act on."""
        return ALARMS.get(self)


BOARD_LABELS = {
    BoardState.OVERDUE: _l("退室未記録"),
    BoardState.NOT_ARRIVED: _l("未到着"),
    BoardState.IN_ROOM: _l("入室中"),
    BoardState.UPCOMING: _l("これから"),
    BoardState.ACKNOWLEDGED: _l("確認済み"),
    BoardState.LEFT: _l("退室済"),
}
ALARMS = {BoardState.OVERDUE: AlarmKind.OVERDUE, BoardState.NOT_ARRIVED: AlarmKind.NOT_ARRIVED}
ORDER = list(BoardState)


def board_state(reservation: Reservation, now: datetime, grace: timedelta) -> BoardState:
    """Checked in: overdue past the end plus grace. Not checked in: not arrived past the start
    plus grace, also once the end has passed (nobody is known to be in the room)."""
    if reservation.checked_out_at:
        return BoardState.LEFT
    if reservation.checked_in_at:
        return BoardState.OVERDUE if now > reservation.ends_at + grace else BoardState.IN_ROOM
    if now > reservation.starts_at + grace:
        return BoardState.NOT_ARRIVED
    return BoardState.UPCOMING


def alarm_kind(reservation: Reservation, now: datetime, grace: timedelta) -> AlarmKind | None:
    """The alarm an active reservation raises now, if any (acknowledged or not)."""
    return board_state(reservation, now, grace).alarm if reservation.is_active else None


@dataclass(frozen=True)
class BoardRow:
    reservation: Reservation
    state: BoardState
    acknowledgements: tuple[Acknowledgement, ...] = ()

    @property
    def alarm(self) -> AlarmKind | None:
        return self.state.alarm


def acknowledgements_of(reservations: list[Reservation]) -> dict[int, list[Acknowledgement]]:
    """The desk's acknowledgements of these reservations, in one query."""
    found: dict[int, list[Acknowledgement]] = {}
    rows = db.session.scalars(
        select(Acknowledgement)
        .where(Acknowledgement.reservation_id.in_([r.id for r in reservations]))
        .options(selectinload(Acknowledgement.by))
        .order_by(Acknowledgement.at)
    )
    for acknowledgement in rows:
        found.setdefault(acknowledgement.reservation_id, []).append(acknowledgement)
    return found


def row_state(state: BoardState, acknowledged: list[Acknowledgement]) -> BoardState:
    """An alarm the desk acknowledged leaves the red group; one of the other kind does not."""
    if state.alarm and any(a.kind is state.alarm for a in acknowledged):
        return BoardState.ACKNOWLEDGED
    return state


def board_rows(reservations: list[Reservation], now: datetime, grace: timedelta) -> list[BoardRow]:
    """Active reservations with their state: alarms first, then by start time."""
    active = [r for r in reservations if r.is_active]
    known = acknowledgements_of(active) if active else {}
    rows = []
    for r in active:
        acknowledged = known.get(r.id, [])
        state = row_state(board_state(r, now, grace), acknowledged)
        rows.append(BoardRow(r, state, tuple(acknowledged)))
    return sorted(rows, key=lambda row: (ORDER.index(row.state), row.reservation.starts_at))
