"""Finding a free room: the home page, the list of rooms and a room's week."""

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from booking.auth.models import User
from booking.extensions import db
from booking.inputs import parse_day
from booking.reservations import queries as reservations
from booking.reservations.availability import availability, load_rooms, slot_states, within_part
from booking.reservations.models import Reservation
from booking.reservations.rules import ensure_not_retired
from booking.reservations.services import CHECK_IN_EARLY
from booking.rooms import services
from booking.rooms.forms import FindForm, HomeWardForm
from booking.rooms.models import Ward
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
    first = (form.ward.data if valid else None) or current_user.home_ward
    near_ward = Ward(first) if first else None
    rooms, kept_to = services.findable_rooms(
        today,
        form.evening_or_weekend.data,
        near=near_ward,
        all_up_to=current_app.config["FIND_EVERY_WARD_UP_TO"],
    )
    plans = availability(rooms, day, day)
    results = [(room, within_part(plans[room.id][0], form.part.data, now_utc())) for room in rooms]
    results = [(room, free) for room, free in results if services.fits(room, free)]
    return render_template(
        "rooms/find.html",
        form=form,
        day=day,
        days=[today + timedelta(days=n) for n in range(7)],
        month=month_calendar(day, today, services.last_bookable_day(rooms, today)),
        wards=services.rooms_by_ward(results, first=first),
        kept_to=kept_to,
        near_ward=near_ward,
        other_wards=services.other_wards(kept_to, near_ward),
        found=len(results),
        today_panel=today_panel(current_user, now_utc()),
        home_form=HomeWardForm(home_ward=current_user.home_ward or ""),
    )


def month_calendar(day: date, today: date, last_day: date) -> dict:
    """The month the calendar shows (?month=2025-05, else the chosen day's), and its neighbours
    while they hold bookable days."""
    chosen = parse_day(f"{request.args.get('month', '')}-01")
    first = min(max(chosen or day, today), last_day).replace(day=1)
    before = (first - timedelta(days=1)).replace(day=1)
    after = (first + timedelta(days=31)).replace(day=1)
    return {
        "first": first,
        "weeks": services.month_weeks(first),
        "today": today,
        "last_day": last_day,
        "previous": before if before >= today.replace(day=1) else None,
        "following": after if after <= last_day else None,
    }


@bp.post("/home-ward")
@login_required
def home_ward():
    """Remember the ward the officer lives or works in, to list its rooms first."""
    form = HomeWardForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_home_ward(current_user, form.home_ward.data or None)
    db.session.commit()
    flash(_("いつも使う区を保存しました。"))
    return redirect(url_for(".find", _anchor="results"))


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
    ensure_not_retired(room)
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
