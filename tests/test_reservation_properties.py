"""Random sequences of book / change / cancel never break the booking invariants (DESIGN §4).

A hypothesis state machine drives the services directly, over three rooms (one with a
15-minute buffer) and three officers, on two weekdays, with start times on the 15-minute grid
inside and just outside the opening hours (8:45-17:15). Each step either raises a DomainError
(the session is rolled back) or succeeds (the session is committed). After every step the
database is read on its own connection and must show:

- no two active reservations of one room overlapping over [starts_at, blocks_until);
- no officer with two overlapping active reservations over [starts_at, ends_at);
- exactly the reservations, statuses, versions and audit events the steps that succeeded made;
- no stale feed: an officer's, a room's or the facility's feed keeps its ETag only while it
  keeps its bytes (the ETag comes from calendar versions, not from the events).

A model of the expected state also predicts, for each step, which rules it breaks: a step that
breaks none must succeed, and a step that fails must fail for one of the rules it breaks (so a
"room taken" answer is never spurious).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import ClassVar

import pytest
import sqlalchemy as sa
from flask import current_app
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from booking.audit import AuditEvent
from booking.auth.models import Role, User
from booking.errors import (
    CautionNeedsStaff,
    Conflict,
    DomainError,
    InvalidInput,
    NotAllowed,
    NotBookable,
    OfficerBusy,
    RoomTaken,
    TooManyReservations,
    WrongLength,
)
from booking.extensions import db
from booking.feeds import ical
from booking.feeds import queries as feed_queries
from booking.feeds.models import FeedKind, Subscription
from booking.notify.models import OutboxMessage
from booking.reservations import rules, services
from booking.reservations.models import Reservation, Series, Status
from booking.reservations.services import SafetyDetails, Slot
from booking.rooms.models import Room
from booking.timeutil import at_tokyo, today_tokyo
from tests.conftest import NOW

# Tuesday and Wednesday after the suite's "now" (Monday 7 April 2025, 9:00 in Sapporo).
DAYS = (date(2025, 4, 8), date(2025, 4, 9))
OPENS, CLOSES = 8 * 60 + 45, 17 * 60 + 15  # the test facility, in minutes after midnight
STAFFED_FROM, STAFFED_UNTIL = 9 * 60 + 30, 16 * 60  # make_room's staffed hours
# Rooms: plain; with a 15-minute buffer; one that lends from 15 minutes to 4 hours.
ROOM_RULES = ({}, {"buffer_minutes": 15}, {"min_minutes": 15, "max_minutes": 240})
OFFICERS = 3

SETTINGS = settings(
    max_examples=40,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class SlotSpec:
    """A slot as the machine draws it: indexes into the rooms and DAYS, wall-clock minutes."""

    room: int
    day: int
    start: int  # minutes after midnight, Sapporo time
    minutes: int

    def times(self) -> tuple[datetime, datetime]:
        starts_at = at_tokyo(DAYS[self.day], time(*divmod(self.start, 60)))
        return starts_at, starts_at + timedelta(minutes=self.minutes)


quarters = st.integers  # times and lengths are drawn in quarter hours
slot_specs = st.builds(
    SlotSpec,
    room=st.integers(0, len(ROOM_RULES) - 1),
    day=st.integers(0, len(DAYS) - 1),
    # Mostly 9:00-16:00, so that bookings meet; sometimes anywhere from 8:00 to 17:30,
    # up to 45 minutes outside the opening hours on both sides.
    start=st.one_of(
        quarters(9 * 4, 16 * 4), quarters(9 * 4, 16 * 4), quarters(8 * 4, 17 * 4 + 2)
    ).map(lambda quarter: quarter * 15),
    # Mostly 30-120 minutes; sometimes 15-240, outside some rooms' limits.
    minutes=st.one_of(quarters(2, 8), quarters(2, 8), quarters(1, 16)).map(lambda q: q * 15),
)
officer_indexes = st.integers(0, OFFICERS - 1)
by_owner = st.sampled_from([True, True, True, False])  # mostly the officer; else another
picks = st.integers(0, 10_000)


@dataclass
class Expected:
    """What the database should hold for one reservation the machine made."""

    room: int
    officer: int
    starts_at: datetime
    ends_at: datetime
    blocks_until: datetime
    active: bool = True
    version: int = 1


def overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


# --- The invariant, as a function of the database alone -------------------------------------


def active_rows(connection) -> list:
    t = Reservation.__table__
    query = sa.select(
        t.c.id, t.c.room_id, t.c.officer_id, t.c.starts_at, t.c.ends_at, t.c.blocks_until
    ).where(t.c.status == Status.ACTIVE.value)
    return list(connection.execute(query))


def assert_no_overlaps(connection) -> None:
    """No two active reservations overlap per room (with buffer) or per officer."""
    rows = active_rows(connection)
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            if a.room_id == b.room_id:
                assert not overlaps(a.starts_at, a.blocks_until, b.starts_at, b.blocks_until), (
                    f"room {a.room_id} double-booked: reservations {a.id} and {b.id} "
                    f"[{a.starts_at}, {a.blocks_until}) / [{b.starts_at}, {b.blocks_until})"
                )
            if a.officer_id == b.officer_id:
                assert not overlaps(a.starts_at, a.ends_at, b.starts_at, b.ends_at), (
                    f"officer {a.officer_id} in two places: reservations {a.id} and {b.id} "
                    f"[{a.starts_at}, {a.ends_at}) / [{b.starts_at}, {b.ends_at})"
                )


# --- The state machine -----------------------------------------------------------------------


class ReservationMachine(RuleBasedStateMachine):
    """Set ``room_ids`` and ``officer_ids`` on a subclass before running it."""

    room_ids: tuple[int, ...] = ()
    officer_ids: tuple[int, ...] = ()
    seen_feeds: ClassVar[dict] = {}  # (owner, feed, ETag) -> the bytes served; fresh per test

    tried = Bundle("tried")  # every slot a booking was attempted for, to try it again

    def __init__(self):
        super().__init__()
        self.expected: dict[int, Expected] = {}  # reservation id -> what the database holds
        self.keys: dict[tuple[int, str], int] = {}  # (officer, idempotency key) -> id
        self.audit_events = 0

    # Helpers

    def room(self, index: int) -> Room:
        return db.session.get(Room, self.room_ids[index])

    def officer(self, index: int) -> User:
        return db.session.get(User, self.officer_ids[index])

    def pick(self, number: int) -> int:
        ids = sorted(self.expected)
        return ids[number % len(ids)]

    def broken_rules(self, spec: SlotSpec, officer: int, caution: bool, exclude=None) -> set:
        """The error classes the service may raise for this slot, given the expected state."""
        room_rules = ROOM_RULES[spec.room]
        buffer = timedelta(minutes=room_rules.get("buffer_minutes", 0))
        starts_at, ends_at = spec.times()
        broken = set()
        if spec.start < OPENS or spec.start + spec.minutes > CLOSES:
            broken.add(NotBookable)
        if (
            not room_rules.get("min_minutes", 30)
            <= spec.minutes
            <= room_rules.get("max_minutes", 180)
        ):
            broken.add(WrongLength)
        if caution and not (
            spec.start >= STAFFED_FROM and spec.start + spec.minutes <= STAFFED_UNTIL
        ):
            broken.add(CautionNeedsStaff)
        for rid, other in self.expected.items():
            if rid == exclude or not other.active:
                continue
            if other.room == spec.room and overlaps(
                starts_at, ends_at + buffer, other.starts_at, other.blocks_until
            ):
                broken.add(RoomTaken)
            if other.officer == officer and overlaps(
                starts_at, ends_at, other.starts_at, other.ends_at
            ):
                broken.add(OfficerBusy)
        return broken

    def attempt(self, name: str, action, allowed: set):
        """Run one step; commit on success, roll back on a DomainError, check the outcome."""
        try:
            result = action()
        except DomainError as error:
            db.session.rollback()
            event(f"{name}: {type(error).__name__}")
            assert allowed, f"refused with {type(error).__name__}: {error.message}"
            assert isinstance(error, tuple(allowed)), (
                f"refused with {type(error).__name__} ({error.message}); "
                f"expected one of {sorted(c.__name__ for c in allowed)}"
            )
            return None
        db.session.commit()
        event(f"{name}: done")
        assert not allowed, f"succeeded although it breaks {sorted(c.__name__ for c in allowed)}"
        return result

    def record(self, spec: SlotSpec, officer: int, reservation: Reservation) -> None:
        starts_at, ends_at = spec.times()
        buffer = timedelta(minutes=ROOM_RULES[spec.room].get("buffer_minutes", 0))
        self.expected[reservation.id] = Expected(
            spec.room, officer, starts_at, ends_at, ends_at + buffer
        )
        self.audit_events += 1

    def limit_reached(self, officer: int) -> bool:
        upcoming = sum(1 for e in self.expected.values() if e.officer == officer and e.active)
        return upcoming >= current_app.config["MAX_FUTURE_RESERVATIONS"]

    # Rules

    @initialize()
    def empty_tables(self):
        """Each example starts from no reservations; rooms and officers stay."""
        db.session.rollback()
        for model in (AuditEvent, OutboxMessage, Reservation, Series):
            db.session.execute(sa.delete(model))
        db.session.commit()

    def _book(self, officer: int, spec: SlotSpec, caution: bool, key: str | None):
        allowed = self.broken_rules(spec, officer, caution)
        if self.limit_reached(officer):
            allowed.add(TooManyReservations)
        starts_at, ends_at = spec.times()
        booked = self.attempt(
            "book",
            lambda: services.book(
                Slot(self.room(spec.room), starts_at, ends_at),
                self.officer(officer),
                by=self.officer(officer),
                safety=SafetyDetails(caution=caution),
                idempotency_key=key,
            ),
            allowed,
        )
        if booked is not None:
            self.record(spec, officer, booked)
            if key:
                self.keys[officer, key] = booked.id

    @rule(target=tried, officer=officer_indexes, spec=slot_specs, caution=st.booleans())
    def book(self, officer, spec, caution):
        self._book(officer, spec, caution, None)
        return spec

    @rule(officer=officer_indexes, spec=tried)
    def book_same_slot_again(self, officer, spec):
        """Another (or the same) officer asks for a slot that was tried before."""
        self._book(officer, spec, False, None)

    @rule(target=tried, officer=officer_indexes, spec=slot_specs)
    def book_with_key(self, officer, spec):
        self._book(officer, spec, False, uuid.uuid4().hex)
        return spec

    @precondition(lambda self: self.keys)
    @rule(number=picks, spec=slot_specs)
    def submit_again(self, number, spec):
        """The same form sent again returns the first booking and changes nothing."""
        (officer, key), rid = sorted(self.keys.items())[number % len(self.keys)]
        starts_at, ends_at = spec.times()
        again = self.attempt(
            "submit again",
            lambda: services.book(
                Slot(self.room(spec.room), starts_at, ends_at),
                self.officer(officer),
                by=self.officer(officer),
                safety=SafetyDetails(),
                idempotency_key=key,
            ),
            set(),
        )
        assert again.id == rid

    def _change(self, number: int, spec: SlotSpec, by_owner: bool, caution: bool):
        rid = self.pick(number)
        expected = self.expected[rid]
        by = expected.officer if by_owner else (expected.officer + 1) % OFFICERS
        if not by_owner:
            allowed = {NotAllowed}
        elif not expected.active:
            allowed = {InvalidInput}
        else:
            allowed = self.broken_rules(spec, expected.officer, caution, exclude=rid)
        starts_at, ends_at = spec.times()
        changed = self.attempt(
            "change",
            lambda: (
                services.change(
                    db.session.get(Reservation, rid),
                    Slot(self.room(spec.room), starts_at, ends_at),
                    by=self.officer(by),
                    safety=SafetyDetails(caution=caution),
                )
                or True
            ),
            allowed,
        )
        if changed:
            buffer = timedelta(minutes=ROOM_RULES[spec.room].get("buffer_minutes", 0))
            expected.room, expected.starts_at, expected.ends_at = spec.room, starts_at, ends_at
            expected.blocks_until = ends_at + buffer
            expected.version += 1
            self.audit_events += 1

    @precondition(lambda self: self.expected)
    @rule(number=picks, spec=slot_specs, by_owner=by_owner, caution=st.booleans())
    def change(self, number, spec, by_owner, caution):
        self._change(number, spec, by_owner, caution)

    @precondition(lambda self: self.expected)
    @rule(number=picks, spec=tried)
    def move_onto_a_tried_slot(self, number, spec):
        self._change(number, spec, True, False)

    @precondition(lambda self: self.expected)
    @rule(number=picks, by_owner=by_owner)
    def cancel(self, number, by_owner):
        rid = self.pick(number)
        expected = self.expected[rid]
        by = expected.officer if by_owner else (expected.officer + 1) % OFFICERS
        done = self.attempt(
            "cancel",
            lambda: services.cancel(db.session.get(Reservation, rid), by=self.officer(by)) or True,
            set() if by_owner else {NotAllowed},
        )
        if done and expected.active:  # cancelling a cancelled reservation changes nothing
            expected.active = False
            expected.version += 1
            self.audit_events += 1

    # Invariants, read from the database on a connection of their own (committed data only)

    @invariant()
    def database_keeps_the_invariants(self):
        with db.engine.connect() as connection:
            assert_no_overlaps(connection)
            t = Reservation.__table__
            rows = connection.execute(
                sa.select(
                    t.c.id,
                    t.c.room_id,
                    t.c.officer_id,
                    t.c.starts_at,
                    t.c.ends_at,
                    t.c.blocks_until,
                    t.c.status,
                    t.c.version,
                )
            ).all()
            audit_events = connection.scalar(
                sa.select(sa.func.count()).select_from(AuditEvent.__table__)
            )
        found = {
            row.id: (
                row.room_id,
                row.officer_id,
                row.starts_at,
                row.ends_at,
                row.blocks_until,
                row.status == Status.ACTIVE.value,
                row.version,
            )
            for row in rows
        }
        wanted = {
            rid: (
                self.room_ids[e.room],
                self.officer_ids[e.officer],
                e.starts_at,
                e.ends_at,
                e.blocks_until,
                e.active,
                e.version,
            )
            for rid, e in self.expected.items()
        }
        assert found == wanted
        assert audit_events == self.audit_events

    def subscriptions(self) -> list[Subscription]:
        """Each officer's own feed, each room's and the facility's, as their owners fetch them."""
        rooms = [self.room(index) for index in range(len(self.room_ids))]
        facility = rooms[0].facility
        feeds = [
            Subscription(
                officer_id, FeedKind.MINE, None, None, True, Role.OFFICER, False, None, None
            )
            for officer_id in self.officer_ids
        ]
        feeds += [
            Subscription(0, FeedKind.ROOM, facility.id, r.id, True, Role.ADMIN, True, "", r.name_ja)
            for r in rooms
        ]
        feeds.append(
            Subscription(0, FeedKind.FACILITY, facility.id, None, True, Role.ADMIN, True, "", None)
        )
        return feeds

    @invariant()
    def an_unchanged_etag_means_an_unchanged_feed(self):
        window = feed_queries.Window(today_tokyo())
        for feed in self.subscriptions():
            title = ical.calendar_name(feed)
            etag = feed_queries.stamp(feed, window, title).etag
            body = ical.subscription(title, feed_queries.event_rows(feed, window))
            served_before = self.seen_feeds.setdefault((feed.user_id, feed.feed.key, etag), body)
            assert served_before == body, f"feed {feed.feed.key} changed, its ETag did not"

    def teardown(self):
        db.session.rollback()


