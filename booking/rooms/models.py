"""Facilities the city lends, their rooms, hours and closures."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from booking.extensions import db

if TYPE_CHECKING:
    from booking.auth.models import User


def str_enum(kind: type[enum.Enum], length: int = 32) -> Enum:
    """A portable enum column: stored as its value, checked by a CHECK constraint."""
    return Enum(
        kind,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Ward(enum.StrEnum):
    """Sapporo's ten wards, in the city's own order."""

    CHUO = "chuo"
    KITA = "kita"
    HIGASHI = "higashi"
    SHIROISHI = "shiroishi"
    ATSUBETSU = "atsubetsu"
    TOYOHIRA = "toyohira"
    KIYOTA = "kiyota"
    MINAMI = "minami"
    NISHI = "nishi"
    TEINE = "teine"

    @property
    def label(self) -> str:
        return str(WARD_LABELS[self])

    @property
    def order(self) -> int:
        return list(Ward).index(self)


WARD_LABELS = {
    Ward.CHUO: _l("中央区"),
    Ward.KITA: _l("北区"),
    Ward.HIGASHI: _l("東区"),
    Ward.SHIROISHI: _l("白石区"),
    Ward.ATSUBETSU: _l("厚別区"),
    Ward.TOYOHIRA: _l("豊平区"),
    Ward.KIYOTA: _l("清田区"),
    Ward.MINAMI: _l("南区"),
    Ward.NISHI: _l("西区"),
    Ward.TEINE: _l("手稲区"),
}

# Which wards border which (the city's map): the find page lists a neighbour of the officer's
# home ward before wards further away.
NEIGHBOURS: dict[Ward, frozenset[Ward]] = {
    Ward.CHUO: frozenset(
        {Ward.KITA, Ward.HIGASHI, Ward.SHIROISHI, Ward.TOYOHIRA, Ward.MINAMI, Ward.NISHI}
    ),
    Ward.KITA: frozenset({Ward.CHUO, Ward.HIGASHI, Ward.NISHI, Ward.TEINE}),
    Ward.HIGASHI: frozenset({Ward.CHUO, Ward.KITA, Ward.SHIROISHI}),
    Ward.SHIROISHI: frozenset(
        {Ward.CHUO, Ward.HIGASHI, Ward.TOYOHIRA, Ward.ATSUBETSU, Ward.KIYOTA}
    ),
    Ward.ATSUBETSU: frozenset({Ward.SHIROISHI, Ward.KIYOTA}),
    Ward.TOYOHIRA: frozenset({Ward.CHUO, Ward.SHIROISHI, Ward.KIYOTA, Ward.MINAMI}),
    Ward.KIYOTA: frozenset({Ward.TOYOHIRA, Ward.SHIROISHI, Ward.ATSUBETSU, Ward.MINAMI}),
    Ward.MINAMI: frozenset({Ward.CHUO, Ward.TOYOHIRA, Ward.KIYOTA, Ward.NISHI}),
    Ward.NISHI: frozenset({Ward.CHUO, Ward.KITA, Ward.TEINE, Ward.MINAMI}),
    Ward.TEINE: frozenset({Ward.NISHI, Ward.KITA}),
}


class FacilityKind(enum.StrEnum):
    SUPPORT_CENTER = "support_center"
    BRANCH_HALL = "branch_hall"
    MACHIZUKURI_CENTER = "machizukuri_center"

    @property
    def label(self) -> str:
        return str(
            {
                FacilityKind.SUPPORT_CENTER: _l("更生保護サポートセンター"),
                FacilityKind.BRANCH_HALL: _l("出張所 地区集会所"),
                FacilityKind.MACHIZUKURI_CENTER: _l("まちづくりセンター"),
            }[self]
        )


class FeeBasis(enum.StrEnum):
    FULL_EXEMPTION = "full_exemption"
    FEE_EXEMPTION = "fee_exemption"
    FREE_TRIAL = "free_trial"

    @property
    def label(self) -> str:
        return str(
            {
                FeeBasis.FULL_EXEMPTION: _l("使用料全額免除"),
                FeeBasis.FEE_EXEMPTION: _l("使用料の減免（保護司の面談は無料）"),
                FeeBasis.FREE_TRIAL: _l("無料（試行）"),
            }[self]
        )


class Facility(db.Model):
    """A building (or part of one) whose rooms officers may book."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    ward: Mapped[Ward] = mapped_column(str_enum(Ward))
    name_ja: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(32))  # the main number, from sapporo.toml
    desk_phone: Mapped[str | None] = mapped_column(String(32))  # set by the desk (manage/desk)
    access_notes: Mapped[str] = mapped_column(Text, default="")
    desk_location: Mapped[str] = mapped_column(String(300), default="")
    desk_email: Mapped[str | None] = mapped_column(String(254))
    kind: Mapped[FacilityKind] = mapped_column(str_enum(FacilityKind))
    fee_basis: Mapped[FeeBasis] = mapped_column(str_enum(FeeBasis))
    closes_on_holidays: Mapped[bool] = mapped_column(default=True)
    closes_year_end: Mapped[bool] = mapped_column(default=True)
    bookable_from: Mapped[date]
    bookable_until: Mapped[date | None]

    rooms: Mapped[list[Room]] = relationship(
        back_populates="facility", order_by="Room.id", cascade="all, delete-orphan"
    )
    opening_hours: Mapped[list[OpeningHours]] = relationship(
        order_by="OpeningHours.weekday", cascade="all, delete-orphan"
    )
    closures: Mapped[list[Closure]] = relationship(
        back_populates="facility", cascade="all, delete-orphan"
    )
    managers: Mapped[list[User]] = relationship(
        secondary="facility_manager", back_populates="facilities"
    )

    __table_args__ = (
        CheckConstraint(
            "bookable_until IS NULL OR bookable_from <= bookable_until", name="bookable_range"
        ),
    )

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_ja

    def hours_on(self, weekday: int) -> OpeningHours | None:
        return next((h for h in self.opening_hours if h.weekday == weekday), None)

    @property
    def emergency_phone(self) -> str | None:
        """The desk's own number, else the facility's main one: the card must give a number."""
        return self.desk_phone or self.phone

    @property
    def open_evenings_or_weekends(self) -> bool:
        """Open after office hours on some day, or on Saturday or Sunday."""
        return any(h.weekday >= 5 or h.closes > time(17, 30) for h in self.opening_hours)

    def is_bookable_on(self, day: date) -> bool:
        """Within the dates the city lends this facility for interviews."""
        return self.bookable_from <= day and (
            self.bookable_until is None or day <= self.bookable_until
        )


