"""Course assets and the links that point at them: content types, how assets are served, the
check every asset gets, link checks."""
from __future__ import annotations

import hashlib
import mimetypes
import posixpath
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from werkzeug.utils import get_content_type

from app.courses.markdown import is_relative_url
from app.courses.svg import SVG_TYPE, svg_problem

ASSETS_DIR = "assets"
_CONTENT_TYPES = {
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".pdf": "application/pdf", ".csv": "text/csv",
    ".txt": "text/plain", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_LINK_SCHEMES = ("http", "https", "mailto")
#: an asset opened on its own (an SVG above all) runs nothing, loads nothing but the images it
#: embeds, and has no origin
ASSET_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"


@dataclass(frozen=True)
class AssetSpec:
    """A file under the course's assets/ folder; `path` is relative to assets/ (posix)."""

    path: str
    content_type: str
    data: bytes = field(default=b"", repr=False, compare=False)
    sha256: str = ""


def content_type_for(name: str) -> str:
    """The MIME type served for an asset file name."""
    suffix = PurePosixPath(name).suffix.lower()
    return _CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def read_asset(file: Path, assets_dir: Path) -> AssetSpec:
    """Load one asset file."""
    data = file.read_bytes()
    return AssetSpec(
        path=file.relative_to(assets_dir).as_posix(),
        content_type=content_type_for(file.name),
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def asset_problem(content_type: str, data: bytes) -> str | None:
    """Why an asset cannot be part of a course (an SVG that is not a plain drawing), or None."""
    return svg_problem(data) if content_type == SVG_TYPE else None


def served_content_type(mimetype: str) -> str:
    """The Content-Type header for a served asset. An SVG gets no charset, so the browser reads
    the encoding from the file itself (byte-order mark, XML declaration), as the check did."""
    return mimetype if mimetype == SVG_TYPE else get_content_type(mimetype, "utf-8")


def asset_reference(href: str, *, depth: int) -> str | None:
    """The asset path (relative to assets/) a relative link points at, else None.

    `depth` is how deep the linking file sits in the course folder: 0 for course.md and the
    final exam, 1 for module.md, lessons and module quizzes. Use it to build the link resolver
    passed to `render_markdown`.
    """
    if not is_relative_url(href):
        return None
    path = urlsplit(href).path
    target = posixpath.normpath(posixpath.join(*(["_"] * depth or ["."]), path))
    prefix = f"{ASSETS_DIR}/"
    return target[len(prefix):] if target.startswith(prefix) else None


def link_problem(url: str, source: Path, course_dir: Path) -> str | None:
    """What is wrong with a link/image target in `source`, or None when it is fine."""
    if not url.strip():
        return "link with an empty target"
    if url.startswith("#"):
        return None
    parts = urlsplit(url)
    if parts.scheme:
        if parts.scheme.lower() in _LINK_SCHEMES:
            return None
        return f"link '{url}' uses an unsupported scheme (use http, https or mailto)"
    if url.startswith(("/", "\\")):
        return f"link '{url}' is an absolute path: use a relative path such as ../assets/file.svg"
    return _relative_link_problem(url, parts.path, source, course_dir)


def _relative_link_problem(url: str, path: str, source: Path, course_dir: Path) -> str | None:
    """Check that a relative target exists inside the course's assets/ folder."""
    source_dir = source.parent.relative_to(course_dir).as_posix()
    target = posixpath.normpath(posixpath.join(source_dir, path))
    if target == ".." or target.startswith("../"):
        return f"link '{url}' points outside the course folder"
    resolved = course_dir / target
    if not resolved.is_file():
        return f"broken link: '{url}' not found (looked for {course_dir.name}/{target})"
    if target.endswith(".md"):
        return f"link '{url}' points at another lesson: lessons do not link to each other"
    if not target.startswith(f"{ASSETS_DIR}/"):
        return f"link '{url}' must point into the course's {ASSETS_DIR}/ folder"
    return None
