"""The admin's place pages: facilities, their hours and rooms, and city-wide closures.

Each change that would cancel reservations first shows them (``Stranded``) on a confirmation
page; the same form posted again with ``confirm`` cancels them and saves.
"""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from booking.admin import places
from booking.admin.place_forms import (
    CityClosureForm,
    ConfirmForm,
    FacilityForm,
    NewFacilityForm,
    NewRoomForm,
    RoomForm,
)
from booking.admin.views import bp
from booking.errors import DomainError
from booking.extensions import db
from booking.rooms.models import Closure, Facility, Room
from booking.timeutil import now_utc


def attempt(form, action, *, question: str, back: str, done: str):
    """Run ``action`` for a valid form and commit: the redirect to ``done`` with the flash
    text it returns; the confirmation page when it strands reservations; or None, with the
    error put on the form, and its status."""
    try:
        message = action(confirmed=form.confirmed())
    except places.Stranded as stranded:
        db.session.rollback()
        page = render_template(
            "admin/stranded.html", hit=stranded.hit, question=question, back=back
        )
        return page, 409
    except DomainError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return None, error.status
    db.session.commit()
    flash(message)
    return redirect(done), 302


def edit_place(place, form_class, hours, update, *, back: str, done: str, template: str, **page):
    """The edit page of a facility or a room, with its weekly hours; a save that would cancel
    reservations shows them first."""
    form, status = form_class(obj=place), 200
    if not form.is_submitted():
        form.fill_hours(hours)
    if form.validate_on_submit():
        answer, status = attempt(
            form,
            lambda confirmed: saved(
                update(place, form.values(), form.weekly(), by=current_user, confirmed=confirmed)
            ),
            question=_("この変更を保存すると、次の予約が取り消しになります"),
            back=back,
            done=done,
        )
        if answer is not None:
            return answer, status
    elif form.is_submitted():
        status = 422
    return render_template(template, form=form, **page), status


def saved(cancelled: list) -> str:
    if cancelled:
        return _("保存しました。取り消した予約：%(n)d件", n=len(cancelled))
    return _("保存しました。")


@bp.get("/facilities")
def facilities():
    """Every facility with its rooms, by ward."""
    return render_template("admin/facilities.html", facilities=places.facilities())


@bp.route("/facilities/new", methods=["GET", "POST"])
def new_facility():
    """Add a facility (and then its rooms)."""
    form, status = NewFacilityForm(), 200
    if form.validate_on_submit():
        try:
            facility = places.add_facility(form.values(), form.weekly(), by=current_user)
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            status = error.status
        else:
            db.session.commit()
            flash(_("施設を追加しました。部屋を追加してください。"))
            return redirect(url_for(".facility", facility_id=facility.id))
    elif form.is_submitted():
        status = 422
    return render_template("admin/facility_new.html", form=form), status


@bp.route("/facilities/<id:facility_id>", methods=["GET", "POST"])
def facility(facility_id: int):
    """Edit a facility and its weekly hours; its rooms are listed below."""
    facility = db.get_or_404(Facility, facility_id)
    here = url_for(".facility", facility_id=facility_id)
    return edit_place(
        facility,
        FacilityForm,
        facility.opening_hours,
        places.update_facility,
        back=here,
        done=here,
        template="admin/facility.html",
        facility=facility,
    )


@bp.route("/facilities/<id:facility_id>/rooms/new", methods=["GET", "POST"])
def new_room(facility_id: int):
    """Add a room to a facility."""
    facility = db.get_or_404(Facility, facility_id)
    form, status = NewRoomForm(), 200
    if form.validate_on_submit():
        try:
            places.add_room(facility, form.values(), form.weekly(), by=current_user)
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            status = error.status
        else:
            db.session.commit()
            flash(_("部屋を追加しました。"))
            return redirect(url_for(".facility", facility_id=facility_id))
    elif form.is_submitted():
        status = 422
    return render_template("admin/room.html", facility=facility, room=None, form=form), status


@bp.route("/rooms/<id:room_id>", methods=["GET", "POST"])
def room(room_id: int):
    """Edit a room's names, safety features, booking rules and staffed hours."""
    room = db.get_or_404(Room, room_id)
    return edit_place(
        room,
        RoomForm,
        room.staffed_hours,
        places.update_room,
        back=url_for(".room", room_id=room_id),
        done=url_for(".facility", facility_id=room.facility_id),
        template="admin/room.html",
        facility=room.facility,
        room=room,
    )


@bp.route("/rooms/<id:room_id>/retire", methods=["GET", "POST"])
def retire_room(room_id: int):
    """End a room's bookings for good, after seeing the future reservations this cancels."""
    room = db.get_or_404(Room, room_id)
    form, status = ConfirmForm(), 200
    hit = places.future_reservations([room.id])
    if form.validate_on_submit():
        try:
            cancelled = places.retire_room(room, by=current_user, confirmed=form.confirmed())
        except places.Stranded as stranded:  # booked since the page was shown: look again
            hit, status = stranded.hit, 409
            db.session.rollback()
            form.form_errors.append(stranded.message)
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            status = error.status
            hit = places.future_reservations([room_id])
        else:
            db.session.commit()
            flash(_("部屋の予約の受付を終えました。取り消した予約：%(n)d件", n=len(cancelled)))
            return redirect(url_for(".facility", facility_id=room.facility_id))
    return render_template("admin/retire.html", room=room, hit=hit, form=form), status


@bp.post("/rooms/<id:room_id>/reactivate")
def reactivate_room(room_id: int):
    """Open a retired room to bookings again."""
    room = db.get_or_404(Room, room_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".room", room_id=room_id))
    places.reactivate_room(room, by=current_user)
    db.session.commit()
    flash(_("部屋の予約の受付を再開しました。"))
    return redirect(url_for(".facility", facility_id=room.facility_id))


@bp.route("/closures", methods=["GET", "POST"])
def closures():
    """Close every facility, or every facility of a ward, for some days; list and remove."""
    form, status = CityClosureForm(), 200
    if form.validate_on_submit():
        values = form.values()
        answer, status = attempt(
            form,
            lambda confirmed: _(
                "休館を登録しました。取り消した予約：%(n)d件",
                n=len(places.add_city_closure(**values, by=current_user, confirmed=confirmed)),
            ),
            question=_("この休館で、次の予約が取り消しになります"),
            back=url_for(".closures"),
            done=url_for(".closures"),
        )
        if answer is not None:
            return answer, status
    elif form.is_submitted():
        status = 422
    return render_template(
        "admin/closures.html", form=form, upcoming=places.city_closures(now_utc())
    ), status


@bp.post("/closures/<id:closure_id>/delete")
def delete_closure(closure_id: int):
    """Reopen every facility a city-wide closure covered; cancelled reservations stay so."""
    closure = db.get_or_404(Closure, closure_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".closures"))
    reopened = places.remove_city_closure(closure, by=current_user)
    db.session.commit()
    flash(_("休館を取り消しました（%(n)d施設）。", n=reopened))
    return redirect(url_for(".closures"))
