"""The desk's pages: day schedule, CSV, safety board, closures, booking for an officer, and
how the desk is reached."""

from datetime import date, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from booking import exports
from booking.errors import DomainError
from booking.extensions import db
from booking.fields import parse_written_date
from booking.inputs import is_sensible_year
from booking.manage import services
from booking.manage.forms import AcknowledgeForm, ClosureForm, DeskForm, StaffBookingForm
from booking.manage.officers import chosen_officer, find_officers
from booking.reservations import queries
from booking.reservations import services as reservations
from booking.reservations.availability import availability, load_rooms, slot_states
from booking.rooms.models import Closure, Facility
from booking.safety import services as safety
from booking.safety.board import alarm_kind, board_rows
from booking.templating import locale_code
from booking.timeutil import now_utc, today_tokyo

bp = Blueprint("manage", __name__, url_prefix="/manage")


def served_facility(facility_id: int) -> Facility:
    """The facility, if the current user serves it; 404 or 403 otherwise."""
    facility = db.get_or_404(Facility, facility_id)
    services.ensure_serves(current_user, facility)
    return facility


def chosen_day() -> date:
    """The day asked for (as the date picker or a typed 令和 date gives it), else today."""
    day = parse_written_date(request.args.get("day"))
    return day if day is not None and is_sensible_year(day) else today_tokyo()


@bp.get("/")
@login_required
def index():
    """The facilities this user serves, with their pages."""
    services.ensure_staff(current_user)
    facilities = services.managed_facilities(current_user)
    return render_template("manage/index.html", facilities=facilities)


@bp.route("/facilities/<id:facility_id>/desk", methods=["GET", "POST"])
@login_required
def desk(facility_id: int):
    """The desk's phone and place (the emergency card) and the address for overdue alerts."""
    facility = served_facility(facility_id)
    form, status = DeskForm(obj=facility), 200
    if form.validate_on_submit():
        services.update_desk(facility, form.values(), by=current_user)
        db.session.commit()
        flash(_("窓口の連絡先を保存しました。"))
        return redirect(url_for(".index"))
    if form.is_submitted():
        status = 422
    return render_template("manage/desk.html", facility=facility, form=form), status


@bp.get("/facilities/<id:facility_id>/schedule")
@login_required
def schedule(facility_id: int):
    """Every reservation of one day, with the officer's phone and the safety details."""
    facility, day = served_facility(facility_id), chosen_day()
    return render_template(
        "manage/schedule.html",
        facility=facility,
        day=day,
        rows=services.day_schedule(facility, day),
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
    )


@bp.get("/facilities/<id:facility_id>/schedule.csv")
@login_required
def schedule_csv(facility_id: int):
    """The day schedule as a CSV file that Excel opens in Japanese."""
    facility, day = served_facility(facility_id), chosen_day()
    rows = services.schedule_rows(services.day_schedule(facility, day), locale_code())
    text = exports.csv_text(services.CSV_TITLES, rows)
    return exports.csv_response(text, f"schedule-{facility.code}-{day.isoformat()}.csv")


def grace() -> timedelta:
    return timedelta(minutes=current_app.config["SAFETY_GRACE_MINUTES"])


@bp.get("/facilities/<id:facility_id>/board")
@login_required
def board(facility_id: int):
    """Today's interviews: alarms (not arrived, no check-out) first, in red, with the phone."""
    facility, now = served_facility(facility_id), now_utc()
    rows = board_rows(services.day_schedule(facility, today_tokyo()), now, grace())
    return render_template(
        "manage/board.html",
        facility=facility,
        rows=rows,
        now=now,
        refresh=request.args.get("refresh") != "0",
    )


@bp.route("/reservations/<uuid:public_id>/acknowledge", methods=["GET", "POST"])
@login_required
def acknowledge(public_id):
    """Record what the desk found out about a red card; the alarm is then cleared."""
    reservation = queries.by_public_id(public_id) or abort(404)
    facility, now = reservation.room.facility, now_utc()
    services.ensure_serves(current_user, facility)
    kind = alarm_kind(reservation, now, grace())
    form, status = AcknowledgeForm(kind=kind.value if kind else ""), 200
    if form.validate_on_submit():
        try:
            safety.acknowledge(
                reservation, **form.values(), by=current_user, now=now, grace=grace()
            )
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            status = error.status
        else:
            db.session.commit()
            flash(_("確認した結果を記録しました。"))
            return redirect(url_for(".board", facility_id=facility.id))
    elif form.is_submitted():
        status = 422
    return render_template(
        "manage/acknowledge.html", reservation=reservation, kind=kind, form=form
    ), status


