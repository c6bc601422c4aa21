"""Booking, changing and cancelling reservations, and the officer's own list."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from booking.auth.services import safe_next
from booking.errors import Conflict, DomainError
from booking.extensions import db
from booking.reservations import queries, rules, series, services
from booking.reservations import restore as undo
from booking.reservations.availability import free_intervals, nearest_free_starts
from booking.reservations.forms import ReservationForm
from booking.reservations.models import Reservation
from booking.rooms.models import Room
from booking.timeutil import now_utc, tokyo

bp = Blueprint("reservations", __name__)


def own_reservation(public_id) -> Reservation:
    """The reservation, if the current user may see it; 404 or 403 otherwise."""
    reservation = queries.by_public_id(public_id) or abort(404)
    rules.ensure_may_change(current_user, reservation)
    return reservation


def changeable_reservation(public_id) -> Reservation:
    """The reservation, if the current user may still change or cancel it; 4xx otherwise."""
    reservation = own_reservation(public_id)
    rules.ensure_not_started(reservation, now_utc())
    return reservation


@bp.route("/rooms/<id:room_id>/reserve", methods=["GET", "POST"])
@login_required
def new(room_id: int):
    """Book a room from the booking form."""
    room = queries.room_with_facility(room_id) or abort(404)
    rules.ensure_not_retired(room)
    # A tapped slot on the week page arrives as ?day=...&start=... and fills the form in.
    formdata = request.args if request.method == "GET" else request.form
    form, status, clash = ReservationForm(room, formdata=formdata), 200, None
    if form.validate_on_submit():
        if form.repeat.data:
            return repeat(room, form)
        try:
            reservation = services.book(
                form.slot(room),
                current_user,
                by=current_user,
                safety=form.safety(),
                idempotency_key=form.idempotency_key.data,
            )
        except DomainError as error:
            db.session.rollback()
            form.attach(error)
            status, clash = error.status, error
        else:
            target = url_for(".show", public_id=reservation.public_id, booked=1)
            db.session.commit()
            return redirect(target)
    elif form.is_submitted():
        status = 422
    return render_template(
        "reservations/new.html",
        room=room,
        form=form,
        own=getattr(clash, "own", None),
        offers=offers_for(clash, form, room),
    ), status


def offers_for(error: DomainError | None, form: ReservationForm, room: Room) -> list:
    """Free start times near the one refused, in this room and its neighbours, after a clash."""
    if not isinstance(error, Conflict):
        return []
    wanted = form.slot(room).starts_at
    return nearest_free_starts(room, current_user.id, wanted, form.minutes.data, now_utc())


def repeat(room: Room, form: ReservationForm):
    """Show every date of a repetition as free or refused; book the free ones on confirmation."""
    plan, safety = form.plan(room), form.safety()
    try:
        if request.form.get("confirm"):
            _series, booked = series.book_series(
                plan,
                current_user,
                by=current_user,
                safety=safety,
                idempotency_key=form.idempotency_key.data,
            )
            db.session.commit()
            flash(_("%(n)d件の予約をしました。", n=len(booked)))
            return redirect(url_for(".index"))
        occurrences = series.preview(plan, current_user, by=current_user, safety=safety)
    except DomainError as error:
        db.session.rollback()
        form.attach(error)
        return render_template("reservations/new.html", room=room, form=form), error.status
    return render_template(
        "reservations/preview.html", room=room, form=form, occurrences=occurrences
    )


@bp.post("/reservations/<uuid:public_id>/check-in")
@login_required
def check_in(public_id):
    """Record arrival with one large button."""
    services.check_in(own_reservation(public_id), by=current_user)
    db.session.commit()
    flash(_("入室を記録しました。"))
    return redirect(safe_next(request.form.get("next")) or url_for(".index"))


@bp.post("/reservations/<uuid:public_id>/check-out")
@login_required
def check_out(public_id):
    """Record leaving with one large button."""
    services.check_out(own_reservation(public_id), by=current_user)
    db.session.commit()
    flash(_("退室を記録しました。お疲れさまでした。"))
    return redirect(safe_next(request.form.get("next")) or url_for(".index"))


@bp.get("/reservations/")
@login_required
def index():
    """The current user's reservations, current and upcoming first, then the past ones."""
    now = now_utc()
    upcoming, past = queries.mine(current_user, now)
    steps = {r.id: r.next_step(now, services.CHECK_IN_EARLY) for r in upcoming}
    restorable = {r.id for r in past if r.starts_at > now and undo.can_restore(r, current_user)}
    return render_template(
        "reservations/index.html",
        upcoming=upcoming,
        past=past,
        steps=steps,
        restorable=restorable,
        now=now,
    )


