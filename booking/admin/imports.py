"""Importing officers from a CSV: upload, preview every row's result, confirm; all or nothing.

The uploaded file is kept in the database (``account_import``, for a day) between the preview
and the confirmation, and read again at both: the confirmation applies the plan only if it is
still the one previewed (its digest), else the preview is shown again. The key is the e-mail
address in lower case, so importing the same file twice changes nothing the second time.
Existing accounts are read in one query; new ones, their invitations and audit events are
written in a few statements whatever the number of rows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import ForeignKey, LargeBinary, String, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from booking import audit
from booking.account import invitations
from booking.admin.import_rows import Row, read
from booking.auth.models import Role, User
from booking.errors import DomainError, Gone
from booking.extensions import db
from booking.timeutil import now_utc

KEPT = timedelta(days=1)
FIELDS = ("name", "name_kana", "phone", "home_ward")


class AccountImport(db.Model):
    """An uploaded officers' CSV waiting for its confirmation (kept a day at most)."""

    __tablename__ = "account_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    file_name: Mapped[str] = mapped_column(String(255))
    body: Mapped[bytes] = mapped_column(LargeBinary)


class PlanChanged(DomainError):
    """Accounts changed between the preview and the confirmation."""

    status = 409


class NotReady(DomainError):
    """Some rows are refused: nothing may be imported."""

    status = 422


@dataclass
class Result:
    """What importing one row would do: new, updated, unchanged or refused (with reasons)."""

    row: Row
    status: str
    user_id: int | None = None
    changed: list[str] = field(default_factory=list)
    target: dict[str, str | None] = field(default_factory=dict)

    @property
    def number(self) -> int:
        return self.row.number


@dataclass
class Plan:
    upload: AccountImport
    columns: list[str]
    results: list[Result]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in ("new", "updated", "unchanged", "refused")}

    @property
    def ready(self) -> bool:
        return bool(self.results) and not self.count("refused")

    @property
    def digest(self) -> str:
        """Names exactly what confirming would write, so that a changed plan is noticed."""
        facts = [(r.number, r.status, r.user_id, r.row.email, r.target) for r in self.results]
        return hashlib.sha256(json.dumps(facts, ensure_ascii=False).encode()).hexdigest()


def store(data: bytes, file_name: str, *, by: User) -> AccountImport:
    """Keep a readable upload for its preview; the admin's earlier ones and stale ones go."""
    read(data, rows_too=False)  # a file that cannot be read at all is refused, kept nowhere
    now = now_utc()
    db.session.execute(
        delete(AccountImport).where(
            (AccountImport.created_by_id == by.id) | (AccountImport.created_at < now - KEPT)
        )
    )
    shown_name = "".join(ch for ch in file_name if ch.isprintable())[:255]  # no NUL for PostgreSQL
    upload = AccountImport(created_by_id=by.id, created_at=now, file_name=shown_name, body=data)
    db.session.add(upload)
    db.session.flush()
    return upload


def find(import_id: int, *, by: User) -> AccountImport:
    """The admin's own upload, if it is still kept."""
    upload = db.session.scalar(
        select(AccountImport).where(
            AccountImport.id == import_id,
            AccountImport.created_by_id == by.id,
            AccountImport.created_at >= now_utc() - KEPT,
        )
    )
    if upload is None:
        raise Gone(_("この取り込みは、もう使えません。もう一度ファイルを選んでください。"))
    return upload


def plan(upload: AccountImport) -> Plan:
    """Every row's result against the accounts as they are now (one query for them all)."""
    columns, rows = read(upload.body)
    emails = {row.email for row in rows if row.email}
    existing = (
        {
            user.email: user
            for user in db.session.scalars(select(User).where(User.email.in_(emails)))
        }
        if emails
        else {}
    )
    first_row: dict[str, int] = {}
    results = []
    for row in rows:
        if row.email and row.email in first_row:
            row.reasons.append(
                _("メールアドレスが%(row)d行目と同じです。", row=first_row[row.email])
            )
        elif row.email:
            first_row[row.email] = row.number
        results.append(result_of(row, existing.get(row.email)))
    return Plan(upload, columns, results)


def result_of(row: Row, user: User | None) -> Result:
    if user is not None and user.role is not Role.OFFICER:
        row.reasons.append(
            _("このメールアドレスは、保護司ではないアカウント（施設職員か管理者）が使っています。")
        )
    elif user is not None and not user.active:
        row.reasons.append(
            _("このメールアドレスのアカウントは停止中です。再開は一人ずつ行ってください。")
        )
    if row.reasons:
        return Result(row, "refused")
    wanted = {"name": row.name, **row.values}
    if user is None:
        return Result(row, "new", target={name: wanted.get(name) for name in FIELDS})
    current = {name: getattr(user, name) for name in FIELDS}
    current["name"] = " ".join(user.name.split())
    changed = sorted(name for name, value in wanted.items() if current[name] != value)
    status = "updated" if changed else "unchanged"
    return Result(row, status, user_id=user.id, changed=changed, target={**current, **wanted})


def confirm(import_id: int, digest: str, *, by: User) -> Plan:
    """Apply the previewed plan in the caller's transaction, or change nothing at all."""
    upload = find(import_id, by=by)
    current = plan(upload)
    if current.digest != digest:
        raise PlanChanged(
            _("プレビューの後で登録内容が変わりました。新しいプレビューを確かめてください。")
        )
    if not current.ready:
        raise NotReady(_("取り込めない行があります。直したファイルを選び直してください。"))
    claimed = db.session.execute(delete(AccountImport).where(AccountImport.id == upload.id))
    if claimed.rowcount != 1:
        raise Gone(_("この取り込みは、たった今確定されました。"))
    try:
        apply(current, by=by)
    except IntegrityError:  # another request added one of these addresses just now
        raise PlanChanged(
            _("同じメールアドレスのアカウントが、たった今作られました。もう一度お試しください。")
        ) from None
    return current


def apply(current: Plan, *, by: User) -> None:
    """Write the new accounts, the updates, the invitations and the audit events."""
    new = [r for r in current.results if r.status == "new"]
    updated = [r for r in current.results if r.status == "updated"]
    created = create_accounts(new)
    if updated:
        db.session.execute(
            update(User),
            [{"id": r.user_id, **{n: r.target[n] for n in FIELDS}} for r in updated],
        )
    invitations.invite_many(created, by=by)
    audit.record_many(
        by, "user.import_create", "user", [(p.id, {"invited": True}) for p in created]
    )
    audit.record_many(
        by, "user.import_update", "user", [(r.user_id, {"changed": r.changed}) for r in updated]
    )
    audit.record(by, "user.import", current.upload, **current.counts)


def create_accounts(new: list[Result]) -> list[SimpleNamespace]:
    """Insert the new officers (no password: each gets an invitation) in one statement."""
    if not new:
        return []
    now = now_utc()
    rows = [
        {**r.target, "email": r.row.email, "role": Role.OFFICER, "created_at": now} for r in new
    ]
    # Unordered RETURNING: ordered rows would make SQLite insert them one at a time.
    made = db.session.execute(insert(User.__table__).returning(User.id, User.email), rows).all()
    names = {r.row.email: r.target["name"] for r in new}
    return [SimpleNamespace(id=m.id, email=m.email, name=names[m.email]) for m in made]
