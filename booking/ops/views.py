"""/healthz and /readyz for load balancers: no session, no cookie, nothing cached."""

from flask import Blueprint, jsonify

from booking.ops import readiness

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up and answers."""
    return no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz():
    """The database answers and its schema is the one this code expects."""
    problems = readiness.problems()
    response = jsonify(status="ready" if not problems else "unavailable", problems=problems)
    return no_store(response), 200 if not problems else 503


def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response
