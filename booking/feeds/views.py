"""Private calendar feeds for calendar apps, the page that hands out their addresses, and
single reservations as .ics downloads.

The feed URL carries its token: nothing here logs a request path.
"""

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.http import is_resource_modified

from booking.extensions import db
from booking.feeds import cache, ical, queries, services
from booking.reservations import queries as reservations
from booking.timeutil import now_utc, today_tokyo, tokyo

bp = Blueprint("feeds", __name__)


@bp.get("/calendar")
@login_required
def index():
    """The feeds the user may follow."""
    return calendar_page()


@bp.post("/calendar/issue")
@login_required
def issue():
    """Issue an address for a feed, or replace the one the user has, and show it this once.

    The page is the POST's own response: the address never rides in the (signed, not
    encrypted) session cookie, and no-store keeps it out of every cache.
    """
    feed = services.parse_feed(request.form.get("feed", ""))
    token = services.issue(current_user, feed, by=current_user)
    db.session.commit()
    flash(_("新しいアドレスを発行しました。"))
    return calendar_page(shown_feed=feed.key, urls=services.feed_urls(token))


def calendar_page(shown_feed: str | None = None, urls=None) -> Response:
    """The カレンダー連携 page, with a just-issued address when there is one."""
    page = render_template(
        "feeds/index.html",
        choices=services.feed_choices(current_user),
        shown_feed=shown_feed,
        urls=urls,
    )
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/calendar/revoke")
@login_required
def revoke():
    """Stop a feed's address; calendars that follow it get nothing from now on."""
    feed = services.parse_feed(request.form.get("feed", ""))
    services.revoke(current_user, feed, by=current_user)
    db.session.commit()
    flash(_("アドレスを使えなくしました。"))
    return redirect(url_for(".index"))


@bp.get("/feeds/<token>.ics")
def feed(token: str):
    """A feed for calendar apps; a token that is not valid now is a plain 404."""
    subscription = services.follow(token)
    if subscription is None:
        return not_found()
    window = queries.Window(today_tokyo())
    name = ical.calendar_name(subscription)
    stamp = queries.stamp(subscription, window, name)
    if not is_resource_modified(
        request.environ, etag=stamp.etag, last_modified=stamp.last_modified
    ):
        return calendar_response(b"", stamp, status=304)
    body = cache.bodies().get(stamp.etag)
    if body is None and request.method == "HEAD":  # the headers only: nothing is built
        response = calendar_response(b"", stamp)
        response.automatically_set_content_length = False
        return response
    if body is None:
        body = ical.subscription(name, queries.event_rows(subscription, window))
        cache.bodies().put(stamp.etag, body)
    return calendar_response(body, stamp)


def not_found() -> Response:
    """A calendar app gets a bare 404: no page, no session, no cookie."""
    response = Response("Not Found\n", status=404, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/reservations/<uuid:public_id>/calendar.ics")
@login_required
def reservation(public_id):
    """One active reservation as a file to add to a calendar, for whoever may see it."""
    reservation = reservations.by_public_id(public_id) or abort(404)
    services.ensure_may_download(current_user, reservation)
    response = calendar_response(ical.download(queries.EventRow.of(reservation)))
    day = tokyo(reservation.starts_at).strftime("%Y%m%d")
    response.headers["Content-Disposition"] = f'attachment; filename="interview-{day}.ics"'
    return response


def calendar_response(body: bytes, stamp: queries.Stamp | None = None, status=200) -> Response:
    """text/calendar, private, no referrer, not indexed; with the validators when a feed."""
    response = Response(body, status=status, content_type="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    if stamp is not None:
        response.set_etag(stamp.etag)
        # HTTP dates count whole seconds: within the second of the last change another
        # change could follow unseen, so until that second is over only the ETag is given.
        if stamp.last_modified.replace(microsecond=0) < now_utc().replace(microsecond=0):
            response.last_modified = stamp.last_modified
    return response
