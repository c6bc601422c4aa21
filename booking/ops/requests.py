"""One JSON line per request: id, method, route name, status and duration.

Never the path or the query (feed tokens are in paths), a form value or a header: the route
name (``feeds.subscription``) says what was asked without saying for whom.
"""

import json
import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

log = logging.getLogger("booking.requests")
# A request id from the proxy is kept if it looks like one; anything else is replaced.
SAFE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def start() -> None:
    offered = request.headers.get("X-Request-ID", "")
    g.request_id = offered if SAFE_ID.fullmatch(offered) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    started = g.get("request_started")
    line = {
        "request_id": g.get("request_id"),
        "method": request.method,
        "route": request.url_rule.endpoint if request.url_rule else None,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
    }
    log.info(json.dumps(line))
    return response


class JSONLines(logging.Formatter):
    """The message as it is: each request line is already JSON."""

    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


def init_app(app: Flask) -> None:
    app.before_request(start)
    app.after_request(finish)
    if app.config["REQUEST_LOG"] and not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JSONLines())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
