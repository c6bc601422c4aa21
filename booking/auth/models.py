"""People who log in: officers, facility staff and city administrators."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, String, Table, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.extensions import db
from booking.rooms.models import str_enum
from booking.timeutil import now_utc

if TYPE_CHECKING:
    from booking.rooms.models import Facility


class Role(enum.StrEnum):
    OFFICER = "officer"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(
            {Role.OFFICER: _l("保護司"), Role.MANAGER: _l("施設職員"), Role.ADMIN: _l("管理者")}[
                self
            ]
        )


facility_manager = Table(
    "facility_manager",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("facility_id", ForeignKey("facility.id", ondelete="CASCADE"), primary_key=True),
)


class User(db.Model):
    """An account; its login id carries a session version so that sessions can be revoked."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.OFFICER)
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    # Bumped on every change of the officer's own feed (booking.feeds.changes).
    calendar_version: Mapped[int] = mapped_column(default=0, server_default="0")
    calendar_changed_at: Mapped[datetime | None]
    # Which e-mails the officer wants; cancellations by the desk or the city always go.
    wants_confirmations: Mapped[bool] = mapped_column(default=True, server_default=true())
    wants_reminders: Mapped[bool] = mapped_column(default=True, server_default=true())
    # A Ward's value: the find page lists that ward first, then its neighbours.
    home_ward: Mapped[str | None] = mapped_column(String(16))
    name_kana: Mapped[str | None] = mapped_column(String(100))  # the reading, for the desk

    facilities: Mapped[list[Facility]] = relationship(
        secondary=facility_manager, back_populates="managers", order_by="Facility.id"
    )

    # Flask-Login's protocol, written out so that the login id can carry the session version.
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.MANAGER, Role.ADMIN)

    def serves(self, facility: Facility) -> bool:
        """True when this user may act for ``facility``'s desk."""
        return self.is_admin or (self.role is Role.MANAGER and facility in self.facilities)
