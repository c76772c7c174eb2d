"""Files handed in with capstone work: PDF and Office documents, checked by their content.

The extension chooses the expected type and the bytes must agree: a PDF starts with its
header, and a DOCX, PPTX or XLSX is a ZIP package with the main part of its kind. Packages
with macros are refused, and nothing is ever extracted.
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from werkzeug.utils import secure_filename

from app.capstones.errors import InvalidSubmission

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 3
_OFFICE = {
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              "word/document.xml", "Word"),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation",
              "ppt/presentation.xml", "PowerPoint"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "xl/workbook.xml", "Excel"),
}
ACCEPTED = (".pdf", *_OFFICE)
_MAX_PARTS = 5000
_MAX_CONTENT_TYPES_BYTES = 1024 * 1024


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed the checks, ready to store."""

    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def check_file(filename: str, data: bytes) -> CheckedFile:
    """Accept a PDF, DOCX, PPTX or XLSX of at most 10 MB whose content matches its name."""
    name = secure_filename(filename or "") or "file"
    suffix = PurePath(name).suffix.lower()
    shown = filename or _l("the file")
    if suffix not in ACCEPTED:
        raise InvalidSubmission(_l("%(file)s: only PDF, DOCX, PPTX and XLSX files are accepted.",
                                   file=shown))
    if not data:
        raise InvalidSubmission(_l("%(file)s is empty.", file=shown))
    if len(data) > MAX_FILE_BYTES:
        raise InvalidSubmission(_l("%(file)s is larger than %(megabytes)d MB.", file=shown,
                                   megabytes=MAX_FILE_BYTES // (1024 * 1024)))
    if suffix == ".pdf":
        if b"%PDF-" not in data[:1024]:
            raise InvalidSubmission(_l("%(file)s is not a PDF document.", file=shown))
        return CheckedFile(name, "application/pdf", data)
    content_type, main_part, label = _OFFICE[suffix]
    _check_package(shown, data, main_part,
                   _l("%(file)s is not a %(kind)s document.", file=shown, kind=label))
    return CheckedFile(name, content_type, data)


def _check_package(shown: str, data: bytes, main_part: str, not_it: LazyString) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            parts = package.infolist()
            names = {part.filename for part in parts}
            if len(parts) > _MAX_PARTS or "[Content_Types].xml" not in names \
                    or main_part not in names:
                raise InvalidSubmission(not_it)
            if any(part.flag_bits & 0x1 for part in parts):
                raise InvalidSubmission(_l("%(file)s is encrypted: save it without a password.",
                                           file=shown))
            types = package.getinfo("[Content_Types].xml")
            if types.file_size > _MAX_CONTENT_TYPES_BYTES:
                raise InvalidSubmission(not_it)
            declared = package.read(types).lower()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError):
        raise InvalidSubmission(not_it) from None
    if b"macroenabled" in declared or any(n.lower().endswith("vbaproject.bin") for n in names):
        raise InvalidSubmission(_l("%(file)s contains macros: save it as a document without them.",
                                   file=shown))
