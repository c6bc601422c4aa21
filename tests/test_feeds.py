"""Private iCal feeds: tokens, rights checked on every fetch, content, caching, page and CLI."""

import hashlib
import logging
import re
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from booking import create_app
from booking.audit import AuditEvent
from booking.auth import services as accounts
from booking.auth.models import Role
from booking.errors import NotAllowed
from booking.extensions import db
from booking.feeds import ical, queries, services
from booking.feeds.models import Feed, FeedKind, FeedToken
from booking.manage import services as desk
from booking.reservations import services as bookings
from booking.reservations.models import Reservation, Status
from booking.reservations.services import SafetyDetails, Slot
from booking.rooms.models import Closure, Room
from booking.timeutil import at_tokyo
from tests.conftest import NOW, config_for, csrf_token, log_in, row_count

BASE = "https://rooms.example.jp"
DESK_NOTE = "山田様は声が大きい"
OFFICER_PHONE = "090-1234-5678"
# Notes, the caution flag, names, phones and e-mail; and what a feed may not carry at all.
NEVER_IN_A_FEED = (
    *(DESK_NOTE, "山田", "慎重", "caution", "CAUTION"),
    *("保護司 一郎", "同僚 次郎", OFFICER_PHONE, "09012345678", "@example.jp"),
    *("ATTENDEE", "ORGANIZER", "DESCRIPTION", "SOURCE", "METHOD"),
)


def at(day_offset: int, clock: str = "10:00"):
    """A Sapporo wall-clock time ``day_offset`` days after the suite's usual today."""
    return at_tokyo(NOW.date() + timedelta(days=day_offset), time.fromisoformat(clock))


def book(room, officer, starts_at, minutes=60, **fields) -> Reservation:
    """A reservation written straight to the table: feeds also show past ones."""
    reservation = unsaved(room, officer, starts_at, minutes, **fields)
    db.session.add(reservation)
    db.session.commit()
    return reservation


def unsaved(room, officer, starts_at, minutes=60, **fields) -> Reservation:
    ends_at = starts_at + timedelta(minutes=minutes)
    return Reservation(
        room=room,
        officer=officer,
        created_by=officer,
        starts_at=starts_at,
        ends_at=ends_at,
        blocks_until=ends_at,
        caution=True,
        desk_note=DESK_NOTE,
        notify_desk=True,
        **fields,
    )


def issue(user, kind=FeedKind.MINE, subject_id=None) -> str:
    token = services.issue(user, Feed(kind, subject_id), by=user)
    db.session.commit()
    return token


def feed_path(token: str) -> str:
    return f"/feeds/{token}.ics"


def unfolded(body: bytes) -> str:
    """The text as a reader sees it: folded lines joined, escapes undone."""
    text = body.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "")
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def events_of(body: bytes) -> list:
    return Calendar.from_ical(body).walk("VEVENT")


@pytest.fixture(autouse=True)
def public_base(app):
    app.config["PUBLIC_BASE_URL"] = BASE


@pytest.fixture
def secret_officer(officer):
    """The officer, with a phone number that must never reach a feed."""
    officer.phone = OFFICER_PHONE
    db.session.commit()
    return officer


@pytest.fixture
def manager(make_user, facility):
    return make_user(Role.MANAGER, email="desk@example.jp", name="窓口 花子", facilities=[facility])


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, email="admin@example.jp", name="管理 一郎")


@pytest.fixture
def other_facility(app):
    from booking.rooms.models import Facility, FacilityKind, FeeBasis, Room, Ward

    other = Facility(
        code="other",
        ward=Ward.KITA,
        name_ja="別の会館",
        name_en="Other Hall",
        address="札幌市北区",
        kind=FacilityKind.MACHIZUKURI_CENTER,
        fee_basis=FeeBasis.FEE_EXEMPTION,
        bookable_from=NOW.date(),
        rooms=[Room(code="x", name_ja="和室", name_en="Tatami room")],
    )
    db.session.add(other)
    db.session.commit()
    return other


@pytest.fixture
def scene(now, make_room, make_user, secret_officer):
    """Two rooms, two officers, reservations inside and outside the window, one cancelled."""
    room, second_room = make_room(), make_room()
    colleague = make_user(Role.OFFICER, email="colleague@example.jp", name="同僚 次郎")
    mine = [
        book(room, secret_officer, at(1)),
        book(room, secret_officer, at(3, "13:30"), 90),
        book(second_room, secret_officer, at(-29)),
        book(room, secret_officer, at(364, "09:00")),
    ]
    outside = [
        book(room, secret_officer, at(-31)),
        book(room, secret_officer, at(366)),
        book(room, secret_officer, at(2), status="cancelled"),
    ]
    theirs = [book(room, colleague, at(1, "14:00")), book(second_room, colleague, at(5))]
    return {
        "room": room,
        "second_room": second_room,
        "mine": mine,
        "outside": outside,
        "theirs": theirs,
    }


# --- tokens ----------------------------------------------------------------------------------


