"""What a newcomer notices first: the icon, the description, gzip, and `pytest` on its own."""

import gzip
import os
import re

import pytest

from booking import catalogs
from booking.auth.models import Role
from booking.extensions import db
from booking.feeds import services as feeds
from booking.feeds.models import Feed, FeedKind
from tests.conftest import booked, log_in

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def without_token(body):
    return re.sub(rb'name="csrf_token" value="[^"]+"', b"", body)


def test_every_page_names_its_icon_and_describes_the_site(officer_client):
    html = officer_client.get("/").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert icon and '<meta name="description" content="札幌市の保護司が' in html
    response = officer_client.get(icon.group(1))
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.get_data()


def test_pages_and_styles_are_gzipped_for_clients_that_accept_it(officer_client):
    for path in ("/", "/static/css/app.css"):
        plain = officer_client.get(path)
        packed = officer_client.get(path, headers=GZIP)
        assert "Content-Encoding" not in plain.headers
        assert packed.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in packed.headers["Vary"]
        # The CSRF token carries a timestamp, so two renderings a second apart differ there.
        assert without_token(gzip.decompress(packed.get_data())) == without_token(plain.get_data())
        assert int(packed.headers["Content-Length"]) < len(plain.get_data())


def test_a_static_file_revalidates_to_an_empty_304(officer_client):
    first = officer_client.get("/static/css/app.css", headers=GZIP)
    again = officer_client.get(
        "/static/css/app.css", headers={**GZIP, "If-None-Match": first.headers["ETag"]}
    )
    assert first.headers["ETag"].startswith("W/")
    assert again.status_code == 304 and again.get_data() == b""
    assert "Content-Encoding" not in again.headers


def test_the_desk_csv_is_gzipped(app, make_user, facility, room, officer, now):
    manager = make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])
    for start in ("09:00", "11:00", "13:00", "15:00"):
        booked(room, officer, start=start, desk_note="杖をお使いです。" * 10)
    client = app.test_client()
    log_in(client, manager.email)
    response = client.get(
        f"/manage/facilities/{facility.id}/schedule.csv?day=2025-04-08", headers=GZIP
    )
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.get_data()).startswith(b"\xef\xbb\xbf")


def test_a_gzipped_feed_keeps_its_etag_for_revalidation(client, room, officer, now):
    for start in ("09:00", "11:00", "13:00", "15:00"):
        booked(room, officer, start=start)
    token = feeds.issue(officer, Feed(FeedKind.MINE, None), by=officer)
    db.session.commit()
    path = f"/feeds/{token}.ics"
    plain, packed = client.get(path), client.get(path, headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert packed.headers["ETag"] == "W/" + plain.headers["ETag"]
    for etag in (plain.headers["ETag"], packed.headers["ETag"]):
        again = client.get(path, headers={**GZIP, "If-None-Match": etag})
        assert again.status_code == 304 and again.get_data() == b""


@pytest.fixture
def catalogue(tmp_path):
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "messages.po"
    po.write_text('msgid ""\nmsgstr ""\n\nmsgid "予約する"\nmsgstr "Book"\n', encoding="utf-8")
    return po


def test_a_missing_or_older_catalogue_is_compiled_and_a_fresh_one_left_alone(catalogue):
    mo = catalogue.with_suffix(".mo")
    assert catalogs.compile_stale(catalogue.parents[2]) == [mo]
    assert b"Book" in mo.read_bytes()
    assert catalogs.compile_stale(catalogue.parents[2]) == []
    os.utime(mo, (0, 0))
    assert catalogs.compile_stale(catalogue.parents[2]) == [mo]


def test_a_streamed_body_is_left_to_stream(app):
    from flask import Response

    app.add_url_rule(
        "/streamed",
        "streamed",
        lambda: Response((f"{n}\n" for n in range(1000)), mimetype="text/plain"),
    )
    response = app.test_client().get("/streamed", headers=GZIP)
    assert "Content-Encoding" not in response.headers
    assert response.get_data().startswith(b"0\n1\n")
