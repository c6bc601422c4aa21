"""Account tokens: single-use, short-lived, stored only as a hash, racing uses spend one."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from booking.auth import tokens
from booking.auth.models import AccountToken, Role, TokenPurpose, User
from booking.extensions import db
from tests.conftest import utc


@pytest.mark.parametrize("purpose", list(TokenPurpose))
def test_a_token_is_stored_hashed_and_works_once(officer, purpose):
    raw = tokens.issue(officer, purpose, by=None)
    db.session.commit()
    stored = db.session.scalar(select(AccountToken))
    assert raw not in stored.token_hash and len(stored.token_hash) == 64
    token = tokens.find(raw, purpose)
    assert token is not None and token.user == officer
    assert tokens.use(token) is True
    assert tokens.use(token) is False
    db.session.commit()
    assert tokens.find(raw, purpose) is None


@pytest.mark.parametrize(
    ("purpose", "lifetime"),
    [
        (TokenPurpose.INVITATION, timedelta(days=7)),
        (TokenPurpose.RESET, timedelta(minutes=30)),
        (TokenPurpose.EMAIL, timedelta(days=1)),
        (TokenPurpose.LETTER, timedelta(days=30)),
    ],
)
def test_a_token_expires(officer, clock, purpose, lifetime):
    issued_at = utc(2026, 12, 1, 9, 0)
    clock(issued_at)
    raw = tokens.issue(officer, purpose, by=None)
    db.session.commit()
    clock(issued_at + lifetime - timedelta(seconds=1))
    assert tokens.find(raw, purpose) is not None
    clock(issued_at + lifetime)
    assert tokens.find(raw, purpose) is None


def test_a_token_serves_only_its_purpose_and_a_new_one_replaces_it(officer):
    first = tokens.issue(officer, TokenPurpose.RESET, by=None)
    assert tokens.find(first, TokenPurpose.INVITATION) is None
    second = tokens.issue(officer, TokenPurpose.RESET, by=None)
    db.session.commit()
    assert tokens.find(first, TokenPurpose.RESET) is None
    assert tokens.find(second, TokenPurpose.RESET) is not None


def test_a_deactivated_account_has_no_usable_token(officer):
    raw = tokens.issue(officer, TokenPurpose.RESET, by=None)
    officer.active = False
    db.session.commit()
    assert tokens.find(raw, TokenPurpose.RESET) is None


@pytest.mark.parametrize("typed", ["{}", "{} ", "{lower}", "{nodash}", "{wide}"])
def test_a_printed_code_is_found_however_it_is_typed(officer, typed):
    code = tokens.issue(officer, TokenPurpose.LETTER, by=None)
    db.session.commit()
    assert len(code) == 14 and code.count("-") == 2
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code)
    entered = typed.format(code, lower=code.lower(), nodash=code.replace("-", " "), wide=wide)
    assert tokens.find(entered, TokenPurpose.LETTER) is not None


@pytest.mark.parametrize("raw", ["", "x", "a" * 5000, "\x00"])
def test_nonsense_finds_nothing(officer, raw):
    tokens.issue(officer, TokenPurpose.RESET, by=None)
    assert tokens.find(raw, TokenPurpose.RESET) is None


def test_an_account_needs_an_email_or_a_login_id(app):
    db.session.add(User(name="山田 太郎", role=Role.OFFICER, login_id="S00001"))
    db.session.commit()  # no e-mail, no password yet: allowed
    db.session.add(User(name="佐藤 花子", role=Role.OFFICER))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(User(name="鈴木 一郎", role=Role.OFFICER, login_id="S00001"))
    with pytest.raises(IntegrityError):
        db.session.commit()
