"""Feed tokens: issue, regenerate, revoke, and who may follow which feed. They never commit."""

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import selectinload

from booking import audit
from booking.auth.models import Role, User, facility_manager
from booking.errors import InvalidInput, NotAllowed
from booking.extensions import db
from booking.feeds.models import Feed, FeedKind, FeedToken, Subscription
from booking.reservations.models import Reservation
from booking.rooms.models import Facility, Room
from booking.timeutil import now_utc

Subject = Facility | Room | None


def hash_token(token: str) -> str:
    """Only this is stored: a stolen database gives no working feed address."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_feed(key: str) -> Feed:
    """The feed a form names; anything else is refused as bad input."""
    feed = Feed.parse(key)
    if feed is None:
        raise InvalidInput(_("カレンダーの指定が正しくありません。"))
    return feed


def may_follow(active: bool, role: Role, kind: FeedKind, manages: bool) -> bool:
    """Officers their own feed, a desk its facility's feeds, admins any; active owners only.

    ``manages`` is whether the owner is listed as a manager of the feed's facility: these
    are facts one query can read, so that every fetch checks the owner's rights of now.
    """
    if not active:
        return False
    if kind is FeedKind.MINE:
        return role is Role.OFFICER
    return role is Role.ADMIN or (role is Role.MANAGER and manages)


def subject_of(feed: Feed) -> Subject:
    if feed.kind is FeedKind.MINE:
        return None
    return db.session.get(Facility if feed.kind is FeedKind.FACILITY else Room, feed.subject_id)


def ensure_may_follow(user: User, feed: Feed) -> Subject:
    """The facility or room of ``feed``, if ``user`` may follow it; NotAllowed otherwise."""
    subject = subject_of(feed)
    facility = subject.facility if isinstance(subject, Room) else subject
    known = feed.kind is FeedKind.MINE or subject is not None
    manages = facility is not None and facility in user.facilities
    if not (known and may_follow(user.active, user.role, feed.kind, manages)):
        raise NotAllowed(_("このカレンダーを使う権限がありません。"))
    return subject


def held_token(user: User, feed: Feed) -> FeedToken | None:
    return next((token for token in tokens_of(user) if token.feed == feed), None)


def tokens_of(user: User) -> list[FeedToken]:
    return list(db.session.scalars(select(FeedToken).where(FeedToken.user_id == user.id)))


def issue(user: User, feed: Feed, *, by: User | None) -> str:
    """A new secret address for ``user``'s ``feed``; the earlier one, if any, stops working."""
    ensure_may_follow(user, feed)
    token = secrets.token_urlsafe(32)  # 256 random bits
    row = held_token(user, feed)
    action = "feed.regenerate" if row else "feed.issue"
    if row is None:
        row = FeedToken.for_feed(user, feed)
        db.session.add(row)
    row.token_hash, row.created_at = hash_token(token), now_utc()
    db.session.flush()
    audit.record(by, action, row, owner_id=user.id, feed=feed.key)
    return token


def revoke(user: User, feed: Feed, *, by: User | None) -> None:
    """Stop ``user``'s address for ``feed``; calendars that follow it get a 404 from now on."""
    row = held_token(user, feed)
    if row is None:
        return
    audit.record(by, "feed.revoke", row, owner_id=user.id, feed=feed.key)
    db.session.delete(row)


def _follow_statement():
    facility_id = func.coalesce(FeedToken.facility_id, Room.facility_id)
    manages = exists().where(
        facility_manager.c.user_id == FeedToken.user_id,
        facility_manager.c.facility_id == facility_id,
    )
    return (
        select(
            FeedToken.user_id,
            FeedToken.kind,
            facility_id,
            FeedToken.room_id,
            User.active,
            User.role,
            manages,
            Facility.name_ja,
            Room.name_ja,
        )
        .join(User, User.id == FeedToken.user_id)
        .outerjoin(Room, Room.id == FeedToken.room_id)
        .outerjoin(Facility, Facility.id == facility_id)
        .where(FeedToken.token_hash == bindparam("token_hash"))
    )


# Every poll of every calendar reads this: one lean statement, built once.
FOLLOW = _follow_statement()


def follow(token: str) -> Subscription | None:
    """The feed a calendar app asks for, if its owner may follow it now; else None."""
    found = db.session.connection().execute(FOLLOW, {"token_hash": hash_token(token)}).first()
    if found is None:
        return None
    subscription = Subscription(*found)
    permitted = may_follow(
        subscription.active, subscription.role, subscription.kind, subscription.manages
    )
    return subscription if permitted else None


def ensure_may_download(user: User, reservation: Reservation) -> None:
    """Whoever may see a reservation may add it to a calendar, while it stands."""
    if user.id != reservation.officer_id and not user.serves(reservation.room.facility):
        raise NotAllowed(_("この予約を見る権限がありません。"))
    if not reservation.is_active:
        raise InvalidInput(_("取り消した予約はカレンダーに追加できません。"))


@dataclass(frozen=True)
class FeedChoice:
    """A feed offered on the calendar page, with the token the user holds for it, if any."""

    feed: Feed
    subject: Subject
    token: FeedToken | None


def followable_facilities(user: User) -> list[Facility]:
    if user.is_admin:
        query = select(Facility).options(selectinload(Facility.rooms)).order_by(Facility.id)
        return list(db.session.scalars(query))
    return list(user.facilities) if user.role is Role.MANAGER else []


def feed_choices(user: User) -> list[FeedChoice]:
    """Every feed ``user`` may follow, in page order: their own, then facility by facility."""
    offered: list[tuple[Feed, Subject]] = []
    if may_follow(user.active, user.role, FeedKind.MINE, manages=False):
        offered.append((Feed(FeedKind.MINE), None))
    for facility in followable_facilities(user):
        offered.append((Feed(FeedKind.FACILITY, facility.id), facility))
        offered += [(Feed(FeedKind.ROOM, room.id), room) for room in facility.rooms]
    held = {token.feed: token for token in tokens_of(user)}
    return [FeedChoice(feed, subject, held.get(feed)) for feed, subject in offered]


def feed_urls(token: str) -> tuple[str, str]:
    """The https:// (or http://) and webcal:// addresses of a feed, on PUBLIC_BASE_URL."""
    path = current_app.url_map.bind("localhost").build("feeds.feed", {"token": token})
    web = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path
    return web, "webcal://" + web.split("://", 1)[1]
