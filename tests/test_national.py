"""`flask demo national`: a country-sized data set, here at a thousandth of its size."""

import sqlalchemy as sa
from sqlalchemy import func, select

from booking.auth.models import User
from booking.extensions import db
from booking.reservations.models import Reservation, Status
from booking.rooms.models import Facility, Room
from tests.conftest import log_in


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_thousandth_of_the_country_loads_and_serves(app, backend, client):
    result = app.test_cli_runner().invoke(args=["demo", "national", "--scale", "0.001"])
    assert result.exit_code == 0, result.output
    assert "46 officers, 1 facilities, 2 rooms, 6,000 reservations" in result.output
    db.session.remove()
    assert count(User) == 46 and count(Facility) == 1 and count(Room) == 2
    assert count(Reservation) == 6_000
    assert count(Reservation, Reservation.status == Status.CANCELLED) == 600
    if backend == "postgresql":  # dropped for the load, and back, checked against every row
        with db.engine.connect() as connection:
            rules = connection.execute(
                sa.text("SELECT count(*) FROM pg_constraint WHERE contype = 'x'")
            )
            assert rules.scalar() == 2
    password = result.output.rsplit("password: ", 1)[1].strip()
    assert log_in(client, "national00000@example.jp", password).status_code == 302
    assert client.get("/reservations/").status_code == 200

    again = app.test_cli_runner().invoke(args=["demo", "national", "--scale", "0.001"])
    assert again.exit_code != 0 and "already holds reservations" in again.output