@bp.get("/reservations/<uuid:public_id>")
@login_required
def show(public_id):
    """A reservation's summary, its check-in or check-out button and the emergency card."""
    reservation, now = own_reservation(public_id), now_utc()
    step = reservation.next_step(now, services.CHECK_IN_EARLY)
    changeable = reservation.is_active and not reservation.has_started(now)
    just_booked = bool(request.args.get("booked")) and reservation.is_active
    restorable = not reservation.is_active and undo.can_restore(reservation, current_user)
    return render_template(
        "reservations/show.html",
        reservation=reservation,
        step=step,
        changeable=changeable,
        just_booked=just_booked,
        restorable=restorable,
    )


@bp.route("/reservations/<uuid:public_id>/edit", methods=["GET", "POST"])
@login_required
def edit(public_id):
    """Change the time or the safety details of a reservation."""
    reservation = changeable_reservation(public_id)
    form = ReservationForm(reservation.room, obj=queries.form_data(reservation))
    status = 200
    if form.validate_on_submit():
        try:
            services.change(
                reservation, form.slot(reservation.room), by=current_user, safety=form.safety()
            )
        except DomainError as error:
            db.session.rollback()
            form.attach(error)
            status = error.status
        else:
            db.session.commit()
            flash(_("予約を変更しました。"))
            return redirect(url_for(".show", public_id=reservation.public_id))
    elif form.is_submitted():
        status = 422
    day = form.day.data if isinstance(form.day.data, date) else tokyo(reservation.starts_at).date()
    free = free_intervals(reservation.room, day, now_utc(), exclude_id=reservation.id)
    return render_template(
        "reservations/edit.html",
        reservation=reservation,
        room=reservation.room,
        form=form,
        free=free,
    ), status


@bp.route("/reservations/<uuid:public_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(public_id):
    """Ask for confirmation, then cancel."""
    reservation = changeable_reservation(public_id)
    if request.method == "POST":
        services.cancel(reservation, by=current_user)
        db.session.commit()
        flash(_("予約を取り消しました。"))
        # Its page offers 「元に戻す」 while the slot is still free.
        return redirect(url_for(".show", public_id=reservation.public_id))
    return render_template("reservations/cancel.html", reservation=reservation)


@bp.post("/reservations/<uuid:public_id>/restore")
@login_required
def restore(public_id):
    """Undo a cancellation, if the room and the officer are still free then."""
    reservation = own_reservation(public_id)
    undo.restore(reservation, by=current_user)
    db.session.commit()
    flash(_("取り消しを元に戻しました。予約は有効です。"))
    return redirect(url_for(".show", public_id=reservation.public_id))


@bp.post("/reservations/<uuid:public_id>/cancel-series")
@login_required
def cancel_series(public_id):
    """Cancel this reservation and every later one of its repetition."""
    reservation = changeable_reservation(public_id)
    if reservation.series is None:
        abort(404)
    day = tokyo(reservation.starts_at).date()
    cancelled = series.cancel_from(reservation.series, day, by=current_user)
    db.session.commit()
    flash(_("%(n)d件の予約を取り消しました。", n=cancelled))
    return redirect(url_for(".index"))
