"""The administrators' certificate search: a code as people type it (whole or in part), the
holder's name or email, or the course's title or slug."""
from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import contains_eager, defer

from app.certificates.codes import parse_code
from app.models import Certificate, User
from app.models.certificates import STATUSES

#: a part of a code is looked for from this many symbols on (fewer would match most codes)
MIN_CODE_FRAGMENT = 4
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_./]+")
_CODE_SYMBOLS = re.compile(r"[0-9A-Z*~$=]+")


def search_certificates(q: str = "", status: str | None = None) -> Select:
    """Certificates matching the search and the status (any when None), newest first, each
    with its holder's account loaded."""
    stmt = (select(Certificate).join(User, Certificate.user_id == User.id)
            .options(defer(Certificate.pdf), contains_eager(Certificate.user))
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc()))
    text = " ".join(q.split())
    if text:
        lowered = text.lower()
        stmt = stmt.where(or_(
            *_code_matches(text),
            func.lower(Certificate.holder_name).contains(lowered, autoescape=True),
            func.lower(User.email).contains(lowered, autoescape=True),
            func.lower(Certificate.course_title).contains(lowered, autoescape=True),
            Certificate.course_slug.contains(lowered, autoescape=True)))
    if status in STATUSES:
        stmt = stmt.where(Certificate.status == status)
    return stmt


def _code_matches(text: str) -> list[ColumnElement[bool]]:
    """A whole code in any typed form (lower case, spaces, look-alikes), or a run of its
    symbols ("nt8c k50s"), whatever the separators."""
    parsed = parse_code(text)
    if parsed.ok:
        return [Certificate.code == parsed.canonical]
    symbols = _SEPARATORS.sub("", text.upper())
    if len(symbols) < MIN_CODE_FRAGMENT or not _CODE_SYMBOLS.fullmatch(symbols):
        return []
    return [func.replace(Certificate.code, "-", "").contains(symbols, autoescape=True)]
