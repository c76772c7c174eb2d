"""Static files under content-hashed names, cached for a year and sent gzip-compressed.

`url_for('static', filename='css/app.css')` builds `/static/css/app.<hash>.css`, the hash being
the start of the file's SHA-256: a changed file gets a new URL, so browsers and proxies may keep
each one for good. The plain name still answers, with a short cache (links from outside, an old
page). Text files are compressed once per process and sent as gzip to clients that accept it.
"""
from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, request
from werkzeug.security import safe_join

#: hex digits of the SHA-256 in a file's URL
HASH_LENGTH = 12
IMMUTABLE = "public, max-age=31536000, immutable"
#: a plain or outdated name: the browser checks back (ETag) after five minutes
SHORT_CACHE = "public, max-age=300"
COMPRESSIBLE = frozenset({".css", ".js", ".svg", ".json", ".txt", ".map", ".xml"})
_HASHED = re.compile(rf"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{{{HASH_LENGTH}}})(?P<suffix>\.[^./]+)$")


@dataclass(frozen=True)
class StaticFile:
    """One file of the static folder, read once: its bytes, its hash, its gzip form."""

    data: bytes
    digest: str
    content_type: str
    gzipped: bytes | None
    stamp: tuple[int, int]

    @classmethod
    def read(cls, path: Path) -> StaticFile:
        stat = path.stat()
        data = path.read_bytes()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith(("javascript", "json")):
            content_type += "; charset=utf-8"
        gzipped = None
        if path.suffix in COMPRESSIBLE:
            packed = gzip.compress(data, compresslevel=9, mtime=0)
            gzipped = packed if len(packed) < len(data) else None
        return cls(data, hashlib.sha256(data).hexdigest()[:HASH_LENGTH], content_type, gzipped,
                   (stat.st_mtime_ns, stat.st_size))


class StaticFiles:
    """The static folder's files by name; re-read when changed if `watch` (debug mode)."""

    def __init__(self, folder: str | Path, *, watch: bool = False) -> None:
        self.folder = Path(folder)
        self.watch = watch
        self._files: dict[str, StaticFile | None] = {}

    def get(self, filename: str) -> StaticFile | None:
        known = self._files.get(filename)
        if known is not None and not self.watch:
            return known
        joined = safe_join(str(self.folder), filename)
        path = Path(joined) if joined else None
        if path is None or not path.is_file():
            self._files.pop(filename, None)
            return None
        if known is not None:
            stat = path.stat()
            if known.stamp == (stat.st_mtime_ns, stat.st_size):
                return known
        found = self._files[filename] = StaticFile.read(path)
        return found

    def hashed_name(self, filename: str) -> str:
        """`css/app.css` as `css/app.<hash>.css`; a name that is no file stays as it is."""
        found = self.get(filename)
        if found is None:
            return filename
        stem, dot, suffix = filename.rpartition(".")
        if not dot or "/" in suffix:
            return f"{filename}.{found.digest}"
        return f"{stem}.{found.digest}.{suffix}"

    def resolve(self, name: str) -> tuple[StaticFile | None, bool]:
        """The file a URL names, and whether the URL carries its current hash."""
        match = _HASHED.match(name)
        if match:
            found = self.get(match["stem"] + match["suffix"])
            if found is not None:
                return found, found.digest == match["hash"]
        return self.get(name), False


def init_static_files(app: Flask) -> None:
    """Hash the URLs `url_for('static', ...)` builds, and serve them."""
    files = StaticFiles(app.static_folder, watch=app.debug)
    app.extensions["static_files"] = files

    @app.url_defaults
    def hashed_static_url(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = files.hashed_name(values["filename"])

    def static(filename: str) -> Response:
        found, current = files.resolve(filename)
        if found is None:
            abort(404)
        return _file_response(found, current)

    app.endpoint("static")(static)  # in place of Flask's own view of the static folder


def _file_response(found: StaticFile, current: bool) -> Response:
    compressed = found.gzipped is not None and request.accept_encodings["gzip"] > 0
    response = Response(found.gzipped if compressed else found.data,
                        content_type=found.content_type)
    if compressed:
        response.headers["Content-Encoding"] = "gzip"
    if found.gzipped is not None:
        response.vary.add("Accept-Encoding")
    response.set_etag(found.digest + ("-gz" if compressed else ""))
    response.headers["Cache-Control"] = IMMUTABLE if current else SHORT_CACHE
    return response.make_conditional(request)