@bp.route("/facilities/<id:facility_id>/closures", methods=["GET", "POST"])
@login_required
def closures(facility_id: int):
    """List closures and add one; reservations it would hit are listed before anything changes."""
    facility = served_facility(facility_id)
    form, hit, status = ClosureForm(facility), [], 200
    if form.validate_on_submit():
        closure = form.closure(facility)
        hit = services.closure_impact(facility, closure)
        if hit and not form.confirm.data:  # the desk decides, with the officers' phones at hand
            return render_template("manage/closure_confirm.html", facility=facility, hit=hit)
        try:
            cancelled = services.add_closure(
                facility, closure, by=current_user, cancel_hit=bool(form.confirm.data)
            )
        except DomainError as error:
            db.session.rollback()
            hit = services.closure_impact(facility, closure)
            form.form_errors.append(error.message)
            status = error.status
        else:
            db.session.commit()
            flash(_("休館を登録しました。取り消した予約：%(n)d件", n=len(cancelled)))
            return redirect(url_for(".closures", facility_id=facility.id))
    elif form.is_submitted():
        status = 422
    return render_template(
        "manage/closures.html",
        facility=facility,
        form=form,
        hit=hit,
        upcoming=services.upcoming_closures(facility, now_utc()),
    ), status


@bp.post("/closures/<id:closure_id>/delete")
@login_required
def delete_closure(closure_id: int):
    """Remove a closure; cancelled reservations stay cancelled."""
    closure = db.get_or_404(Closure, closure_id)
    facility_id = closure.facility_id
    services.remove_closure(closure, by=current_user)
    db.session.commit()
    flash(_("休館を取り消しました。"))
    return redirect(url_for(".closures", facility_id=facility_id))


@bp.route("/facilities/<id:facility_id>/book", methods=["GET", "POST"])
@login_required
def book(facility_id: int):
    """Book for an officer who cannot use the web; then print a slip for them."""
    facility = served_facility(facility_id)
    if request.method == "POST":
        officers, formdata = chosen_officer(request.form.get("officer")), request.form
    else:  # a search, or a free time tapped in the grid, fills the form in
        officers, formdata = find_officers(request.args.get("q")), request.args
    form, status = StaffBookingForm(facility, officers, formdata=formdata), 200
    if form.validate_on_submit():
        room = next(r for r in facility.rooms if r.active and r.id == form.room.data)
        officer = next(o for o in officers if o.id == form.officer.data)
        try:
            reservation = reservations.book(
                form.slot(room),
                officer,
                by=current_user,
                safety=form.safety(),
                idempotency_key=form.idempotency_key.data,
            )
        except DomainError as error:
            db.session.rollback()
            form.attach(error)
            status = error.status
        else:
            db.session.commit()
            flash(_("%(name)sさんの予約をしました。", name=officer.name))
            return redirect(url_for(".slip", public_id=reservation.public_id))
    elif form.is_submitted():
        status = 422
    return render_template(
        "manage/book.html",
        facility=facility,
        form=form,
        found=officers,
        grid=free_grid(facility, form.day.data if form.day.data else today_tokyo()),
    ), status


def free_grid(facility: Facility, day: date) -> dict:
    """Each active room's start times on ``day``, free or taken, for the desk to pick from."""
    rooms = load_rooms([room.id for room in facility.rooms if room.active])
    plans = availability(rooms, day, day)
    now = now_utc()
    return {
        "day": day,
        "rooms": [(room, slot_states(room, plans[room.id][0], now)) for room in rooms],
        "previous": day - timedelta(days=1),
        "following": day + timedelta(days=1),
    }


@bp.get("/reservations/<uuid:public_id>/slip")
@login_required
def slip(public_id):
    """A printable slip to hand to the officer."""
    reservation = queries.by_public_id(public_id) or abort(404)
    services.ensure_serves(current_user, reservation.room.facility)
    return render_template("manage/slip.html", reservation=reservation)
