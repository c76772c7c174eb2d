"""Catalogues for the tests: the strings extracted from the code, and a pseudo-locale.

The pseudo-locale turns every translatable string into an accented, bracketed copy
("Log in" -> "⟦Ŀóg íñ⟧"), keeping placeholders and markup. A page rendered in it shows any text
that was never marked for translation as plain English, which the tests then find.
"""
from __future__ import annotations

import functools
import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2)}
#: the locale the pseudo-translations are served as (any locale Babel knows that we do not offer)
PSEUDO_LOCALE = "eo"
OPEN, CLOSE = "⟦", "⟧"
_ACCENTED = str.maketrans("AaCcEeGgIiLlNnOoRrSsUuYyZz", "ÅåÇçÉéĜĝÎîĿŀÑñÖöŘřŠšÛûÝýŽž")
#: what stays as it is inside a message: placeholders, markup and entities
_KEPT = re.compile(r"%\([A-Za-z_]+\)[sdif]|%[sd]|<[^>]*>|&[a-z#0-9]+;|\{[^}]*\}")


@functools.cache
def extracted_messages() -> tuple[tuple[str | tuple[str, str], tuple[str, ...]], ...]:
    """Every translatable message of the code and templates, with where it was found."""
    found: dict[str | tuple[str, str], list[str]] = {}
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        from babel.messages.frontend import parse_mapping_cfg
        method_map, options_map = parse_mapping_cfg(config)
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        key = message if isinstance(message, str) else tuple(message[:2])
        found.setdefault(key, []).append(f"{filename}:{lineno}")
    return tuple((key, tuple(places)) for key, places in found.items())


def pseudo(text: str) -> str:
    """The pseudo-translation of one message."""
    pieces, end = [], 0
    for kept in _KEPT.finditer(text):
        pieces.append(text[end:kept.start()].translate(_ACCENTED))
        pieces.append(kept.group())
        end = kept.end()
    pieces.append(text[end:].translate(_ACCENTED))
    return OPEN + "".join(pieces) + CLOSE


def write_pseudo_catalogue(directory: Path) -> Path:
    """Compile the pseudo-locale's catalogue under `directory` (a translations folder)."""
    catalog = Catalog(locale=PSEUDO_LOCALE)
    for key, _places in extracted_messages():
        if isinstance(key, tuple):
            catalog.add(key, (pseudo(key[0]), pseudo(key[1])))
        elif key:
            catalog.add(key, pseudo(key))
    target = directory / PSEUDO_LOCALE / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    (target / "messages.mo").write_bytes(buffer.getvalue())
    return directory
