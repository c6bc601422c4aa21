"""iCalendar bytes for feeds and downloads, with the icalendar package, never a template.

Feeds are read by calendar apps, not by a person with a language choice, so their text is
fixed Japanese: the same rows always give the same bytes.
"""

from collections.abc import Iterable
from datetime import timedelta
from functools import cache

from icalendar import Calendar, Event, Timezone, vDuration

from booking.feeds.models import FeedKind, Subscription
from booking.feeds.queries import EventRow
from booking.timeutil import TOKYO

PRODID = "-//Sapporo City//Interview room booking//JA"
UID_DOMAIN = "sapporo-interview-rooms"
REFRESH = timedelta(hours=1)
OWN_FEED_NAME = "面談室の予約"  # neutral: the officer's name stays out of the feed


def calendar_name(feed: Subscription) -> str:
    """The calendar's own title, the only name a feed carries: a place, never a person."""
    if feed.kind is FeedKind.MINE:
        return OWN_FEED_NAME
    if feed.kind is FeedKind.FACILITY:
        return plain(f"{feed.facility_name}の予約")
    return plain(f"{feed.facility_name} {feed.room_name}の予約")


# X-WR-CALNAME is written as it is, and some readers cut a value at a comma or semicolon:
# the full-width forms read the same to a person and mean nothing to a parser.
FULL_WIDTH = str.maketrans({",": "，", ";": "；", "\\": "＼"})


def plain(name: str) -> str:
    return name.translate(FULL_WIDTH)


@cache
def tokyo_timezone() -> Timezone:
    """Asia/Tokyo as a VTIMEZONE, built once; Japan has had no summer time since 1951."""
    timezone = Timezone.from_tzid(TOKYO.key)
    timezone.pop("COMMENT", None)  # "only works until 2038" is not true of a fixed offset
    return timezone


def subscription(name: str, rows: Iterable[EventRow]) -> bytes:
    """A feed to subscribe to: named, refreshed hourly, times in Asia/Tokyo."""
    calendar = new_calendar(rows)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", TOKYO.key)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    # A plain timedelta would be written as 1:00:00, which Outlook ignores.
    calendar.add("x-published-ttl", vDuration(REFRESH))
    return calendar.to_ical()


def download(row: EventRow) -> bytes:
    """One reservation as a file to import."""
    return new_calendar([row]).to_ical()


def new_calendar(rows: Iterable[EventRow]) -> Calendar:
    """A calendar without METHOD and without a calendar-level UID (Calendar.new() adds one)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add_component(tokyo_timezone())
    for row in rows:
        calendar.add_component(event(row))
    return calendar


def event(row: EventRow) -> Event:
    """One reservation: neutral summary, the place, and stamps taken from the row itself.

    Event() rather than Event.new(), which fills a random UID and DTSTAMP=now.
    """
    event = Event()
    event.add("uid", f"{row.public_id}@{UID_DOMAIN}")
    event.add("dtstamp", row.modified_at)
    event.add("last-modified", row.modified_at)
    event.add("sequence", row.sequence)
    event.add("dtstart", row.starts_at.astimezone(TOKYO))
    event.add("dtend", row.ends_at.astimezone(TOKYO))
    event.add("summary", f"面談（{row.room_name}）")
    event.add("location", f"{row.facility_name} {row.room_name}（{row.address}）")
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event
