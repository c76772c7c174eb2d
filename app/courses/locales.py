"""The languages of course content and how translation files are named (`X.de.md` beside `X.md`)."""
from __future__ import annotations

import re

#: the language course folders are written in
SOURCE_LOCALE = "en"
#: the languages a course may be translated into
TRANSLATION_LOCALES = ("de", "fr", "es")
#: each language named in itself, as the content language chooser shows it
LOCALE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}
#: each language's English name, for the validator's operator-facing problems
ENGLISH_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish"}

_TRANSLATION_RE = re.compile(r"^(?P<stem>.+)\.(?P<locale>[a-z]{2})\.md$")


def translation_locale(name: str) -> str | None:
    """The language code of a translation file's name (`quiz.de.md` → "de"), else None."""
    match = _TRANSLATION_RE.match(name)
    return match.group("locale") if match else None


def source_name(name: str) -> str:
    """The file a translation translates: `01-origins.de.md` → `01-origins.md`."""
    match = _TRANSLATION_RE.match(name)
    return f"{match.group('stem')}.md" if match else name


def translated_name(name: str, locale: str) -> str:
    """The name of `name`'s translation into `locale`: `quiz.md`, "de" → `quiz.de.md`."""
    return f"{name.removesuffix('.md')}.{locale}.md"