# --- Tests -----------------------------------------------------------------------------------


@pytest.fixture
def machine(app, clock, make_room, make_user):
    """The state machine class, bound to fresh rooms and officers, with the clock stopped."""
    clock(NOW)
    rooms = [make_room(**room_rules) for room_rules in ROOM_RULES]
    officers = [make_user(name=f"保護司 {n}") for n in range(OFFICERS)]

    class Machine(ReservationMachine):
        room_ids = tuple(r.id for r in rooms)
        officer_ids = tuple(o.id for o in officers)
        seen_feeds: ClassVar[dict] = {}

    return Machine


def test_random_bookings_never_overlap(machine):
    run_state_machine_as_test(machine, settings=SETTINGS)


def test_the_database_alone_keeps_the_invariants(machine, monkeypatch):
    """With the service's own overlap checks gone, the constraint or trigger still refuses."""
    monkeypatch.setattr(rules, "ensure_room_free", lambda *args, **kwargs: None)
    monkeypatch.setattr(rules, "ensure_officer_free", lambda *args, **kwargs: None)
    # No shrinking: it takes minutes here; the tests below give the minimal cases.
    phases = [Phase.explicit, Phase.reuse, Phase.generate]
    run_state_machine_as_test(machine, settings=settings(SETTINGS, max_examples=25, phases=phases))


