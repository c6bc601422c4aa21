"""Who may see which report, and the report itself: tables built from the SQL counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking.auth.models import User
from booking.errors import NotAllowed
from booking.extensions import db
from booking.reports import queries
from booking.reports.figures import FIGURE_HEADINGS, Count, Figures
from booking.reports.hours import opening_minutes
from booking.reports.periods import Period, fiscal_year, fiscal_year_of, months_of
from booking.reservations.models import Reservation
from booking.rooms.models import Facility, FacilityKind, Room
from booking.templating import locale_code, weekday_name


def ensure_may_see(user: User, facility: Facility | None = None) -> None:
    """Admins see every facility; managers only those they serve; officers none."""
    if not user.is_staff:
        raise NotAllowed(_("施設職員と市の管理者のための画面です。"))
    if facility is not None and not user.serves(facility):
        raise NotAllowed(_("この施設の集計を見る権限がありません。"))


def visible_facilities(user: User) -> list[Facility]:
    """A city-wide report covers every facility for admins, a manager's own for managers."""
    ensure_may_see(user)
    if user.is_admin:
        return list(db.session.scalars(select(Facility).order_by(Facility.id)))
    return list(user.facilities)


def rooms_of(facilities: list[Facility]) -> list[Room]:
    """Their rooms with facility and weekly hours loaded (three queries)."""
    return list(
        db.session.scalars(
            select(Room)
            .join(Room.facility)
            .where(Room.facility_id.in_([f.id for f in facilities]))
            .options(selectinload(Room.facility).selectinload(Facility.opening_hours))
            .order_by(Facility.id, Room.id)
        )
    )


@dataclass
class Table:
    """One table of a report, as the page, the CSV and the workbook show it."""

    key: str
    title: str
    header: list[str]
    rows: list[list]


@dataclass
class Report:
    """A period's figures over some facilities, by room, facility and ward."""

    period: Period
    facilities: list[Facility]
    tables: list[Table]
    months: list[tuple[str, Count]]
    heat: dict[tuple[int, int], Count]
    hours: list[int]

    def table(self, key: str) -> Table:
        return next(table for table in self.tables if table.key == key)


def report(facilities: list[Facility], period: Period, now: datetime) -> Report:
    """Every table of the report: a constant number of queries, whatever the reservations."""
    rooms = rooms_of(facilities)
    scope = Scope(rooms, period, now)
    year = fiscal_year(fiscal_year_of(period.first))
    months = monthly(year, scope.room_ids)
    heat = {(row.dow, row.hour): row.count for row in weekday_hours(period, scope.room_ids)}
    hours = heat_hours(facilities, heat)
    tables = [
        scope.by_facility(),
        scope.by_room(),
        scope.by_ward(),
        months_table(year, months),
        heat_table(heat, hours),
        lead_table(period, scope.room_ids),
    ]
    return Report(period, facilities, tables, months, heat, hours)


def figure_header(first: str) -> list[str]:
    return [first, *(str(heading) for heading in FIGURE_HEADINGS)]


class Scope:
    """The rooms a report covers, their opening minutes, and the grouped counts."""

    def __init__(self, rooms: list[Room], period: Period, now: datetime):
        self.rooms, self.period, self.now = rooms, period, now
        self.room_ids = [room.id for room in rooms]
        self.opening = opening_minutes(rooms, period)

    def grouped(self, group) -> dict:
        rows = queries.figures(
            group, self.period.starts_at, self.period.ends_at, self.room_ids, self.now
        )
        return {row[group.key]: Figures.of(row) for row in rows}

    def total(self) -> Figures:
        (row,) = queries.figures(
            None, self.period.starts_at, self.period.ends_at, self.room_ids, self.now
        )
        return Figures.of(row, opening=sum(self.opening.values()))

    def room_figures(self, room: Room, counted: dict) -> Figures:
        figures = counted.get(room.id) or Figures()
        figures.opening = self.opening[room.id]
        return figures

    def by_room(self) -> Table:
        counted, locale = self.grouped(Reservation.room_id), locale_code()
        rows = [
            [
                f"{room.facility.name(locale)}／{room.name(locale)}",
                *self.room_figures(room, counted).cells(),
            ]
            for room in self.rooms
        ]
        return Table("rooms", _("部屋ごと"), figure_header(_("施設／部屋")), rows)

    def opening_of(self, keep) -> int:
        return sum(self.opening[room.id] for room in self.rooms if keep(room))

    def by_facility(self) -> Table:
        counted = self.grouped(Room.facility_id)
        rows = []
        for facility in unique(room.facility for room in self.rooms):
            figures = counted.get(facility.id) or Figures()
            figures.opening = self.opening_of(lambda room, f=facility: room.facility_id == f.id)
            rows.append([facility.name(locale_code()), *figures.cells()])
        rows.append([_("合計"), *self.total().cells()])
        return Table("facilities", _("施設ごと"), figure_header(_("施設")), rows)

    def by_ward(self) -> Table:
        counted = self.grouped(Facility.ward)
        rows = []
        for ward in sorted({room.facility.ward for room in self.rooms}, key=lambda w: w.order):
            figures = counted.get(ward) or Figures()
            figures.opening = self.opening_of(lambda room, w=ward: room.facility.ward is w)
            rows.append([ward.label, *figures.cells()])
        return Table("wards", _("区ごと"), figure_header(_("区")), rows)


