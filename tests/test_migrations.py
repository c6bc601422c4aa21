"""The migrations make the schema, and they match the models exactly."""

import uuid

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from booking import create_app
from booking.extensions import db
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
