"""The list of rooms officers may book."""

from flask import Blueprint, render_template
from flask_login import login_required

from booking.rooms import services
from booking.templating import locale_code
from booking.timeutil import today_tokyo

bp = Blueprint("rooms", __name__, url_prefix="/rooms")


@bp.get("/")
@login_required
def index():
    """Every room grouped by ward, with its hours and whether it is open today."""
    today = today_tokyo()
    rooms = services.listed_rooms(today)
    closures = services.closures_on(today)
    closed = {
        room.id: services.closed_reason(room, today, closures, locale_code()) for room in rooms
    }
    return render_template(
        "rooms/index.html", wards=services.rooms_by_ward(rooms), closed=closed, today=today
    )