def test_only_the_hash_of_a_256_bit_token_is_stored(officer):
    token = issue(officer)
    assert len(token) >= 43 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    row = db.session.scalars(select(FeedToken)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(getattr(row, column.key)) for column in FeedToken.__table__.columns]
    assert not any(token in value for value in stored)


def test_one_token_per_feed_and_regenerating_replaces_it(client, officer):
    first = issue(officer)
    second = issue(officer)
    assert row_count(FeedToken) == 1
    assert client.get(feed_path(first)).status_code == 404
    assert client.get(feed_path(second)).status_code == 200


def test_revoked_and_unknown_tokens_are_plain_404s(client, officer):
    token = issue(officer)
    services.revoke(officer, Feed(FeedKind.MINE), by=officer)
    db.session.commit()
    for path in (feed_path(token), feed_path("x" * 43), "/feeds/.ics", feed_path("a.b")):
        response = client.get(path)
        assert response.status_code == 404
        assert "text/calendar" not in response.content_type


def test_a_manager_removed_from_the_facility_loses_the_feed_at_once(client, manager, room):
    facility_token = issue(manager, FeedKind.FACILITY, room.facility_id)
    room_token = issue(manager, FeedKind.ROOM, room.id)
    assert client.get(feed_path(facility_token)).status_code == 200
    manager.facilities = []
    db.session.commit()
    assert client.get(feed_path(facility_token)).status_code == 404
    assert client.get(feed_path(room_token)).status_code == 404


def test_a_deactivated_user_loses_every_feed_at_once(client, officer):
    token = issue(officer)
    accounts.deactivate(officer)
    db.session.commit()
    assert client.get(feed_path(token)).status_code == 404


def test_an_officer_who_became_staff_loses_the_own_feed(client, officer):
    token = issue(officer)
    officer.role = Role.MANAGER
    db.session.commit()
    assert client.get(feed_path(token)).status_code == 404


@pytest.mark.parametrize(
    ("who", "kind", "allowed"),
    [
        ("officer", FeedKind.MINE, True),
        ("officer", FeedKind.FACILITY, False),
        ("officer", FeedKind.ROOM, False),
        ("manager", FeedKind.MINE, False),
        ("manager", FeedKind.FACILITY, True),
        ("manager", FeedKind.ROOM, True),
        ("admin", FeedKind.FACILITY, True),
        ("admin", FeedKind.ROOM, True),
    ],
)
def test_who_may_follow_which_feed(request, room, who, kind, allowed):
    user = request.getfixturevalue(who)
    subject_id = {FeedKind.MINE: None, FeedKind.FACILITY: room.facility_id}.get(kind, room.id)
    try:
        services.issue(user, Feed(kind, subject_id), by=user)
    except NotAllowed:
        assert not allowed
    else:
        assert allowed


def test_a_manager_may_not_follow_another_facility(manager, other_facility):
    with pytest.raises(NotAllowed):
        services.issue(manager, Feed(FeedKind.FACILITY, other_facility.id), by=manager)
    with pytest.raises(NotAllowed):
        services.issue(manager, Feed(FeedKind.ROOM, other_facility.rooms[0].id), by=manager)
    with pytest.raises(NotAllowed):
        services.issue(manager, Feed(FeedKind.ROOM, 999_999), by=manager)


def test_issuing_regenerating_and_revoking_are_audited_without_the_token(officer):
    tokens = [issue(officer), issue(officer)]
    services.revoke(officer, Feed(FeedKind.MINE), by=officer)
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["feed.issue", "feed.regenerate", "feed.revoke"]
    assert all(e.actor_id == officer.id and e.details["feed"] == "mine" for e in events)
    recorded = repr([(e.object_id, e.details) for e in events])
    digests = [hashlib.sha256(t.encode()).hexdigest() for t in tokens]
    assert not any(secret in recorded for secret in tokens + digests)


def test_tokens_never_reach_the_logs(client, scene, secret_officer, caplog):
    token = issue(secret_officer)
    with caplog.at_level(logging.DEBUG):
        client.get(feed_path(token))
        client.get(feed_path(token + "x"))
    assert token not in caplog.text


# --- content ---------------------------------------------------------------------------------


def test_own_feed_has_the_officers_active_reservations_in_the_window(client, scene):
    body = client.get(feed_path(issue(scene["mine"][0].officer))).data
    uids = {str(event["UID"]) for event in events_of(body)}
    assert uids == {f"{r.public_id}@sapporo-interview-rooms" for r in scene["mine"]}


def test_facility_and_room_feeds_show_every_officer(client, scene, manager):
    room = scene["room"]
    facility_body = client.get(feed_path(issue(manager, FeedKind.FACILITY, room.facility_id)))
    room_body = client.get(feed_path(issue(manager, FeedKind.ROOM, room.id)))
    everyone = scene["mine"] + scene["theirs"]
    assert len(events_of(facility_body.data)) == len(everyone)
    assert len(events_of(room_body.data)) == sum(1 for r in everyone if r.room_id == room.id)