@pytest.mark.parametrize("step", ["book", "change"])
def test_an_overlap_only_the_database_sees_is_a_conflict(
    app, clock, make_room, make_user, monkeypatch, step
):
    """As when two requests check at the same moment: the database refuses, the answer is 409.

    DESIGN §4: a violation from the database becomes the same "already booked" error as the
    service's own check, never a 500 (here: never anything but a Conflict).
    """
    clock(NOW)
    room = make_room()
    first, second = make_user(), make_user()
    ten = at_tokyo(DAYS[0], time(10))
    hour = timedelta(hours=1)
    services.book(Slot(room, ten, ten + hour), first, by=first, safety=SafetyDetails())
    later = services.book(
        Slot(room, ten + 2 * hour, ten + 3 * hour), second, by=second, safety=SafetyDetails()
    )
    db.session.commit()
    monkeypatch.setattr(rules, "ensure_room_free", lambda *args, **kwargs: None)
    clash = Slot(room, ten + hour / 2, ten + 3 * hour / 2)
    with pytest.raises(Conflict):
        if step == "book":
            services.book(clash, second, by=second, safety=SafetyDetails())
        else:
            services.change(later, clash, by=second, safety=SafetyDetails())
    db.session.rollback()
    with db.engine.connect() as connection:
        times = sorted((row.starts_at, row.ends_at) for row in active_rows(connection))
    assert times == [(ten, ten + hour), (ten + 2 * hour, ten + 3 * hour)]


