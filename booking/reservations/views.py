"""Booking, changing and cancelling reservations, and the officer's own list."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from booking.errors import DomainError, NotAllowed
from booking.extensions import db
from booking.reservations import queries, services
from booking.reservations.forms import ReservationForm
from booking.reservations.models import Reservation
from booking.rooms.models import Room
from booking.timeutil import now_utc

bp = Blueprint("reservations", __name__)


def own_reservation(public_id) -> Reservation:
    """The reservation, if the current user may see it; 404 or 403 otherwise."""
    reservation = queries.by_public_id(public_id) or abort(404)
    if current_user.id != reservation.officer_id and not current_user.serves(
        reservation.room.facility
    ):
        raise NotAllowed(_("この予約を見る権限がありません。"))
    return reservation


@bp.route("/rooms/<int:room_id>/reserve", methods=["GET", "POST"])
@login_required
def new(room_id: int):
    """Book a room from the booking form."""
    room = db.get_or_404(Room, room_id)
    form = ReservationForm(room, data=request.args.to_dict() if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
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
            status = error.status
        else:
            db.session.commit()
            flash(_("予約しました。"))
            return redirect(url_for(".show", public_id=reservation.public_id))
    elif form.is_submitted():
        status = 422
    return render_template("reservations/new.html", room=room, form=form), status


@bp.get("/reservations/")
@login_required
def index():
    """The current user's reservations, upcoming first, then the past ones."""
    upcoming, past = queries.mine(current_user, now_utc())
    return render_template("reservations/index.html", upcoming=upcoming, past=past)


@bp.get("/reservations/<uuid:public_id>")
@login_required
def show(public_id):
    """A reservation's summary, with the emergency card."""
    return render_template("reservations/show.html", reservation=own_reservation(public_id))


@bp.route("/reservations/<uuid:public_id>/edit", methods=["GET", "POST"])
@login_required
def edit(public_id):
    """Change the time or the safety details of a reservation."""
    reservation = own_reservation(public_id)
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
    return render_template(
        "reservations/edit.html", reservation=reservation, room=reservation.room, form=form
    ), status


@bp.route("/reservations/<uuid:public_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(public_id):
    """Ask for confirmation, then cancel."""
    reservation = own_reservation(public_id)
    if request.method == "POST":
        services.cancel(reservation, by=current_user)
        db.session.commit()
        flash(_("予約を取り消しました。"))
        return redirect(url_for(".index"))
    return render_template("reservations/cancel.html", reservation=reservation)
