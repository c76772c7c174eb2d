"""Catalogues for the tests: the strings extracted from the code, and a pseudo-locale.

The pseudo-locale turns every translatable string into an accented, bracketed copy
("Log in" -> "⟦Ŀóg íñ⟧"), keeping placeholders and markup. A page rendered in it shows any text
that was never marked for translation as plain English, which the tests then find.
"""
from __future__ import annotations

import functools
import io
import re
from html.parser import HTMLParser
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


def write_catalogue(directory: Path, locale: str, messages: dict) -> Path:
    """Compile `messages` ({msgid: msgstr}, or {(singular, plural): (forms...)}) as `locale`'s
    catalogue under `directory` (a translations folder)."""
    catalog = Catalog(locale=locale)
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr)
    target = directory / locale / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    (target / "messages.mo").write_bytes(buffer.getvalue())
    return directory


def serve_catalogues(app, directory: Path):
    """Let the app read its catalogues from `directory` only, for one test. Flask-Babel keeps
    the catalogues it loaded per language for the whole process, so the cache is emptied
    before and after: no other test reads these, and these are not read from an earlier test.
    A generator for a fixture: `yield from serve_catalogues(app, folder)`."""
    from flask_babel import get_babel

    from app.i18n import babel

    babel.domain_instance.cache.clear()
    get_babel(app).translation_directories = [str(directory)]
    yield app
    babel.domain_instance.cache.clear()


def pseudo_app_for(app, directory: Path):
    """The app speaking the pseudo-locale too (a fixture generator, as serve_catalogues)."""
    write_pseudo_catalogue(directory)
    app.config["LANGUAGES"] = (*app.config["LANGUAGES"], PSEUDO_LOCALE)
    yield from serve_catalogues(app, directory)


class VisibleText(HTMLParser):
    """The text a person sees: no scripts, styles, or things marked translate="no"."""

    HIDDEN = {"script", "style", "template", "title"}

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in self.HIDDEN or attributes.get("translate") == "no" or self._skipping:
            if tag not in ("br", "img", "input", "meta", "link", "hr"):
                self._skipping.append(tag)
        for name in ("aria-label", "placeholder", "alt", "title"):
            if attributes.get(name) and not self._skipping:
                self.texts.append(attributes[name])

    def handle_endtag(self, tag):
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.texts.append(data.strip())


#: words that are the same in every language: the product's name and its subject
SAME_IN_EVERY_LANGUAGE = frozenset({"OKR", "OKRs", "Academy"})
_INNERMOST = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")


def unmarked_lines(html: str, data: tuple[str, ...] = (), *,
                   parser: type[VisibleText] = VisibleText,
                   also_data: re.Pattern | None = None) -> list[str]:
    """The pieces of a page's visible text with English words outside any pseudo-translation and
    outside `data` (names, codes, content; `also_data` matches more of it). A sentence with a
    link inside is several pieces of text, so the page is read as one; pseudo-translations are
    taken out from the innermost, as placeholders may hold some."""
    reader = parser()
    reader.feed(html)
    text = " \n ".join(reader.texts)
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    if also_data is not None:
        text = also_data.sub(" ", text)
    while _INNERMOST.search(text):
        text = _INNERMOST.sub(" ", text)
    return [line.strip() for line in text.split("\n")
            if set(re.findall(r"[A-Za-z]{2,}", line)) - SAME_IN_EVERY_LANGUAGE]


# --- English left on a translated page ----------------------------------------------------------

#: a word of two letters or more; names with underscores (settings, keys) are not words
_WORD = re.compile(r"(?<![\w])[^\W\d_]{2,}(?![\w])")
_TRANSLATION_FILE = re.compile(r"\.([a-z]{2})\.md$")


def _words(text: str) -> set[str]:
    """The words of a message or file, outside its placeholders and markup."""
    return {word.casefold() for word in _WORD.findall(_KEPT.sub(" ", text))}


@functools.cache
def english_only_words(language: str, course_dirs: tuple[Path, ...] = ()) -> frozenset[str]:
    """The words English text of ours uses (the code's messages, the courses' English files)
    that no text in `language` uses (its catalogue, the courses' translations into it).

    A page in `language` showing one of them shows English: a word shared by both languages
    ("Name", "Status", "OKR") never counts."""
    from babel.messages.pofile import read_po

    english: set[str] = set()
    for key, _places in extracted_messages():
        english |= _words(key if isinstance(key, str) else " ".join(key))
    with open(ROOT / "app" / "translations" / language / "LC_MESSAGES" / "messages.po",
              "rb") as handle:
        catalogue = read_po(handle, locale=language)
    local: set[str] = set()
    for message in catalogue:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        local |= _words(" ".join(strings))
    for folder in course_dirs:
        for path in folder.rglob("*.md"):
            found = _TRANSLATION_FILE.search(path.name)
            text = path.read_text(encoding="utf-8")
            if found is None:
                english |= _words(text)
            elif found.group(1) == language:
                local |= _words(text)
    return frozenset(english - local - _words(" ".join(SAME_IN_EVERY_LANGUAGE)))


def english_on_page(html: str, language: str, data: tuple[str, ...] = (),
                    course_dirs: tuple[Path, ...] = ()) -> list[str]:
    """The English words (see english_only_words) in a page's visible text, outside `data`
    (names, emails, codes a person typed)."""
    reader = VisibleText()
    reader.feed(html)
    text = " \n ".join(reader.texts)
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    english = english_only_words(language, tuple(course_dirs))
    return sorted({word for word in _WORD.findall(text) if word.casefold() in english})