def drop_no_overlap_rules(connection) -> None:
    """Inside the caller's transaction, so that a rollback restores them."""
    if connection.dialect.name == "postgresql":
        for name in ("reservation_room_no_overlap", "reservation_officer_no_overlap"):
            connection.exec_driver_sql(f"ALTER TABLE reservation DROP CONSTRAINT {name}")
    else:
        for name in ("reservation_no_overlap_insert", "reservation_no_overlap_update"):
            connection.exec_driver_sql(f"DROP TRIGGER {name}")


@pytest.mark.parametrize("clash", ["room_buffer", "officer"])
def test_the_invariant_check_sees_an_overlap(app, make_room, make_user, clash):
    """The check itself is not vacuous: overlaps written behind the rules' back are caught."""
    plain, buffered = make_room(), make_room(buffer_minutes=15)
    first, second = make_user(), make_user()
    ten = at_tokyo(DAYS[0], time(10))
    eleven, quarter_past = ten + timedelta(hours=1), ten + timedelta(minutes=75)
    rows = [
        # 10:00-11:00 in the buffered room: the room is not free again before 11:15.
        (buffered.id, first.id, ten, eleven, eleven + timedelta(minutes=15)),
        # 11:00-12:00 by another officer: in the buffer of the first.
        (
            buffered.id,
            second.id,
            eleven,
            eleven + timedelta(hours=1),
            quarter_past + timedelta(hours=1),
        ),
    ]
    if clash == "officer":
        # The same officer 10:30-11:30 in the other room.
        rows[1] = (
            plain.id,
            first.id,
            ten + timedelta(minutes=30),
            eleven + timedelta(minutes=30),
            eleven + timedelta(minutes=30),
        )
    db.session.commit()
    with db.engine.connect() as connection:
        transaction = connection.begin()
        try:
            assert_no_overlaps(connection)
            drop_no_overlap_rules(connection)
            for room_id, officer_id, starts_at, ends_at, blocks_until in rows:
                connection.execute(
                    sa.insert(Reservation.__table__).values(
                        public_id=uuid.uuid4(),
                        room_id=room_id,
                        officer_id=officer_id,
                        created_by_id=officer_id,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        blocks_until=blocks_until,
                        status=Status.ACTIVE.value,
                        version=1,
                        second_officer=False,
                        probation_officer="none",
                        notify_desk=False,
                        caution=False,
                        desk_note="",
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
            with pytest.raises(AssertionError, match=r"double-booked|two places"):
                assert_no_overlaps(connection)
        finally:
            transaction.rollback()
    with db.engine.connect() as connection:
        assert active_rows(connection) == []
