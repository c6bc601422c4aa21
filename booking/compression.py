"""Gzip for the text the app sends: pages, styles, CSV and calendars travel a slow phone line."""

import gzip

from flask import Flask, Request, Response, request

COMPRESSIBLE = (
    "text/html",
    "text/css",
    "text/csv",
    "text/calendar",
    "text/plain",
    "text/javascript",
)
MINIMUM_SIZE = 500  # below this gzip's own header outweighs what it saves
LEVEL = 6


def accepts_gzip(req: Request) -> bool:
    return req.accept_encodings["gzip"] > 0


def is_compressible(response: Response) -> bool:
    """Text with a body, not already encoded, not a range and not a 304 (it has no body)."""
    return (
        response.mimetype in COMPRESSIBLE
        and response.status_code == 200
        and "Content-Encoding" not in response.headers
        and "Content-Range" not in response.headers
    )


def compress(response: Response) -> Response:
    """Gzip the body when the client takes it; the ETag turns weak, as the bytes differ."""
    if not is_compressible(response):
        return response
    response.vary.add("Accept-Encoding")
    if request.method == "HEAD" or not accepts_gzip(request):
        return response
    if response.is_streamed and not response.direct_passthrough:
        return response  # a generator streams on purpose: buffering it would defeat that
    # Static files come as a passthrough file wrapper: read them like any other body.
    response.direct_passthrough = False
    body = response.get_data()
    if len(body) < MINIMUM_SIZE:
        return response
    response.set_data(gzip.compress(body, compresslevel=LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:
        # Revalidation compares weakly, so W/"x" still earns a 304 for the same data.
        response.set_etag(etag, weak=True)
    return response


def init_app(app: Flask) -> None:
    app.after_request(compress)
