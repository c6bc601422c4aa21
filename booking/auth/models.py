"""People who log in: officers, facility staff and city administrators."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, true
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
    """An account; each browser it is signed in on is a LoginSession that can be ended."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Officers without e-mail sign in with a login id instead (given with a printed code).
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    login_id: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.OFFICER)
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None until one is set
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    # Bumped on every change of the officer's own feed (booking.feeds.changes).
    calendar_version: Mapped[int] = mapped_column(default=0, server_default="0")
    calendar_changed_at: Mapped[datetime | None]
    # Which e-mails the officer wants; cancellations by the desk or the city always go.
    wants_confirmations: Mapped[bool] = mapped_column(default=True, server_default=true())
    wants_reminders: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Second factor (TOTP, RFC 6238): the secret is set when enrolment starts and counts only
    # once a code has confirmed it; the last accepted time step keeps a code from being reused.
    totp_secret: Mapped[str | None] = mapped_column(String(32))
    totp_confirmed_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]
    # A Ward's value: the find page lists that ward first, then its neighbours.
    home_ward: Mapped[str | None] = mapped_column(String(16))
    name_kana: Mapped[str | None] = mapped_column(String(100))  # the reading, for the desk

    facilities: Mapped[list[Facility]] = relationship(
        secondary=facility_manager, back_populates="managers", order_by="Facility.id"
    )

    __table_args__ = (
        CheckConstraint("email IS NOT NULL OR login_id IS NOT NULL", name="email_or_login_id"),
        Index("uq_user_login_id", "login_id", unique=True),
        Index("ix_user_reading_order", "name_kana", "name", "id"),  # the admins' list
    )

    # Flask-Login's protocol, written out so that the login id is the login session's token.
    is_anonymous = False
    # Set for the request's user: the session it came with and that session's raw token.
    # (plain attributes, not columns: a LoginSession and its raw token, or None)
    login_session = None
    login_token = None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        return self.login_token

    @property
    def sign_in_name(self) -> str:
        """What the person signs in with: the e-mail address, or else the login id."""
        return self.email or self.login_id or ""

    @property
    def has_two_factor(self) -> bool:
        return self.totp_confirmed_at is not None

    @property
    def needs_two_factor(self) -> bool:
        """Staff must use a second factor before they may do anything else."""
        return self.is_staff and not self.has_two_factor

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.MANAGER, Role.ADMIN)

    def serves(self, facility: Facility) -> bool:
        """True when this user may act for ``facility``'s desk."""
        return self.is_admin or (self.role is Role.MANAGER and facility in self.facilities)


class LoginSession(db.Model):
    """One browser signed in to an account; only the hash of its token is stored."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime]
    device: Mapped[str] = mapped_column(String(80))  # e.g. "iPhone Safari", never the raw UA
    client_address: Mapped[str | None] = mapped_column(String(45))
    ended_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    def is_current_for(self, now: datetime, *, lifetime: timedelta, idle: timedelta) -> bool:
        """Open, younger than the absolute lifetime and used within the idle limit."""
        return (
            self.ended_at is None
            and now < self.created_at + lifetime
            and now < self.last_used_at + idle
        )


class RecoveryCode(db.Model):
    """A single-use code for when the phone with the authenticator is not at hand."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # argon2id, salted: a code is only about 50 bits (older rows: a plain SHA-256).
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None]


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"  # a link e-mailed to a new account to set its password
    LETTER = "letter"  # a code printed on paper, for an account without e-mail
    RESET = "reset"  # a link for a forgotten password
    EMAIL = "email"  # a link to the new address, confirming a change of e-mail


class AccountToken(db.Model):
    """A single-use secret sent or handed to a person; only its SHA-256 is stored."""

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(str_enum(TokenPurpose, length=16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    new_email: Mapped[str | None] = mapped_column(String(254))  # for TokenPurpose.EMAIL
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at