def test_event_fields(client, scene):
    first = scene["mine"][0]
    body = client.get(feed_path(issue(first.officer))).data
    event = next(e for e in events_of(body) if str(e["UID"]).startswith(str(first.public_id)))
    assert event["SUMMARY"] == "面談（面談室1）"
    assert event["LOCATION"] == "テスト区役所 面談室1（札幌市中央区北1条西2丁目）"
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTAMP") == event.decoded("LAST-MODIFIED") == first.updated_at
    assert event["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert event.decoded("DTSTART") == first.starts_at
    assert event.decoded("DTSTART").utcoffset() == timedelta(hours=9)
    assert event.decoded("DTEND") == first.ends_at


@pytest.mark.parametrize("kind", list(FeedKind))
def test_calendar_properties_also_when_empty(client, now, officer, manager, room, kind):
    owner = officer if kind is FeedKind.MINE else manager
    subject_id = {FeedKind.MINE: None, FeedKind.FACILITY: room.facility_id}.get(kind, room.id)
    response = client.get(feed_path(issue(owner, kind, subject_id)))
    text = unfolded(response.data)
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert "BEGIN:VTIMEZONE" in lines and "TZID:Asia/Tokyo" in lines
    assert "X-WR-TIMEZONE:Asia/Tokyo" in lines
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    assert "X-PUBLISHED-TTL:PT1H" in lines
    assert not any(line.startswith(("METHOD", "UID")) for line in lines)
    assert "BEGIN:VEVENT" not in lines
    name = next(line for line in lines if line.startswith("X-WR-CALNAME:"))
    assert name in {
        "X-WR-CALNAME:面談室の予約",
        "X-WR-CALNAME:テスト区役所の予約",
        "X-WR-CALNAME:テスト区役所 面談室1の予約",
    }


def test_http_headers(client, clock, scene, secret_officer):
    clock(NOW + timedelta(minutes=1))  # the last change was a minute ago
    response = client.get(feed_path(issue(secret_officer)))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response.headers["Cache-Control"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("kind", list(FeedKind))
def test_nothing_private_in_any_feed(client, scene, secret_officer, manager, admin, kind):
    room = scene["room"]
    if kind is FeedKind.MINE:
        token = issue(secret_officer)
    else:
        subject_id = room.facility_id if kind is FeedKind.FACILITY else room.id
        token = issue(admin, kind, subject_id)
    text = unfolded(client.get(feed_path(token)).data)
    assert [word for word in (*NEVER_IN_A_FEED, token) if word in text] == []
    assert "面談（面談室1）" in text


def test_the_same_data_gives_the_same_bytes(client, scene, secret_officer):
    first = client.get(feed_path(issue(secret_officer)))
    again = client.get(feed_path(issue(secret_officer)))  # a new token, the same feed
    assert first.data == again.data
    assert first.headers["ETag"] == again.headers["ETag"]


def test_changing_a_reservation_raises_sequence_and_last_modified(client, clock, scene):
    reservation = scene["mine"][0]
    path = feed_path(issue(reservation.officer))
    before = client.get(path)
    later = NOW + timedelta(minutes=5)
    clock(later)
    slot = Slot(reservation.room, at(1, "15:00"), at(1, "16:00"))
    bookings.change(reservation, slot, by=reservation.officer, safety=SafetyDetails())
    db.session.commit()
    after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    uid = f"{reservation.public_id}@sapporo-interview-rooms"
    event = next(e for e in events_of(after.data) if e["UID"] == uid)
    assert event["SEQUENCE"] == 2
    assert event.decoded("LAST-MODIFIED") == later
    assert event.decoded("DTSTART") == at(1, "15:00")


def test_a_change_within_the_same_instant_still_changes_the_etag(client, scene):
    reservation = scene["mine"][0]
    path = feed_path(issue(reservation.officer))
    before = client.get(path).headers["ETag"]
    reservation.ends_at += timedelta(minutes=30)
    reservation.blocks_until = reservation.ends_at
    reservation.touch()  # the clock is frozen: only the version moves
    db.session.commit()
    assert client.get(path).headers["ETag"] != before


def test_cancelling_removes_the_event(client, scene):
    reservation = scene["mine"][0]
    path = feed_path(issue(reservation.officer))
    before = client.get(path)
    bookings.cancel(reservation, by=reservation.officer)
    db.session.commit()
    after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert str(reservation.public_id) not in after.get_data(as_text=True)
    assert len(events_of(after.data)) == len(events_of(before.data)) - 1


def test_renaming_a_room_changes_the_etag(client, scene, manager):
    room = scene["room"]
    path = feed_path(issue(manager, FeedKind.ROOM, room.id))
    before = client.get(path).headers["ETag"]
    room.name_ja = "相談室A"
    db.session.commit()
    after = client.get(path, headers={"If-None-Match": before})
    assert after.status_code == 200 and "面談（相談室A）" in after.get_data(as_text=True)


def test_revalidation_gets_304_without_building_the_calendar(client, clock, scene, monkeypatch):
    path = feed_path(issue(scene["mine"][0].officer))
    clock(NOW + timedelta(minutes=1))
    first = client.get(path)

    def refuse(*_args, **_kwargs):
        raise AssertionError("the 304 path built the calendar")

    monkeypatch.setattr(ical, "subscription", refuse)
    monkeypatch.setattr(queries, "event_rows", refuse)
    by_etag = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    by_date = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    for response in (by_etag, by_date):
        assert response.status_code == 304
        assert response.data == b""
        assert response.headers["ETag"] == first.headers["ETag"]
        assert "private" in response.headers["Cache-Control"]


def test_midnight_moves_the_window_and_the_validators(client, clock, scene):
    path = feed_path(issue(scene["mine"][0].officer))
    clock(NOW + timedelta(minutes=1))
    today = client.get(path)
    clock(at(2, "00:00"))  # 29 days back becomes 31; 366 days ahead becomes 364
    later = client.get(path, headers={"If-None-Match": today.headers["ETag"]})
    assert later.status_code == 200
    left, arrived = scene["mine"][2], scene["outside"][1]
    uids = {str(event["UID"]).split("@")[0] for event in events_of(later.data)}
    assert str(left.public_id) not in uids and str(arrived.public_id) in uids
    revalidated = client.get(path, headers={"If-Modified-Since": today.headers["Last-Modified"]})
    assert revalidated.status_code == 200


# --- the validators follow every change, and only the feeds it touches -----------------------


@pytest.fixture
def watched(scene, secret_officer, manager, admin, other_facility):
    """A feed of each kind around the scene, by name: tokens, to see which ETags move."""
    room, second_room = scene["room"], scene["second_room"]
    return {
        "mine": issue(secret_officer),
        "colleague": issue(scene["theirs"][0].officer),
        "facility": issue(manager, FeedKind.FACILITY, room.facility_id),
        "room": issue(manager, FeedKind.ROOM, room.id),
        "second room": issue(manager, FeedKind.ROOM, second_room.id),
        "other facility": issue(admin, FeedKind.FACILITY, other_facility.id),
    }


def moved(client, watched, change) -> set[str]:
    """The feeds whose ETag ``change`` moves: they answer 200 to the old ETag, the rest 304."""
    paths = {name: feed_path(token) for name, token in watched.items()}
    before = {name: client.get(path).headers["ETag"] for name, path in paths.items()}
    change()
    db.session.commit()
    answers = {
        name: client.get(path, headers={"If-None-Match": before[name]}).status_code
        for name, path in paths.items()
    }
    assert set(answers.values()) <= {200, 304}
    return {name for name, status in answers.items() if status == 200}


# The officer's reservations in the first room show in these three.
SHOWN_HERE = {"mine", "facility", "room"}
ALL_OF_THIS_FACILITY = SHOWN_HERE | {"colleague", "second room"}


def change(reservation, starts_at, ends_at, room=None, **safety):
    slot = Slot(room or reservation.room, starts_at, ends_at)
    bookings.change(reservation, slot, by=reservation.officer, safety=SafetyDetails(**safety))


def test_a_booking_moves_the_etags_of_the_feeds_that_show_it(client, watched, scene):
    officer, slot = scene["mine"][0].officer, Slot(scene["room"], at(2, "13:00"), at(2, "14:00"))

    def book_it():
        bookings.book(slot, officer, by=officer, safety=SafetyDetails())

    assert moved(client, watched, book_it) == SHOWN_HERE


def test_a_new_time_moves_the_etags(client, watched, scene):
    reservation = scene["mine"][0]
    new_time = (at(1, "15:00"), at(1, "16:00"))
    assert moved(client, watched, lambda: change(reservation, *new_time)) == SHOWN_HERE


def test_a_move_to_another_room_moves_both_rooms_etags(client, watched, scene):
    reservation = scene["mine"][0]
    times, second_room = (reservation.starts_at, reservation.ends_at), scene["second_room"]
    moving = moved(client, watched, lambda: change(reservation, *times, room=second_room))
    assert moving == SHOWN_HERE | {"second room"}


def test_a_room_set_on_an_expired_reservation_still_moves_both_rooms(client, watched, scene):
    reservation, second_room = scene["mine"][0], scene["second_room"]

    def move_by_id():
        db.session.expire(reservation)  # no history of the old room in memory
        reservation.room_id = second_room.id
        reservation.touch()

    assert moved(client, watched, move_by_id) == SHOWN_HERE | {"second room"}


def test_a_cancellation_moves_the_etags(client, watched, scene):
    reservation = scene["mine"][0]
    cancelled = moved(client, watched, lambda: bookings.cancel(reservation, by=reservation.officer))
    assert cancelled == SHOWN_HERE


def test_safety_details_alone_move_the_etags(client, watched, scene):
    """The feed shows none of them, but the new SEQUENCE changes its bytes."""
    reservation = scene["mine"][0]
    times = (reservation.starts_at, reservation.ends_at)
    more_people = moved(client, watched, lambda: change(reservation, *times, second_officer=True))
    assert more_people == SHOWN_HERE


def test_a_renamed_room_moves_every_feed_that_names_it(client, watched, scene):
    def rename():
        scene["room"].name_ja = "相談室A"

    assert moved(client, watched, rename) == {"mine", "colleague", "facility", "room"}


def test_a_new_facility_address_moves_every_feed_of_its_rooms(client, watched, scene):
    def readdress():
        scene["room"].facility.address = "札幌市中央区北2条西2丁目"

    assert moved(client, watched, readdress) == ALL_OF_THIS_FACILITY


def test_another_facilitys_reservation_moves_only_its_feeds(client, watched, scene, other_facility):
    colleague = scene["theirs"][0].officer
    elsewhere = moved(client, watched, lambda: book(other_facility.rooms[0], colleague, at(4)))
    assert elsewhere == {"colleague", "other facility"}


def test_check_in_and_out_leave_the_etags_alone(client, clock, watched, scene):
    """Feeds show neither, so the phone's big button takes no calendar lock."""
    reservation = scene["mine"][0]
    clock(at(1, "09:45"))

    def arrive_and_leave():
        bookings.check_in(reservation, by=reservation.officer)
        bookings.check_out(reservation, by=reservation.officer)

    assert moved(client, watched, arrive_and_leave) == set()


def test_a_closure_cancelling_many_moves_every_feed_it_touches(client, watched, scene, manager):
    facility = scene["room"].facility
    closure = Closure(
        facility_id=facility.id, starts_at=at(1, "00:00"), ends_at=at(6, "00:00"), reason="点検"
    )

    def close():
        hit = desk.add_closure(facility, closure, by=manager, cancel_hit=True)
        assert len(hit) == 4  # two officers, two rooms

    assert moved(client, watched, close) == ALL_OF_THIS_FACILITY


def test_many_reservations_in_one_flush_move_every_feed_they_touch(client, watched, scene):
    colleague = scene["theirs"][0].officer
    officer, room, second_room = scene["mine"][0].officer, scene["room"], scene["second_room"]

    def add_several():
        db.session.add_all(
            [
                unsaved(room, officer, at(6)),
                unsaved(second_room, officer, at(7)),
                unsaved(second_room, colleague, at(8)),
            ]
        )
        db.session.delete(scene["theirs"][0])

    assert moved(client, watched, add_several) == ALL_OF_THIS_FACILITY


def test_a_new_room_and_its_first_reservation_in_one_flush(client, watched, scene):
    officer, facility = scene["mine"][0].officer, scene["room"].facility

    def open_a_room():
        room = Room(facility=facility, code="new", name_ja="新しい部屋", name_en="New room")
        db.session.add(unsaved(room, officer, at(9)))

    assert moved(client, watched, open_a_room) == {"mine", "facility"}


def test_a_copy_read_before_another_requests_change_is_locked_and_read_again(
    client, backend, watched, scene
):
    """PostgreSQL: what was read before the locks may be stale; what is changed is not."""
    if backend == "sqlite":
        pytest.skip("SQLite queues writing requests at BEGIN IMMEDIATE: nothing read is stale")
    reservation, second_room = scene["mine"][0], scene["second_room"]

    def cancel_a_stale_copy():
        assert (reservation.room_id, reservation.version) == (scene["room"].id, 1)
        with db.session.session_factory() as other:  # another request moves it meanwhile
            moving = other.get(Reservation, reservation.id)
            moving.room_id = second_room.id
            moving.touch()
            other.commit()
        bookings.cancel(reservation, by=reservation.officer)
        assert (reservation.room_id, reservation.version) == (second_room.id, 3)

    assert moved(client, watched, cancel_a_stale_copy) == SHOWN_HERE | {"second room"}


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"desk_note": "エレベーター前で待ち合わせ"}, set()),  # not shown in any feed
        ({"status": Status.CANCELLED}, SHOWN_HERE),
    ],
    ids=["unshown column", "shown column"],
)
def test_a_bulk_statement_moves_exactly_the_etags_it_touches(
    client, watched, scene, values, expected
):
    """Bulk statements skip the session's flush; the database bumps the rows they write."""
    reservation = scene["mine"][0]

    def bulk_update():
        db.session.execute(
            update(Reservation).where(Reservation.id == reservation.id).values(**values)
        )

    assert moved(client, watched, bulk_update) == expected


