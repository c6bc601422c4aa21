"""The app's own PostgreSQL role works as usual but can only add to the audit log."""

import secrets

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from booking import create_app
from booking.audit import AuditEvent
from booking.auth.models import User
from booking.extensions import db
from booking.reservations.models import Reservation
from booking.rooms.models import Room
from tests.conftest import booked, config_for, row_count


@pytest.fixture
def app_role(app, backend, database_url):
    if backend != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's")
    role = f"booking_app_{secrets.token_hex(4)}"
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
    yield role, make_url(database_url).set(username=role, password=None)
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f"DROP OWNED BY {role}")
        connection.exec_driver_sql(f"DROP ROLE {role}")


def test_the_app_role_books_but_cannot_rewrite_the_audit_log(app, app_role, room, officer, now):
    role, url = app_role
    result = app.test_cli_runner().invoke(args=["db", "grant", role])
    assert result.exit_code == 0, result.output
    as_app = create_app(config_for(url.render_as_string(hide_password=False)))
    with as_app.app_context():
        # A booking: the reservation, its audit event, its notice, the calendar triggers.
        booked(db.session.get(Room, room.id), db.session.get(User, officer.id))
        assert row_count(Reservation) == 1 and row_count(AuditEvent) >= 1
        for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                db.session.execute(sa.text(statement))
            db.session.rollback()
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            db.session.execute(sa.text("UPDATE alembic_version SET version_num = 'x'"))
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_grant_refuses_an_odd_role_name(app, backend):
    result = app.test_cli_runner().invoke(args=["db", "grant", 'x"; DROP TABLE audit_event; --'])
    assert result.exit_code != 0
    assert ("plain role name" if backend == "postgresql" else "PostgreSQL") in result.output
