"""Every kind of feed, empty and full, read back by four independent parsers.

Each parser must accept the feed, and the times it reads must be the reservations' own
times in Asia/Tokyo: no shift by time-zone handling in any of them.
"""

from datetime import date, timedelta

import ics
import pytest
import recurring_ical_events
import vobject
from icalendar import Calendar

from booking.auth.models import Role
from booking.feeds.models import FeedKind
from booking.timeutil import TOKYO
from tests.test_feeds import at, book, feed_path, issue

UID_DOMAIN = "@sapporo-interview-rooms"


def by_icalendar(body: bytes) -> dict[str, tuple]:
    calendar = Calendar.from_ical(body)
    calendar.validate()
    assert [c.errors for c in calendar.walk() if c.errors] == []
    assert [c.name for c in calendar.walk("VTIMEZONE")] == ["VTIMEZONE"]
    return {str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND")) for e in calendar.events}


def by_vobject(body: bytes) -> dict[str, tuple]:
    calendar = vobject.readOne(body.decode("utf-8"))
    events = getattr(calendar, "vevent_list", [])
    return {e.uid.value: (e.dtstart.value, e.dtend.value) for e in events}


def by_ics(body: bytes) -> dict[str, tuple]:
    calendar = ics.Calendar(body.decode("utf-8"))
    return {e.uid: (e.begin.datetime, e.end.datetime) for e in calendar.events}


def by_recurring_ical_events(body: bytes) -> dict[str, tuple]:
    calendar = Calendar.from_ical(body)
    events = recurring_ical_events.of(calendar).between(date(2000, 1, 1), date(2100, 1, 1))
    return {str(e["UID"]): (e["DTSTART"].dt, e["DTEND"].dt) for e in events}


PARSERS = [by_icalendar, by_vobject, by_ics, by_recurring_ical_events]


@pytest.fixture
def feeds(now, make_user, officer, make_room):
    """One feed of each kind, and the reservations each should show."""
    room, other = make_room(), make_room()
    manager = make_user(Role.MANAGER, facilities=[room.facility])
    held = [
        book(room, officer, at(1)),
        book(other, officer, at(2, "16:45"), 30),
        book(room, officer, at(-10, "08:45"), 120),
        book(room, officer, at(200, "13:15")),  # past a change of season: no summer time
    ]
    return {
        FeedKind.MINE: (issue(officer), held),
        FeedKind.FACILITY: (issue(manager, FeedKind.FACILITY, room.facility_id), held),
        FeedKind.ROOM: (
            issue(manager, FeedKind.ROOM, room.id),
            [r for r in held if r.room == room],
        ),
    }


@pytest.fixture
def empty_feeds(now, make_user, officer, room):
    manager = make_user(Role.MANAGER, facilities=[room.facility])
    return {
        FeedKind.MINE: issue(officer),
        FeedKind.FACILITY: issue(manager, FeedKind.FACILITY, room.facility_id),
        FeedKind.ROOM: issue(manager, FeedKind.ROOM, room.id),
    }


@pytest.mark.parametrize("parse", PARSERS, ids=lambda p: p.__name__)
@pytest.mark.parametrize("kind", list(FeedKind))
def test_full_feeds_read_back_the_same_tokyo_times(client, feeds, kind, parse):
    token, expected = feeds[kind]
    read = parse(client.get(feed_path(token)).data)
    assert set(read) == {f"{r.public_id}{UID_DOMAIN}" for r in expected}
    for reservation in expected:
        starts, ends = read[f"{reservation.public_id}{UID_DOMAIN}"]
        assert starts == reservation.starts_at and ends == reservation.ends_at
        assert starts.utcoffset() == timedelta(hours=9)
        tokyo_start = reservation.starts_at.astimezone(TOKYO)
        assert (starts.hour, starts.minute) == (tokyo_start.hour, tokyo_start.minute)


@pytest.mark.parametrize("parse", PARSERS, ids=lambda p: p.__name__)
@pytest.mark.parametrize("kind", list(FeedKind))
def test_empty_feeds_parse(client, empty_feeds, kind, parse):
    assert parse(client.get(feed_path(empty_feeds[kind])).data) == {}


@pytest.mark.parametrize("parse", PARSERS, ids=lambda p: p.__name__)
def test_a_single_download_parses(officer_client, feeds, parse):
    reservation = feeds[FeedKind.MINE][1][1]
    body = officer_client.get(f"/reservations/{reservation.public_id}/calendar.ics").data
    assert parse(body) == {
        f"{reservation.public_id}{UID_DOMAIN}": (reservation.starts_at, reservation.ends_at)
    }
