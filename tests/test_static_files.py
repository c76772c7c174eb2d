"""Static files: content-hashed URLs cached for good, gzip for clients that accept it."""
from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

from flask import url_for

from app.courses.markdown import pygments_css
from app.static_routes import HASH_LENGTH, IMMUTABLE, SHORT_CACHE, StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "app" / "static"
CSS = (STATIC / "css" / "app.css").read_bytes()
CSS_HASH = hashlib.sha256(CSS).hexdigest()[:HASH_LENGTH]


def test_url_for_names_the_file_by_its_content(app):
    with app.test_request_context():
        assert url_for("static", filename="css/app.css") == f"/static/css/app.{CSS_HASH}.css"
        assert url_for("static", filename="no/such.css") == "/static/no/such.css"


def test_pages_link_the_hashed_stylesheet(client):
    page = client.get("/").get_data(as_text=True)
    assert f'href="/static/css/app.{CSS_HASH}.css"' in page
    assert not re.search(r'href="/static/css/app\.css"', page)


def test_hashed_file_is_cached_for_good_and_compressed(client):
    response = client.get(f"/static/css/app.{CSS_HASH}.css", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.mimetype == "text/css"
    assert gzip.decompress(response.data) == CSS
    assert len(response.data) < len(CSS) / 3


def test_plain_bytes_without_gzip(client):
    response = client.get(f"/static/css/app.{CSS_HASH}.css", headers={"Accept-Encoding": "br"})
    assert "Content-Encoding" not in response.headers
    assert response.data == CSS
    refused = client.get(f"/static/css/app.{CSS_HASH}.css",
                         headers={"Accept-Encoding": "gzip;q=0"})
    assert refused.data == CSS


def test_plain_and_outdated_names_get_a_short_cache(client):
    plain = client.get("/static/css/app.css")
    outdated = client.get("/static/css/app.0123456789ab.css")
    for response in (plain, outdated):
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == SHORT_CACHE
        assert response.data == CSS


def test_etag_answers_not_modified(client):
    first = client.get(f"/static/css/app.{CSS_HASH}.css", headers={"Accept-Encoding": "gzip"})
    again = client.get(f"/static/css/app.{CSS_HASH}.css",
                       headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_unknown_and_outside_files_are_not_found(client):
    assert client.get("/static/css/missing.css").status_code == 404
    assert client.get("/static/../config.py").status_code == 404
    assert client.get("/static/%2e%2e/config.py").status_code == 404


def test_images_are_sent_as_they_are(client):
    with client.application.test_request_context():
        logo = url_for("static", filename="img/logo.svg")
    response = client.get(logo, headers={"Accept-Encoding": "gzip"})
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == IMMUTABLE


def test_a_changed_file_gets_a_new_name_when_watched(tmp_path):
    (tmp_path / "site.css").write_text("body { color: black }")
    files = StaticFiles(tmp_path, watch=True)
    first = files.hashed_name("site.css")
    (tmp_path / "site.css").write_text("body { color: navy; margin: 0 }")
    assert files.hashed_name("site.css") != first
    assert files.resolve(first) == (files.get("site.css"), False)


def test_the_lessons_code_stylesheet_is_the_installed_pygments_style():
    """A Pygments upgrade that changes its classes fails here: write the file again with
    pygments_css(".prose .highlight") from app.courses.markdown."""
    shipped = (STATIC / "css" / "highlight.css").read_text(encoding="utf-8")
    assert pygments_css(".prose .highlight") in shipped
