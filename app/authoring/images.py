"""Checking an uploaded image: its bytes decide its type (not its name or the browser's word),
the name must agree, and SVGs must be plain drawings (`app.courses.svg` parses them)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.authoring.errors import StudioError
from app.courses.assets import asset_problem

#: file extensions accepted for each image type we serve
IMAGE_EXTENSIONS = {
    "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg"), "image/gif": (".gif",),
    "image/webp": (".webp",), "image/svg+xml": (".svg",),
}
_LABELS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WebP",
           "image/svg+xml": "SVG"}
DEFAULT_MAX_IMAGE_BYTES = 2 * 1024 * 1024
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
#: an XML prolog (declaration, instructions, comments, a DOCTYPE even with a subset), then <svg>
_PROLOG_PART = rb"(?:<\?[^>]*>|<!--(?:[^-]|-(?!->))*-->)\s*"
_SVG_START_RE = re.compile(rb"^\s*(?:" + _PROLOG_PART + rb")*"
                           rb"(?:<!DOCTYPE\s+svg\b(?:[^>\[]|\[[^\]]*\])*>\s*)?"
                           rb"(?:" + _PROLOG_PART + rb")*<(?:[\w.-]+:)?svg[\s/>]")
_BYTE_ORDER_MARKS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"),
                     (b"\xfe\xff", "utf-16-be"))


class ImageRejected(StudioError):
    """Not an image we accept; `status_code` is the HTTP status that fits (413 too large, 415
    type, 400 name)."""

    def __init__(self, message: str | LazyString, status: int = 415) -> None:
        super().__init__(message)
        self.status_code = status


@dataclass(frozen=True)
class CheckedImage:
    """An image ready to store under assets/."""

    name: str
    content_type: str
    data: bytes


def sniff_image_type(data: bytes) -> str | None:
    """The image type the bytes themselves show, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if _SVG_START_RE.match(_text_head(data)):
        return "image/svg+xml"
    return None


def _text_head(data: bytes) -> bytes:
    """The start of a text file as UTF-8, whatever encoding its byte-order mark names."""
    head = data[:4096]
    for mark, encoding in _BYTE_ORDER_MARKS:
        if head.startswith(mark):
            return head[len(mark):].decode(encoding, "ignore").encode()
    return head


def check_image(name: str, data: bytes, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES) -> CheckedImage:
    """A PNG, JPEG, GIF, WebP or plain SVG whose name matches its type, or `ImageRejected`."""
    name = name.strip().rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if not _NAME_RE.match(name) or len(name) > 120:
        raise ImageRejected(_l("'%(name)s' is not a usable file name: use letters, digits, "
                               "dots, hyphens and underscores.", name=name), 400)
    if len(data) > max_bytes:
        size, limit = format(len(data) / 1024 / 1024, ".1f"), format(max_bytes / 1024 / 1024, "g")
        raise ImageRejected(_l("%(name)s is %(size)s MB; images may be at most %(limit)s MB.",
                               name=name, size=size, limit=limit), 413)
    content_type = sniff_image_type(data)
    if content_type is None:
        raise ImageRejected(_l("%(name)s is not an image we can show (PNG, JPEG, GIF, WebP or "
                               "SVG).", name=name))
    if not name.lower().endswith(IMAGE_EXTENSIONS[content_type]):
        raise ImageRejected(_l("%(name)s holds a %(type)s image: name it %(extensions)s.",
                               name=name, type=_LABELS[content_type],
                               extensions=" / ".join(IMAGE_EXTENSIONS[content_type])))
    problem = asset_problem(content_type, data)
    if problem:
        raise ImageRejected(_l("%(name)s: %(problem)s", name=name, problem=problem))
    return CheckedImage(name, content_type, data)
