"""Finding a free room: the home page, the list of rooms and a room's week."""

from datetime import datetime, timedelta

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from booking.auth.models import User
from booking.inputs import parse_day
from booking.reservations import queries as reservations
from booking.reservations.availability import availability, load_rooms, slot_states, within_part
from booking.reservations.models import Reservation
from booking.reservations.services import CHECK_IN_EARLY
from booking.rooms import services
from booking.rooms.forms import FindForm
from booking.templating import locale_code
from booking.timeutil import now_utc, today_tokyo

bp = Blueprint("rooms", __name__)


@bp.get("/")
@login_required
def find():
    """Rooms with free time on a chosen day, grouped by ward, the chosen ward first."""
    today = today_tokyo()
    form = FindForm(request.args)
    valid = form.validate()
    day = form.day.data if valid and form.day.data else today
    if day < today:
        form.day.errors = [*form.day.errors, services.past_day_message()]
        day = today
    rooms = services.findable_rooms(today, form.evening_or_weekend.data)
    plans = availability(rooms, day, day)
    results = [(room, within_part(plans[room.id][0], form.part.data, now_utc())) for room in rooms]
    results = [(room, free) for room, free in results if services.fits(room, free)]
    return render_template(
        "rooms/find.html",
        form=form,
        day=day,
        days=[today + timedelta(days=n) for n in range(7)],
        wards=services.rooms_by_ward(results, first=form.ward.data or None),
        found=len(results),
        today_panel=today_panel(current_user, now_utc()),
    )


def today_panel(
    officer: User, now: datetime
) -> list[tuple[Reservation, str | None, datetime | None]]:
    """Each reservation of the panel with its button, or when check-in opens if not yet."""
    panel = []
    for reservation in reservations.today_for(officer, now):
        opens = reservation.starts_at - CHECK_IN_EARLY
        step = reservation.next_step(now, CHECK_IN_EARLY)
        panel.append((reservation, step, opens if opens > now else None))
    return panel


@bp.get("/rooms/")
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
        "rooms/index.html",
        wards=services.rooms_by_ward((room, closed[room.id]) for room in rooms),
        today=today,
    )


@bp.get("/rooms/<id:room_id>/week")
@login_required
def week(room_id: int):
    """Seven days of one room: free start times to tap, taken and closed times."""
    rooms = load_rooms([room_id]) or abort(404)
    room, today = rooms[0], today_tokyo()
    first = parse_day(request.args.get("start")) or today
    first = max(first, today)
    plans = availability(rooms, first, first + timedelta(days=6))[room.id]
    now = now_utc()
    days = [(plan, slot_states(room, plan, now)) for plan in plans]
    return render_template(
        "rooms/week.html",
        room=room,
        days=days,
        previous=first - timedelta(days=7) if first > today else None,
        following=first + timedelta(days=7),
    )