class Room(db.Model):
    """A room officers book, with its own booking rules and safety features."""

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name_ja: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    floor: Mapped[str] = mapped_column(String(16), default="")
    capacity: Mapped[int] = mapped_column(default=4)
    near_desk: Mapped[bool] = mapped_column(default=False)
    second_exit: Mapped[bool] = mapped_column(default=False)
    alarm_button: Mapped[bool] = mapped_column(default=False)
    slot_minutes: Mapped[int] = mapped_column(default=15)
    min_minutes: Mapped[int] = mapped_column(default=30)
    max_minutes: Mapped[int] = mapped_column(default=180)
    window_days: Mapped[int] = mapped_column(default=60)
    buffer_minutes: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # When an admin retired it: the reports count its opening hours only before this.
    retired_at: Mapped[datetime | None]
    # Bumped on every change its feeds could show (booking.feeds.changes): the ETag reads these.
    calendar_version: Mapped[int] = mapped_column(default=0, server_default="0")
    calendar_changed_at: Mapped[datetime | None]
    # Bumped when the room or its facility is renamed or moved: each event in a feed counts
    # it in its SEQUENCE and LAST-MODIFIED, so that calendar apps take the new place.
    place_version: Mapped[int] = mapped_column(default=0, server_default="0")
    place_changed_at: Mapped[datetime | None]

    facility: Mapped[Facility] = relationship(back_populates="rooms")
    staffed_hours: Mapped[list[StaffedHours]] = relationship(
        order_by="StaffedHours.weekday", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("facility_id", "code"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("slot_minutes > 0", name="slot_positive"),
        CheckConstraint("0 < min_minutes AND min_minutes <= max_minutes", name="length_range"),
        CheckConstraint("window_days > 0", name="window_positive"),
        CheckConstraint("buffer_minutes >= 0", name="buffer_not_negative"),
    )

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_ja

    def staffed_on(self, weekday: int) -> StaffedHours | None:
        return next((h for h in self.staffed_hours if h.weekday == weekday), None)


class WeeklyInterval:
    """A daily interval on one weekday (0 = Monday), opening before it closes."""

    weekday: Mapped[int] = mapped_column(primary_key=True)
    opens: Mapped[time]
    closes: Mapped[time]

    @declared_attr.directive
    def __table_args__(cls):
        return (
            CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
            CheckConstraint("opens < closes", name="opens_before_closes"),
        )

    def covers(self, start: time, end: time) -> bool:
        return self.opens <= start and end <= self.closes


class OpeningHours(WeeklyInterval, db.Model):
    """When the building is open on one weekday."""

    __tablename__ = "opening_hours"
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), primary_key=True)


class StaffedHours(WeeklyInterval, db.Model):
    """When someone is at the room's desk on one weekday."""

    __tablename__ = "staffed_hours"
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"), primary_key=True)


class Closure(db.Model):
    """A facility, or one of its rooms, closed for a period, with the reason users see."""

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200))

    facility: Mapped[Facility] = relationship(back_populates="closures")
    room: Mapped[Room | None] = relationship()

    __table_args__ = (CheckConstraint("starts_at < ends_at", name="starts_before_ends"),)

    def applies_to(self, room: Room) -> bool:
        return self.room_id is None or self.room_id == room.id