def test_raw_sql_moves_the_etags_too(client, watched, scene):
    reservation, second_room = scene["mine"][0], scene["second_room"]

    def raw_move():
        db.session.connection().exec_driver_sql(
            f"UPDATE reservation SET room_id = {second_room.id} WHERE id = {reservation.id}"
        )

    assert moved(client, watched, raw_move) == SHOWN_HERE | {"second room"}


def loaded_rows(scene, first_day: int, hour: int) -> list[dict]:
    """Forty half-hour reservations, one a day, alternating between the scene's two rooms."""
    officer, rooms = scene["mine"][0].officer, (scene["room"], scene["second_room"])
    rows = []
    for n in range(40):
        starts_at = at(first_day + n, f"{hour:02}:00")
        ends_at = starts_at + timedelta(minutes=30)
        rows.append(
            {
                "public_id": uuid.uuid4(),
                "room_id": rooms[n % 2].id,
                "officer_id": officer.id,
                "created_by_id": officer.id,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "blocks_until": ends_at,
            }
        )
    return rows


def calendar_versions(scene) -> tuple[int, int, int]:
    rows = (scene["room"], scene["second_room"], scene["mine"][0].officer)
    for row in rows:
        db.session.refresh(row)
    return tuple(row.calendar_version for row in rows)


