"""Accounts as the city's administrators keep them: find, create, edit, (de)activate, and hand
out a first password by e-mailed link or by a printed one-time code."""

from __future__ import annotations

import enum
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from booking import audit
from booking.account import invitations
from booking.audit import AuditEvent
from booking.auth import services as auth
from booking.auth import tokens, two_factor
from booking.auth.models import LoginSession, Role, TokenPurpose, User, facility_manager
from booking.errors import InvalidInput, NotAllowed
from booking.extensions import db
from booking.manage.officers import katakana  # readings are kept in katakana
from booking.rooms.models import Facility, Ward
from booking.security import log_event
from booking.timeutil import now_utc

PER_PAGE = 50
LAST_PAGE = 10_000  # a page number beyond any list: the list ends long before
RECENT_EVENTS = 20


class Status(enum.StrEnum):
    INVITED = "invited"  # active, but no password chosen yet
    ACTIVE = "active"
    INACTIVE = "inactive"

    @property
    def label(self) -> str:
        return str(
            {
                Status.INVITED: _l("招待中（パスワード未設定）"),
                Status.ACTIVE: _l("利用中"),
                Status.INACTIVE: _l("停止中"),
            }[self]
        )


class Refused(InvalidInput):
    """Details an administrator typed that the world refuses, shown next to their field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class EmailTaken(Refused):
    status = 409


def status_of(user: User) -> Status:
    if not user.active:
        return Status.INACTIVE
    return Status.INVITED if user.password_hash is None else Status.ACTIVE


# -- Finding accounts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """What the list is narrowed to; every part optional."""

    text: str = ""
    role: Role | None = None
    facility_id: int | None = None
    status: Status | None = None


def searchable(text: str) -> str:
    """What was typed, as stored: full-width letters, digits and spaces made plain."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def without_spaces(column):
    """Names are kept with single ASCII spaces (the form makes them so): 保護司一郎 finds
    保護司 一郎."""
    return func.replace(column, " ", "")


def matching(query: Select, search: Search) -> Select:
    """``query`` narrowed to the accounts ``search`` asks for."""
    for word in searchable(search.text).split():
        query = query.where(or_(*word_matches(word)))
    if search.role is not None:
        query = query.where(User.role == search.role)
    if search.facility_id is not None:
        # From the few managers of the facility, not a lookup for every account.
        serving = select(facility_manager.c.user_id).where(
            facility_manager.c.facility_id == search.facility_id
        )
        query = query.where(User.id.in_(serving))
    if search.status is Status.INACTIVE:
        query = query.where(User.active.is_(False))
    elif search.status is Status.INVITED:
        query = query.where(User.active.is_(True), User.password_hash.is_(None))
    elif search.status is Status.ACTIVE:
        query = query.where(User.active.is_(True), User.password_hash.is_not(None))
    return query


def word_matches(word: str) -> list:
    """The columns one word of the search may be found in.

    Plain LIKE, as each column is stored (addresses in lower case, login ids in upper case,
    readings in katakana): ILIKE would lower() every row of a search that reads them all.
    """
    found = [
        without_spaces(User.name).like(contains(word), escape="\\"),
        without_spaces(User.name_kana).like(contains(katakana(word)), escape="\\"),
        User.email.like(contains(word.lower()), escape="\\"),
    ]
    if re.fullmatch(r"[A-Za-z][0-9]{1,6}", word):
        found.append(User.login_id.like(contains(word.upper()), escape="\\"))
    digits = re.sub(r"[^0-9]", "", word)
    if len(digits) >= 3 and re.fullmatch(r"[0-9()+\-]+", word):
        found.append(func.replace(User.phone, "-", "").like(f"%{digits}%"))
    return found


def contains(word: str) -> str:
    return f"%{escaped(word)}%"


def escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class Page:
    accounts: list[User]
    total: int
    number: int
    per_page: int = PER_PAGE
    pages: int = field(init=False)

    def __post_init__(self):
        self.pages = max(1, -(-self.total // self.per_page))


def find(search: Search, page: int = 1) -> Page:
    """One page of matching accounts, by reading; three statements whatever their number."""
    page = min(max(page, 1), LAST_PAGE)
    total = db.session.scalar(matching(select(func.count(User.id)), search))
    query = (
        matching(select(User), search)
        .options(selectinload(User.facilities))
        .order_by(*reading_order(search))
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    return Page(list(db.session.scalars(query)), total, page)


def reading_order(search: Search) -> tuple:
    """By reading, then name. A text search reads every row anyway: then the table is read in
    its own order and the few matches sorted, rather than every row fetched through the
    index (coalesce() keeps the planner off ix_user_reading_order; three times faster)."""
    if searchable(search.text):
        return func.coalesce(User.name_kana, ""), User.name, User.id
    return User.name_kana, User.name, User.id


def every(search: Search) -> list[User]:
    """Every matching account, for the CSV (the managers' facilities loaded at once)."""
    query = matching(select(User), search).options(selectinload(User.facilities))
    return list(db.session.scalars(query.order_by(User.name_kana, User.name, User.id)))


CSV_TITLES = (
    _l("氏名"),
    _l("ふりがな"),
    _l("メールアドレス"),
    _l("ログインID"),
    _l("電話番号"),
    _l("役割"),
    _l("担当施設"),
    _l("区"),
    _l("状態"),
)


def csv_rows(users: list[User]):
    """The export's rows, in CSV_TITLES' order."""
    for user in users:
        yield (
            user.name,
            user.name_kana or "",
            user.email or "",
            user.login_id or "",
            user.phone or "",
            user.role.label,
            " ".join(f.name_ja for f in user.facilities),
            Ward(user.home_ward).label if user.home_ward else "",
            status_of(user).label,
        )


# -- One account's page -------------------------------------------------------------------


# What the account's page calls the events about an account; others show their own name.
EVENT_LABELS = {
    "user.create": _l("アカウントの作成"),
    "user.update": _l("登録内容の変更"),
    "user.deactivate": _l("停止"),
    "user.reactivate": _l("利用の再開"),
    "user.end_sessions": _l("全端末のログアウト"),
    "user.invite": _l("パスワードを決めるリンクの送信"),
    "user.invitation_accepted": _l("リンクからパスワードを決めた"),
    "user.letter": _l("確認コードの紙の印刷"),
    "user.letter_accepted": _l("確認コードからパスワードを決めた"),
    "user.login": _l("ログイン"),
    "user.login_failed": _l("ログインの失敗"),
    "user.logout": _l("ログアウト"),
    "user.mail_choices": _l("メールの設定の変更"),
    "user.password_change": _l("パスワードの変更"),
    "user.two_factor_enable": _l("2段階認証の設定"),
    "user.two_factor_reset": _l("2段階認証の解除"),
}


def event_label(action: str) -> str:
    return str(EVENT_LABELS.get(action, action))


@dataclass
class Overview:
    user: User
    status: Status
    open_sessions: int
    last_login: datetime | None
    events: list[AuditEvent]


def overview(user: User, *, lifetime: timedelta, idle: timedelta) -> Overview:
    """What an administrator sees on an account's page."""
    now = now_utc()
    open_sessions = db.session.scalar(
        select(func.count(LoginSession.id)).where(
            LoginSession.user_id == user.id,
            LoginSession.ended_at.is_(None),
            LoginSession.created_at > now - lifetime,
            LoginSession.last_used_at > now - idle,
        )
    )
    last_login = db.session.scalar(
        select(func.max(LoginSession.created_at)).where(LoginSession.user_id == user.id)
    )
    about = (AuditEvent.object_type == "user") & (AuditEvent.object_id == str(user.id))
    events = db.session.scalars(
        select(AuditEvent)
        .where(about | (AuditEvent.actor_id == user.id))
        .order_by(AuditEvent.id.desc())
        .limit(RECENT_EVENTS)
    )
    return Overview(user, status_of(user), open_sessions, last_login, list(events))


# -- Creating and editing -----------------------------------------------------------------


@dataclass
class Details:
    """What an administrator types about a person (already in shape, from the form)."""

    name: str
    name_kana: str | None
    email: str | None
    phone: str | None
    role: Role
    facility_ids: list[int]
    home_ward: str | None

    def reading(self) -> str | None:
        return katakana(self.name_kana) if self.name_kana else None


EDITABLE = ("name", "name_kana", "email", "phone", "role", "home_ward")


def create(details: Details, *, by: User) -> User:
    """A new account without a password: invited by e-mail, or given a login id for a letter."""
    ensure_may_administer(by)
    user = User(role=details.role, active=True)
    apply(user, details)
    if user.email is None:
        user.login_id = new_login_id()
    db.session.add(user)
    db.session.flush()
    audit.record(by, "user.create", user, fields=[n for n in EDITABLE if getattr(user, n)])
    log_event("account.create", user.id)
    if user.email:
        invitations.invite(user, by=by)
    return user


def update(user: User, details: Details, *, by: User) -> list[str]:
    """Change an account; the names of the fields that changed are audited and returned."""
    ensure_may_administer(by)
    if user.id == by.id and details.role is not Role.ADMIN:
        raise NotAllowed(_("ご自身の役割は変更できません。ほかの管理者に頼んでください。"))
    before = {n: getattr(user, n) for n in EDITABLE}
    facilities_before = [f.id for f in user.facilities]
    apply(user, details)
    if user.email is None and user.login_id is None:
        user.login_id = new_login_id()
    changed = [n for n in EDITABLE if getattr(user, n) != before[n]]
    if [f.id for f in user.facilities] != facilities_before:
        changed.append("facilities")
    if changed:
        db.session.flush()
        audit.record(by, "user.update", user, fields=changed)
    return changed


def apply(user: User, details: Details) -> None:
    """Check ``details`` against the world (a taken address, facilities) and copy them."""
    email = auth.normalize_email(details.email) if details.email else None
    if details.role is not Role.OFFICER and not email:
        raise Refused(_("施設職員と管理者にはメールアドレスが必要です。"), field="email")
    if email and email != user.email and auth.find_user(email) is not None:
        raise EmailTaken(
            _("このメールアドレスは、ほかのアカウントで使われています。"), field="email"
        )
    if details.facility_ids and details.role is not Role.MANAGER:
        raise Refused(_("施設を担当できるのは施設職員だけです。"), field="facilities")
    facilities = list(
        db.session.scalars(
            select(Facility).where(Facility.id.in_(details.facility_ids)).order_by(Facility.id)
        )
    )
    if len(facilities) != len(set(details.facility_ids)):
        raise Refused(_("一覧から施設を選んでください。"), field="facilities")
    user.name = details.name
    user.name_kana = details.reading()
    user.email = email
    user.phone = details.phone
    user.role = details.role
    user.home_ward = details.home_ward
    user.facilities = facilities


def new_login_id() -> str:
    """An unused login id: "H" and six digits, nothing to mistake (no O/0, I/1) and easy to
    read out on the phone; the unique index is the backstop should two be made at once."""
    for _attempt in range(20):
        candidate = f"H{secrets.randbelow(1_000_000):06d}"
        if db.session.scalar(select(User.id).where(User.login_id == candidate)) is None:
            return candidate
    raise RuntimeError("no free login id after 20 tries")  # a million ids: not in practice


# -- What an administrator does to an account ---------------------------------------------


def ensure_may_administer(by: User) -> None:
    if not by.is_admin:
        raise NotAllowed(_("市の管理者のための操作です。"))


def deactivate(user: User, *, by: User) -> None:
    """Stop an account at once: every session ends, unused links and codes stop working."""
    ensure_may_administer(by)
    if user.id == by.id:
        raise NotAllowed(_("ご自身のアカウントは停止できません。ほかの管理者に頼んでください。"))
    auth.deactivate(user)
    for purpose in TokenPurpose:
        tokens.withdraw(user, purpose)
    audit.record(by, "user.deactivate", user)


def reactivate(user: User, *, by: User) -> None:
    ensure_may_administer(by)
    user.active = True
    audit.record(by, "user.reactivate", user)
    log_event("account.reactivate", user.id)


def end_sessions(user: User, *, by: User) -> int:
    ensure_may_administer(by)
    return auth.end_sessions(user, by=by)


def reset_two_factor(user: User, *, by: User) -> None:
    ensure_may_administer(by)
    two_factor.reset(user, by=by)


def invite(user: User, *, by: User) -> None:
    """A new e-mailed link to choose a password; the earlier one stops working."""
    ensure_may_administer(by)
    ensure_usable(user)
    invitations.invite(user, by=by)


@dataclass(frozen=True)
class Letter:
    """What the printed letter says; the code exists only here, never stored raw."""

    user: User
    code: str
    expires_at: datetime


def letter(user: User, *, by: User) -> Letter:
    """A new printed one-time code (the earlier one stops working); shown once, never kept."""
    ensure_may_administer(by)
    ensure_usable(user)
    if user.login_id is None:
        user.login_id = new_login_id()
    code = tokens.issue(user, TokenPurpose.LETTER, by=by)
    audit.record(by, "user.letter", user)
    log_event("account.letter", user.id)
    return Letter(user, code, now_utc() + tokens.LIFETIMES[TokenPurpose.LETTER])


def ensure_usable(user: User) -> None:
    if not user.active:
        raise InvalidInput(_("停止中のアカウントです。先に利用を再開してください。"))


def facilities() -> list[Facility]:
    return list(db.session.scalars(select(Facility).order_by(Facility.id)))


def two_factor_state(user: User) -> str:
    if user.has_two_factor:
        return _("設定済み")
    if user.is_staff:
        return _("未設定（次のログインで設定します）")
    return _("未設定")
