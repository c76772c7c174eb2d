"""Translations in a draft: `X.de.md` beside `X.md` (see courses/README.md).

Pure functions over the draft's files, like `app.authoring.folder`: which languages a draft
has, each file's translations, starting a translation from a copy of its source, and keeping
translations beside their source when a structure edit renames or removes it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from app.authoring.errors import AlreadyExists, StudioError
from app.courses.locales import (
    LOCALE_NAMES, TRANSLATION_LOCALES, source_name, translated_name, translation_locale,
)


def is_translation(path: str) -> bool:
    """Whether a draft path is a translation (`01-x/quiz.de.md`)."""
    return translation_locale(path.rsplit("/", 1)[-1]) is not None


def source_of(path: str) -> str:
    """The path a translation translates: `01-x/quiz.de.md` → `01-x/quiz.md`."""
    folder, _, name = path.rpartition("/")
    return f"{folder}/{source_name(name)}" if folder else source_name(name)


def translation_of(path: str, locale: str) -> str:
    """The path of `path`'s translation into `locale`."""
    folder, _, name = path.rpartition("/")
    return f"{folder}/{translated_name(name, locale)}" if folder else translated_name(name, locale)


def draft_languages(files: Mapping[str, str]) -> tuple[str, ...]:
    """The languages the draft is being translated into: those with a translation of course.md
    or of any other file, in the academy's order."""
    found = {translation_locale(path.rsplit("/", 1)[-1]) for path in files if is_translation(path)}
    return tuple(code for code in TRANSLATION_LOCALES if code in found)


def translations_of(files: Mapping[str, str], path: str) -> dict[str, str]:
    """locale -> path of each translation of `path` in the draft."""
    return {code: translation_of(path, code) for code in TRANSLATION_LOCALES
            if translation_of(path, code) in files}


def renamed_with_translations(files: Mapping[str, str],
                              renames: Mapping[str, str]) -> dict[str, str]:
    """The files with each source path in `renames` moved, and its translations with it."""
    moves = dict(renames)
    for old, new in renames.items():
        for code, path in translations_of(files, old).items():
            moves[path] = translation_of(new, code)
    return {moves.get(path, path): text for path, text in files.items()}


def without_translations_of(files: Mapping[str, str], path: str) -> dict[str, str]:
    """The files without `path`'s translations (a removed file takes its translations along)."""
    gone = set(translations_of(files, path).values())
    return {key: text for key, text in files.items() if key not in gone}


def new_translation(files: Mapping[str, str], path: str, locale: str) -> tuple[dict[str, str], str]:
    """The files with a translation of `path` into `locale` started as a copy of the source."""
    if locale not in TRANSLATION_LOCALES:
        raise StudioError(_l("Courses can be translated into %(languages)s only.",
                             languages=", ".join(LOCALE_NAMES[c] for c in TRANSLATION_LOCALES)))
    if is_translation(path) or path not in files:
        raise StudioError(_l("Only a file of the course can be translated."))
    target = translation_of(path, locale)
    if target in files:
        raise AlreadyExists(_l("%(path)s exists already: edit it.", path=target))
    return {**files, target: files[path]}, target


@dataclass(frozen=True)
class LanguageLink:
    """One language of one file in the studio: its translation, or the button to start it."""

    locale: str
    name: str
    path: str
    exists: bool


@dataclass(frozen=True)
class DraftTranslations:
    """What the studio shows of a draft's languages."""

    files: Mapping[str, str]

    @property
    def languages(self) -> tuple[str, ...]:
        return draft_languages(self.files)

    @property
    def other_languages(self) -> list[tuple[str, str]]:
        """(code, name) of the languages the draft is not translated into yet."""
        return [(code, LOCALE_NAMES[code]) for code in TRANSLATION_LOCALES
                if code not in self.languages]

    def links(self, path: str) -> list[LanguageLink]:
        """Each draft language of a source file: edit its translation, or start one."""
        return [LanguageLink(code, LOCALE_NAMES[code], translation_of(path, code),
                             translation_of(path, code) in self.files)
                for code in self.languages]

    def source(self, path: str) -> LanguageLink | None:
        """For a translation: its source file (with the translation's language), else None."""
        locale = translation_locale(path.rsplit("/", 1)[-1])
        if locale is None:
            return None
        return LanguageLink(locale, LOCALE_NAMES.get(locale, locale), source_of(path),
                            source_of(path) in self.files)