@pytest.mark.parametrize("statement", ["insert", "update", "delete"])
def test_a_bulk_statement_counts_one_change_per_calendar_on_postgresql(
    client, backend, watched, scene, statement
):
    """A load of thousands of rows must not rewrite a room's row thousands of times."""
    table = Reservation.__table__
    rows = loaded_rows(scene, 20, 9)
    db.session.execute(insert(table).values(rows))  # one statement
    db.session.commit()
    before = calendar_versions(scene)
    loaded = table.c.public_id.in_([row["public_id"] for row in rows])

    def bulk():
        if statement == "insert":
            db.session.execute(insert(table).values(loaded_rows(scene, 20, 12)))
        elif statement == "update":
            db.session.execute(update(table).where(loaded).values(status="cancelled"))
        else:
            db.session.execute(delete(table).where(loaded))

    assert moved(client, watched, bulk) == SHOWN_HERE | {"second room"}
    # Forty rows, twenty in each room: SQLite has no statement-level triggers and counts each.
    per_room, per_officer = (1, 1) if backend == "postgresql" else (20, 40)
    expected = (before[0] + per_room, before[1] + per_room, before[2] + per_officer)
    assert calendar_versions(scene) == expected


def test_bumps_count_from_the_stored_version_not_from_memory(scene):
    """Two servers bumping one room at once must give two versions, not the same one twice."""
    room = scene["room"]
    stored = room.calendar_version
    set_committed_value(room, "calendar_version", 0)  # a copy read before the other's commit
    bookings.cancel(scene["mine"][0], by=scene["mine"][0].officer)
    db.session.commit()
    assert room.calendar_version == stored + 1


