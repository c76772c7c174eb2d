"""Pictures of certificates: the holder's preview, the public thumbnail of a valid certificate,
and each template filled with sample data for administrators.

Pictures are drawn from PDFs with poppler's pdftoppm and kept in memory: an issued PDF never
changes, and a template's sample is drawn again only when a file of its folder changes.
"""
from __future__ import annotations

import atexit
import shutil
import subprocess  # nosec B404: runs poppler's pdftoppm only, with a fixed argument list
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from app.certificates.design import ACADEMY_SIGNATORY_FILE, preview_facts
from app.certificates.pdf import CertificateRenderer, CertificateTemplateError
from app.models import Certificate

PREVIEW_WIDTH_PX = 1200
THUMBNAIL_WIDTH_PX = 640
SAMPLE_WIDTH_PX = 1200

__all__ = ["CertificateTemplateError", "can_draw", "preview", "sample_pdf", "sample_picture",
           "template_names", "thumbnail"]


class _Pictures:
    """PNGs by key, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str, draw: Callable[[], bytes | None]) -> bytes | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        png = draw()
        if png is not None:
            with self._lock:
                self._items[key] = png
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return png


_previews = _Pictures(256)
_thumbnails = _Pictures(256)
_samples = _Pictures(16)
_renderers: dict[tuple[Path, str, int], CertificateRenderer] = {}
_render_lock = threading.Lock()
# WeasyPrint's font configuration cleans up in __del__, which fails once the interpreter has torn
# its modules down; release the renderers while everything still exists.
atexit.register(_renderers.clear)


def can_draw() -> bool:
    """True when poppler's pdftoppm can draw pictures on this host."""
    return shutil.which("pdftoppm") is not None


def draw_first_page(pdf: bytes, width: int) -> bytes | None:
    """Page 1 of a PDF as a PNG `width` pixels wide; None when pdftoppm is not installed."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        return None
    result = subprocess.run(  # nosec B603: fixed arguments, no shell; the PDF goes to stdin
        [pdftoppm, "-png", "-singlefile", "-f", "1", "-l", "1",
         "-scale-to-x", str(width), "-scale-to-y", "-1", "-"],
        input=pdf, capture_output=True, timeout=20, check=False)
    return result.stdout if result.returncode == 0 and result.stdout else None


def preview(certificate: Certificate) -> bytes | None:
    """The holder's picture of their certificate's page, drawn from its stored PDF."""
    return _previews.get(certificate.pdf_sha256,
                         lambda: draw_first_page(certificate.pdf, PREVIEW_WIDTH_PX))


def thumbnail(certificate: Certificate) -> bytes | None:
    """A small picture of an issued certificate's page, drawn from its stored PDF."""
    return _thumbnails.get(certificate.pdf_sha256,
                           lambda: draw_first_page(certificate.pdf, THUMBNAIL_WIDTH_PX))


def template_names(templates_dir: Path) -> list[str]:
    """The certificate templates a course may choose."""
    return _renderer(templates_dir).template_names()


def sample_pdf(templates_dir: Path, name: str, issuer_name: str, issuer_url: str,
               locale: str = "en") -> bytes:
    """A template filled with sample data, marked SAMPLE and never signed, in `locale`.

    :raises CertificateTemplateError: the template is missing or broken
    """
    if name not in template_names(templates_dir):
        raise CertificateTemplateError(f"There is no certificate template {name!r}.")
    facts = preview_facts(templates_dir, issuer_name, issuer_url, locale)
    changed = _last_change(templates_dir, name)
    with _render_lock:
        return _renderer(templates_dir, (name, changed)).render(facts, name)


def sample_picture(templates_dir: Path, name: str, issuer_name: str,
                   issuer_url: str, locale: str = "en") -> bytes | None:
    """The picture of `sample_pdf`, drawn again when the template's files change."""
    if name not in template_names(templates_dir):
        raise CertificateTemplateError(f"There is no certificate template {name!r}.")
    key = f"{name}:{_last_change(templates_dir, name)}:{issuer_name}:{issuer_url}:{locale}"
    return _samples.get(key, lambda: draw_first_page(
        sample_pdf(templates_dir, name, issuer_name, issuer_url, locale), SAMPLE_WIDTH_PX))


def _renderer(templates_dir: Path, version: tuple[str, int] | None = None) -> CertificateRenderer:
    """One renderer per template folder and state of its files (a renderer keeps what it
    parsed); None: any renderer of the folder, for listing."""
    folder = Path(templates_dir).resolve()
    if version is None:
        return CertificateRenderer(folder)
    key = (folder, *version)
    if key not in _renderers:
        for stale in [k for k in _renderers if k[:2] == key[:2]]:
            del _renderers[stale]
        _renderers[key] = CertificateRenderer(folder)
    return _renderers[key]


def _last_change(templates_dir: Path, name: str) -> int:
    """The newest modification time among the template's files and the academy signatory."""
    root = Path(templates_dir)
    files = [*(root / name).rglob("*"), root / ACADEMY_SIGNATORY_FILE]
    return max((f.stat().st_mtime_ns for f in files if f.is_file()), default=0)
