"""The migrations make the schema, and they match the models exactly."""

import uuid
from datetime import UTC, datetime, timedelta

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from booking import audit, create_app
from booking.audit import AuditEvent
from booking.auth import services as accounts
from booking.auth.models import Role
from booking.extensions import db
from booking.reservations.models import Reservation
from booking.rooms.models import Room
from booking.rooms.seed import seed_rooms
from tests.conftest import config_for


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A brand-new, empty database of the same backend."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/empty.sqlite3"
        return
    name = f"empty_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()


def test_upgrade_from_empty_matches_the_models(empty_database):
    app = create_app(config_for(empty_database))
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
            tables = set(sa.inspect(connection).get_table_names())
        db.engine.dispose()
    assert {"facility", "room", "closure", "user", "opening_hours", "staffed_hours"} <= tables


def test_downgrade_to_base_and_back(empty_database):
    app = create_app(config_for(empty_database))
    with app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        with db.engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade(revision="0003_feed_tokens")
        assert no_overlap_rules(db.engine) == 2
        flask_migrate.upgrade()
        assert no_overlap_rules(db.engine) == 2  # later migrations must not lose them
        assert calendar_triggers(db.engine) == 3  # insert, update, delete
        flask_migrate.downgrade(revision="0010_outbox")  # PostgreSQL: back to row triggers
        assert calendar_triggers(db.engine) == (3 if db.engine.dialect.name == "sqlite" else 2)
        flask_migrate.downgrade(revision="0005_calendar_versions")
        assert calendar_triggers(db.engine) == 0
        db.engine.dispose()


def no_overlap_rules(engine) -> int:
    """How many of the no-overlap triggers (SQLite) or exclusion constraints exist."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            sql = "SELECT count(*) FROM sqlite_master WHERE name LIKE 'reservation_no_overlap_%'"
        else:
            sql = "SELECT count(*) FROM pg_constraint WHERE contype = 'x'"
        return connection.execute(sa.text(sql)).scalar()


def calendar_triggers(engine) -> int:
    """How many triggers bump calendar versions when reservations are written."""
    if engine.dialect.name == "sqlite":
        sql = "SELECT count(*) FROM sqlite_master WHERE name LIKE 'reservation_calendars_%'"
    else:
        sql = "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'reservation_calendars_%'"
    with engine.connect() as connection:
        return connection.execute(sa.text(sql)).scalar()


FACILITY_ROW = (
    "INSERT INTO facility (id, code, ward, name_ja, name_en, address, phone, access_notes,"
    " desk_location, kind, fee_basis, closes_on_holidays, closes_year_end, bookable_from)"
    " VALUES (:id, :code, 'kita', '施設', 'Facility', '札幌市', :phone, '', '',"
    " 'support_center', 'full_exemption', true, true, '2020-01-01')"
)


def test_the_number_the_desk_set_becomes_the_desk_phone(empty_database):
    app = create_app(config_for(empty_database))
    with app.app_context():
        flask_migrate.upgrade(revision="0006_calendar_triggers")
        with db.engine.begin() as connection:
            for id_, phone in ((1, "011-222-3344"), (2, "011-771-2231")):
                connection.execute(
                    sa.text(FACILITY_ROW), {"id": id_, "code": f"f{id_}", "phone": phone}
                )
            connection.execute(
                sa.text(
                    "INSERT INTO audit_event (at, action, object_type, object_id, details)"
                    " VALUES (CURRENT_TIMESTAMP, 'facility.desk', 'facility', '1', :details)"
                ),
                {"details": '{"changed": ["desk_location", "phone"]}'},
            )
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT id, phone, desk_phone FROM facility ORDER BY id")
            ).all()
        flask_migrate.downgrade(revision="0006_calendar_triggers")
        db.engine.dispose()
    # The desk's number moves to desk_phone; one from the data file stays the main phone.
    assert [tuple(row) for row in rows] == [
        (1, "011-222-3344", "011-222-3344"),
        (2, "011-771-2231", None),
    ]


def test_earlier_audit_events_of_reservations_get_their_facility(empty_database):
    app = create_app(config_for(empty_database))
    with app.app_context():
        flask_migrate.upgrade()
        seed_rooms()
        room = db.session.scalars(sa.select(Room).order_by(Room.id.desc())).first()
        officer = accounts.create_user("officer@example.jp", "保護司 一郎", Role.OFFICER, "x" * 15)
        db.session.flush()
        starts_at = datetime(2025, 4, 8, 1, tzinfo=UTC)
        reservation = Reservation(
            room=room,
            officer=officer,
            created_by=officer,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            blocks_until=starts_at + timedelta(hours=1),
        )
        db.session.add(reservation)
        db.session.flush()
        for action, obj in (("reservation.check_in", reservation), ("user.create", officer)):
            audit.record(None, action, obj, facility_id=None)
        db.session.execute(sa.update(AuditEvent).values(facility_id=None))  # as 0018 wrote them
        db.session.commit()
        flask_migrate.downgrade(revision="0018_account_list_order")
        flask_migrate.upgrade()
        rows = db.session.execute(sa.select(AuditEvent.action, AuditEvent.facility_id)).all()
        expected = room.facility_id
        db.session.remove()
        db.engine.dispose()
    assert dict(rows) == {"reservation.check_in": expected, "user.create": None}


def test_a_room_retired_before_the_column_gets_the_time_of_its_retirement(empty_database, clock):
    app = create_app(config_for(empty_database))
    with app.app_context():
        flask_migrate.upgrade()
        seed_rooms()
        admin = accounts.create_user("admin@example.jp", "管理 一郎", Role.ADMIN, "x" * 15)
        rooms = db.session.scalars(sa.select(Room).order_by(Room.id)).all()[:3]
        retired, back, _open = rooms
        for when, action, room in (
            (datetime(2025, 3, 31, 15, tzinfo=UTC), "room.retire", retired),
            (datetime(2025, 2, 1, tzinfo=UTC), "room.retire", back),
            (datetime(2025, 3, 1, tzinfo=UTC), "room.reactivate", back),
        ):
            clock(when)
            audit.record(admin, action, room)
        retired.active = False
        db.session.commit()
        flask_migrate.downgrade(revision="0019_audit_facilities")
        flask_migrate.upgrade()
        db.session.expire_all()
        found = {room.id: room.retired_at for room in rooms}
        ids = [room.id for room in rooms]
        db.session.remove()
        db.engine.dispose()
    assert found == {ids[0]: datetime(2025, 3, 31, 15, tzinfo=UTC), ids[1]: None, ids[2]: None}