def test_last_modified_is_the_latest_change_and_never_goes_back(client, clock, watched, scene):
    path = feed_path(watched["room"])
    clock(NOW + timedelta(minutes=1))
    first = client.get(path)
    assert first.last_modified == NOW  # when the scene was booked
    later = NOW + timedelta(hours=2)
    clock(later)
    bookings.cancel(scene["mine"][0], by=scene["mine"][0].officer)
    db.session.commit()
    clock(later + timedelta(seconds=1))
    after = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert after.status_code == 200 and after.last_modified == later
    clock(later - timedelta(minutes=30))  # another server whose clock is behind
    bookings.cancel(scene["mine"][1], by=scene["mine"][1].officer)
    db.session.commit()
    clock(later + timedelta(minutes=1))
    again = client.get(path)
    assert again.last_modified == later and again.headers["ETag"] != after.headers["ETag"]


def test_revalidation_reads_no_reservation(client, watched):
    path = feed_path(watched["facility"])
    etag = client.get(path).headers["ETag"]
    statements = []

    def record(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert statements and not [s for s in statements if "reservation" in s]


# --- the calendar page -----------------------------------------------------------------------


def test_the_page_needs_a_login(client):
    response = client.get("/calendar")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_officer_issues_sees_once_regenerates_and_revokes(officer_client, officer):
    page = officer_client.get("/calendar")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "自分の予約" in html and "テスト区役所" not in html
    token = csrf_token(officer_client, "/calendar")
    shown = officer_client.post("/calendar/issue", data={"feed": "mine", "csrf_token": token})
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "no-store"
    url = re.search(rf'value="({re.escape(BASE)}/feeds/[A-Za-z0-9_-]+\.ics)"', html).group(1)
    assert url.replace("https://", "webcal://") in html
    assert url.rsplit("/", 1)[1].removesuffix(".ics") not in str(decoded_cookie(officer_client))
    assert officer_client.get(url.removeprefix(BASE)).status_code == 200
    assert url not in officer_client.get("/calendar").get_data(as_text=True)  # shown once
    officer_client.post("/calendar/issue", data={"feed": "mine", "csrf_token": token})
    assert officer_client.get(url.removeprefix(BASE)).status_code == 404
    officer_client.post("/calendar/revoke", data={"feed": "mine", "csrf_token": token})
    assert row_count(FeedToken) == 0


def decoded_cookie(client) -> dict:
    """What the signed session cookie carries: anyone holding it can read it."""
    with client.session_transaction() as session:
        return dict(session)


def test_page_has_no_inline_script_or_style(officer_client):
    token = csrf_token(officer_client, "/calendar")
    issued = officer_client.post("/calendar/issue", data={"feed": "mine", "csrf_token": token})
    html = issued.get_data(as_text=True)
    assert "style=" not in html and "<style" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "js/copy.js" in html and "readonly" in html


def test_header_links_to_the_calendar_page(officer_client):
    assert 'href="/calendar"' in officer_client.get("/calendar").get_data(as_text=True)


STAFF_PAGES = {
    "manager": (["テスト区役所（全ての部屋）", "テスト区役所 面談室1"], ["自分の予約", "別の会館"]),
    "admin": (
        ["テスト区役所（全ての部屋）", "別の会館（全ての部屋）", "別の会館 和室"],
        ["自分の予約"],
    ),
}


@pytest.mark.parametrize("who", list(STAFF_PAGES))
def test_staff_see_the_feeds_of_their_facilities(request, client, room, other_facility, who):
    sees, hidden = STAFF_PAGES[who]
    user = request.getfixturevalue(who)
    log_in(client, user.email)
    html = client.get("/calendar").get_data(as_text=True)
    assert [text for text in sees if text not in html] == []
    assert [text for text in hidden if text in html] == []


@pytest.mark.parametrize(
    ("feed", "status"),
    [("facility-{facility}", 403), ("room-{room}", 403), ("nonsense", 400), ("room-0", 400)],
)
def test_an_officer_cannot_issue_staff_feeds(officer_client, room, feed, status):
    token = csrf_token(officer_client, "/calendar")
    key = feed.format(facility=room.facility_id, room=room.id)
    response = officer_client.post("/calendar/issue", data={"feed": key, "csrf_token": token})
    assert response.status_code == status
    assert row_count(FeedToken) == 0


def test_issuing_needs_the_csrf_token(officer_client):
    assert officer_client.post("/calendar/issue", data={"feed": "mine"}).status_code == 400
    assert row_count(FeedToken) == 0


# --- one reservation as a file ---------------------------------------------------------------


@pytest.fixture
def reservation(now, room, officer):
    return book(room, officer, at(1))


def download(client, reservation):
    return client.get(f"/reservations/{reservation.public_id}/calendar.ics")


@pytest.mark.parametrize(
    ("who", "status"),
    [("officer", 200), ("manager", 200), ("admin", 200), ("colleague", 403), ("stranger", 403)],
)
def test_who_may_download_a_reservation(
    request, client, make_user, other_facility, reservation, who, status
):
    people = {
        "colleague": lambda: make_user(Role.OFFICER, email="colleague@example.jp"),
        "stranger": lambda: make_user(Role.MANAGER, facilities=[other_facility]),
    }
    user = people[who]() if who in people else request.getfixturevalue(who)
    log_in(client, user.email)
    response = download(client, reservation)
    assert response.status_code == status
    if status == 200:
        assert response.content_type == "text/calendar; charset=utf-8"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        (event,) = events_of(response.data)
        assert event["UID"] == f"{reservation.public_id}@sapporo-interview-rooms"
        assert event.decoded("DTSTART") == reservation.starts_at
        assert DESK_NOTE not in unfolded(response.data)


def test_download_needs_a_login_and_an_active_reservation(client, officer, reservation):
    assert download(client, reservation).status_code == 302
    log_in(client, officer.email)
    page = client.get(f"/reservations/{reservation.public_id}").get_data(as_text=True)
    assert f"/reservations/{reservation.public_id}/calendar.ics" in page
    bookings.cancel(reservation, by=officer)
    db.session.commit()
    assert download(client, reservation).status_code == 400


# --- flask feeds issue -----------------------------------------------------------------------


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_cli_prints_a_working_address(runner, client, scene, secret_officer):
    result = runner.invoke(args=["feeds", "issue", secret_officer.email])
    assert result.exit_code == 0, result.output
    web, webcal = result.output.split()
    assert web.startswith(f"{BASE}/feeds/") and webcal == web.replace("https://", "webcal://")
    assert client.get(web.removeprefix(BASE)).status_code == 200
    assert db.session.scalars(select(AuditEvent)).one().actor_id is None


def test_cli_issues_facility_and_room_feeds_for_staff(runner, client, manager, room):
    for option, value in (("--facility", room.facility_id), ("--room", room.id)):
        result = runner.invoke(args=["feeds", "issue", manager.email, option, str(value)])
        assert result.exit_code == 0, result.output
        assert client.get(result.output.split()[0].removeprefix(BASE)).status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ghost@example.jp"], "no user"),
        (["officer@example.jp", "--facility", "{facility}"], "権限がありません"),
        (["officer@example.jp", "--facility", "{facility}", "--room", "{room}"], "not both"),
    ],
)
def test_cli_refuses(runner, officer, room, args, message):
    args = [a.format(facility=room.facility_id, room=room.id) for a in args]
    result = runner.invoke(args=["feeds", "issue", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert row_count(FeedToken) == 0


def test_window_reaches_the_same_day_next_year():
    window = queries.Window(datetime(2028, 2, 29, tzinfo=UTC).date())
    assert window.end_day.isoformat() == "2029-03-01"
    assert window.first_day.isoformat() == "2028-01-30"


@pytest.mark.parametrize("kind", list(FeedKind))
def test_the_database_keeps_one_token_per_feed(manager, room, kind):
    columns = {
        FeedKind.MINE: {},
        FeedKind.FACILITY: {"facility_id": room.facility_id},
        FeedKind.ROOM: {"room_id": room.id},
    }[kind]
    db.session.add(FeedToken(user=manager, kind=kind, token_hash="a" * 64, **columns))
    db.session.commit()
    db.session.add(FeedToken(user=manager, kind=kind, token_hash="b" * 64, **columns))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_database_refuses_a_token_without_its_subject(manager, room):
    db.session.add(FeedToken(user=manager, kind=FeedKind.ROOM, token_hash="c" * 64))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# --- feeds at scale, and what real calendar clients stumbled on ------------------------------


def test_a_place_name_with_a_comma_reaches_the_calendar_name_whole(client, manager, room):
    import vobject

    room.name_ja = "相談室A, 2F; 奥"
    db.session.commit()
    body = client.get(feed_path(issue(manager, FeedKind.ROOM, room.id))).data
    calendar = vobject.readOne(body.decode("utf-8"))
    assert calendar.contents["x-wr-calname"][0].value == "テスト区役所 相談室A， 2F； 奥の予約"


def test_renaming_a_room_moves_the_sequence_and_stamps_of_its_events(client, clock, scene):
    path = feed_path(issue(scene["mine"][0].officer))
    before = {str(e["UID"]): e for e in events_of(client.get(path).data)}
    renamed_at = NOW + timedelta(hours=1)
    clock(renamed_at)
    scene["room"].name_ja = "相談室（改装後）"
    db.session.commit()
    after = {str(e["UID"]): e for e in events_of(client.get(path).data)}
    moved = [uid for uid in after if "相談室（改装後）" in str(after[uid]["SUMMARY"])]
    assert moved
    for uid in moved:
        assert after[uid]["SEQUENCE"] == before[uid]["SEQUENCE"] + 1
        assert after[uid].decoded("LAST-MODIFIED") == renamed_at
        assert after[uid].decoded("DTSTAMP") == renamed_at
    untouched = [uid for uid in after if uid not in moved]
    assert all(after[u]["SEQUENCE"] == before[u]["SEQUENCE"] for u in untouched)


@pytest.mark.parametrize("token", ["a" * 43, "nonsense", "%00", "a" * 500])
def test_a_wrong_token_is_a_bare_404_without_a_cookie(client, token):
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 404
    assert response.mimetype == "text/plain"
    assert "Set-Cookie" not in response.headers
    assert b"<html" not in response.data.lower()


def test_an_unchanged_feed_is_built_once(client, scene, monkeypatch):
    path = feed_path(issue(scene["mine"][0].officer))
    first = client.get(path)
    monkeypatch.setattr(ical, "subscription", refuse_to_build)
    monkeypatch.setattr(queries, "event_rows", refuse_to_build)
    again = client.get(path)  # no validators: a full 200, from the kept body
    assert again.status_code == 200 and again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]


def test_head_builds_nothing(client, scene, monkeypatch):
    path = feed_path(issue(scene["mine"][0].officer))
    monkeypatch.setattr(ical, "subscription", refuse_to_build)
    monkeypatch.setattr(queries, "event_rows", refuse_to_build)
    response = client.head(path)
    assert response.status_code == 200 and response.data == b""
    assert response.headers["ETag"]


def refuse_to_build(*_args, **_kwargs):
    raise AssertionError("the calendar was built")


def test_last_modified_cannot_hide_a_second_change_within_the_same_second(client, clock, scene):
    path = feed_path(issue(scene["mine"][0].officer))
    first_change = NOW + timedelta(hours=1, microseconds=100_000)
    clock(first_change)
    bookings.cancel(scene["mine"][0], by=scene["mine"][0].officer)
    db.session.commit()
    clock(first_change + timedelta(microseconds=200_000))
    fetched = client.get(path)
    assert "Last-Modified" not in fetched.headers  # only the ETag, within that second
    clock(first_change + timedelta(microseconds=500_000))  # still the same second
    bookings.cancel(scene["mine"][1], by=scene["mine"][1].officer)
    db.session.commit()
    clock(first_change + timedelta(seconds=2))
    seen = client.get(path, headers={"If-None-Match": fetched.headers["ETag"]})
    assert seen.status_code == 200 and seen.headers["Last-Modified"]
    again = client.get(path, headers={"If-Modified-Since": seen.headers["Last-Modified"]})
    assert again.status_code == 304


def test_servers_share_feed_bodies_through_redis(database_url, scene, monkeypatch):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    token = issue(scene["mine"][0].officer)
    db.session.commit()
    servers = [create_app(config_for(database_url, FEED_CACHE_URL=url)) for _ in range(2)]
    first = servers[0].test_client().get(feed_path(token))
    monkeypatch.setattr(ical, "subscription", refuse_to_build)
    monkeypatch.setattr(queries, "event_rows", refuse_to_build)
    second = servers[1].test_client().get(feed_path(token))
    assert second.status_code == 200 and second.data == first.data
    redis.Redis.from_url(url).delete(f"booking:feed:{first.headers['ETag'].strip(chr(34))}")