def unique(items) -> list:
    return list(dict.fromkeys(items))


def monthly(year: Period, room_ids: list[int]) -> list[tuple[str, Count]]:
    """Reservations held in each month of the fiscal year, for the bar chart."""
    rows = {
        row["month"]: Count.of(row, "held")
        for row in queries.by_month(year.starts_at, year.ends_at, room_ids)
    }
    return [(m.label, rows.get(m.first.strftime("%Y-%m"), Count())) for m in months_of(year)]


def months_table(year: Period, months: list[tuple[str, Count]]) -> Table:
    rows = [[label, count.shown()] for label, count in months]
    title = _("月ごとの予約件数（%(year)s）", year=year.label)
    return Table("months", title, [_("月"), _("予約件数")], rows)


@dataclass(frozen=True)
class HeatCell:
    dow: int  # Monday = 0, as Python counts
    hour: int
    count: Count


def weekday_hours(period: Period, room_ids: list[int]) -> list[HeatCell]:
    rows = queries.by_weekday_and_hour(period.starts_at, period.ends_at, room_ids)
    # SQL counts Sunday as 0.
    return [HeatCell((row["dow"] + 6) % 7, row["hour"], Count.of(row, "held")) for row in rows]


def heat_hours(facilities: list[Facility], heat: dict) -> list[int]:
    """The hours the heat map shows: every hour any facility opens, and any booked."""
    hours = {hour for _dow, hour in heat}
    for facility in facilities:
        for interval in facility.opening_hours:
            last = interval.closes.hour - (interval.closes.minute == 0)
            hours.update(range(interval.opens.hour, last + 1))
    return list(range(min(hours), max(hours) + 1)) if hours else list(range(9, 21))


def heat_table(heat: dict, hours: list[int]) -> Table:
    header = [_("開始時刻"), *(weekday_name(dow) for dow in range(7))]
    rows = [
        [f"{hour}:00", *(heat.get((dow, hour), Count()).shown() for dow in range(7))]
        for hour in hours
    ]
    return Table("heatmap", _("曜日と開始時刻ごとの予約件数"), header, rows)


LEAD_LABELS = (
    _l("当日（24時間未満）"),
    _l("1〜2日前"),
    _l("3〜6日前"),
    _l("7〜13日前"),
    _l("14〜29日前"),
    _l("30日以上前"),
)


def lead_table(period: Period, room_ids: list[int]) -> Table:
    """How long before the interview it was booked."""
    rows = queries.by_lead_time(period.starts_at, period.ends_at, room_ids)
    counted = {row["bucket"]: Count.of(row, "held") for row in rows}
    body = [[str(label), counted.get(n, Count()).shown()] for n, label in enumerate(LEAD_LABELS)]
    return Table("leadtime", _("予約から面談までの日数"), [_("予約した時期"), _("予約件数")], body)


def trial(facility: Facility, split: date, days: int, now: datetime) -> Table:
    """The facility before and after ``split``, beside the average support center."""
    before = Period(split - timedelta(days=days), split - timedelta(days=1), _("前"))
    after = Period(split, split + timedelta(days=days - 1), _("後"))
    centers = list(
        db.session.scalars(
            select(Facility).where(
                Facility.kind == FacilityKind.SUPPORT_CENTER, Facility.id != facility.id
            )
        )
    )
    rows = []
    for name, facilities in (
        (facility.name(locale_code()), [facility]),
        (_("サポートセンターの平均"), centers),
    ):
        for period in (before, after):
            figures, open_count = pooled(facilities, period, now)
            period_text = f"{period.first.isoformat()}〜{period.last.isoformat()}"
            rows.append([name, period_text, *figures.cells(divisor=max(open_count, 1))])
    title = _(
        "試行の比較：%(name)s（%(date)sの前後%(days)d日）",
        name=facility.name(locale_code()),
        date=split.isoformat(),
        days=days,
    )
    return Table("trial", title, [_("施設"), _("期間"), *figure_header("")[1:]], rows)


def pooled(facilities: list[Facility], period: Period, now: datetime) -> tuple[Figures, int]:
    """The facilities' figures together, and how many of them opened in the period."""
    scope = Scope(rooms_of(facilities), period, now) if facilities else None
    if scope is None or not scope.rooms:
        return Figures(), 0
    open_ids = {room.facility_id for room in scope.rooms if scope.opening[room.id]}
    return scope.total(), len(open_ids)
