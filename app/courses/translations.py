"""Course content in other languages: the stored translations of a course version.

A course version keeps its source (English) text in its own rows; each translation of it is a
set of `VersionTranslation` rows (one per course, module, lesson, quiz and capstone) holding only
text. Settings, slugs, question ids and answer keys are the source's, so progress, attempts and
certificates are the same rows whatever language a learner reads in.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.courses.capstone_spec import capstone_to_dict
from app.courses.catalogue import LessonRef, ModuleRef
from app.courses.errors import LanguageNotOffered
from app.courses.locales import LOCALE_NAMES, SOURCE_LOCALE, TRANSLATION_LOCALES
from app.courses.markdown import render_markdown
from app.courses.quiz_spec import QuizSpec
from app.courses.spec import CourseSpec, TranslationSpec
from app.models import CourseVersion, User, VersionLesson, VersionTranslation

__all__ = [
    "CourseName", "CourseText", "CourseWording", "LessonPage", "SOURCE_LOCALE", "TRANSLATION_LOCALES",
    "build_translations", "choose_locale", "course_names", "course_text", "course_wording",
    "language_options",
    "lesson_page", "localized_outline", "quiz_translation", "set_content_locale",
    "translate_snapshot", "version_locales",
]

Links = Callable[[str], "str | None"]


@dataclass(frozen=True)
class CourseWording:
    """What a certificate prints about the course, in one language."""

    title: str
    achievement: str
    #: the course signatory's title, None when the course names no signatory (the academy's
    #: default signatory then signs, worded by the certificates)
    signatory_title: str | None
    #: the language actually used: the one asked for when the version has it, else "en"
    locale: str


@dataclass(frozen=True)
class CourseText:
    """The course page's text in the language it is read in."""

    locale: str
    title: str
    summary: str
    description_html: str
    final_exam_title: str | None
    capstone_title: str | None


@dataclass(frozen=True)
class LessonPage:
    """A lesson as the learner reads it: the stored lesson's times, the language's text."""

    locale: str
    module_slug: str
    slug: str
    title: str
    html: str
    minutes: int
    exercise_minutes: int


# --- storing ----------------------------------------------------------------------------------


def build_translations(spec: CourseSpec, course_links: Links,
                       module_links: Links) -> list[VersionTranslation]:
    """The translation rows of a new version: each text rendered once, like the source's."""
    rows: list[VersionTranslation] = []
    for translation in spec.translations:
        rows += _translation_rows(translation, course_links, module_links)
    return rows


def _translation_rows(translation: TranslationSpec, course_links: Links,
                      module_links: Links) -> Iterable[VersionTranslation]:
    locale = translation.locale

    def row(part: str, ref: str, data: dict) -> VersionTranslation:
        return VersionTranslation(locale=locale, part=part, ref=ref, data=data)

    yield row("course", "", {
        "title": translation.title, "summary": translation.summary,
        "description_html": render_markdown(translation.description_md,
                                            link_resolver=course_links, locale=locale),
        "achievement": translation.achievement, "signatory_title": translation.signatory_title})
    for module in translation.modules:
        yield row("module", module.slug, {
            "title": module.title, "summary": module.summary,
            "intro_html": render_markdown(module.intro_md, link_resolver=module_links,
                                          locale=locale)})
    for lesson in translation.lessons:
        yield row("lesson", f"{lesson.module_slug}/{lesson.slug}", {
            "title": lesson.title,
            "html": render_markdown(lesson.body_md, link_resolver=module_links,
                                    locale=locale)})
    for quiz in translation.quizzes:
        yield row("quiz", quiz.key, quiz_text_data(quiz))
    if translation.capstone is not None:
        yield row("capstone", "", capstone_to_dict(translation.capstone))


def quiz_text_data(quiz: QuizSpec) -> dict[str, Any]:
    """A translated quiz's text by question and option id (the ids grading goes by)."""
    return {
        "title": quiz.title,
        "sections": {section.id: section.title for section in quiz.sections},
        "questions": {q.id: {"stem_md": q.stem_md, "body_md": q.body_md,
                             "explanation_md": q.explanation_md,
                             "options": {o.id: o.text_md for o in q.options}}
                      for q in quiz.questions},
    }


# --- reading ----------------------------------------------------------------------------------


def version_locales(session: Session, version: CourseVersion) -> tuple[str, ...]:
    """The languages a course version can be read in: the source's first, then its translations."""
    found = session.scalars(
        select(VersionTranslation.locale).distinct()
        .where(VersionTranslation.version_id == version.id, VersionTranslation.part == "course")
    ).all()
    return (SOURCE_LOCALE, *sorted(found))


def choose_locale(offered: Iterable[str], preference: str | None, interface: str | None) -> str:
    """The language to show course content in: the learner's preference when the course has
    it, else the interface's language when the course has it, else the source's."""
    offered = tuple(offered)
    for candidate in (preference, interface):
        if candidate in offered:
            return candidate
    return SOURCE_LOCALE


def set_content_locale(session: Session, user: User, locale: str,
                       offered: Iterable[str]) -> None:
    """Keep the language the learner reads course content in (one of the course's)."""
    if locale not in tuple(offered):
        raise LanguageNotOffered(_l("This course is not offered in that language."))
    user.content_locale = locale
    session.flush()


def language_options(locales: Iterable[str]) -> list[tuple[str, str]]:
    """(code, name in that language) for a chooser."""
    return [(code, LOCALE_NAMES.get(code, code)) for code in locales]


def _parts(session: Session, version_id: int, locale: str, part: str) -> dict[str, dict]:
    """ref -> data of every row of one part of a translation."""
    if locale == SOURCE_LOCALE:
        return {}
    rows = session.execute(select(VersionTranslation.ref, VersionTranslation.data).where(
        VersionTranslation.version_id == version_id, VersionTranslation.locale == locale,
        VersionTranslation.part == part)).all()
    return {row.ref: row.data for row in rows}


def translation_part(session: Session, version: CourseVersion, locale: str, part: str,
                     ref: str = "") -> dict | None:
    """The translated text of one part of a version, or None (no such translation)."""
    return _parts(session, version.id, locale, part).get(ref)


def course_wording(session: Session, version: CourseVersion, locale: str) -> CourseWording:
    """The course title, achievement line and signatory title of `version` in `locale`.

    When the version has no translation into `locale` (or `locale` is the source language),
    the source's words are returned with `locale` "en". An empty translated achievement or
    signatory title falls back to the source's. Reads the database; never writes.
    """
    signatory_title = (version.signatory or {}).get("title") or None
    source = CourseWording(title=version.title, achievement=version.achievement or "",
                           signatory_title=signatory_title, locale=SOURCE_LOCALE)
    data = translation_part(session, version, locale, "course")
    if data is None:
        return source
    return CourseWording(
        title=data.get("title") or source.title,
        achievement=data.get("achievement") or source.achievement,
        signatory_title=(data.get("signatory_title") or signatory_title) if signatory_title else None,
        locale=locale,
    )


def course_text(session: Session, version: CourseVersion, locale: str) -> CourseText:
    """The course page's title, summary, description and exam and capstone titles."""
    exam = (version.final_exam or {}).get("title")
    capstone = (version.capstone or {}).get("title")
    data = translation_part(session, version, locale, "course")
    if data is None:
        return CourseText(SOURCE_LOCALE, version.title, version.summary,
                          version.description_html, exam, capstone)
    quiz = translation_part(session, version, locale, "quiz", "final-exam") or {}
    translated_capstone = translation_part(session, version, locale, "capstone") or {}
    return CourseText(locale, data["title"], data["summary"], data["description_html"],
                      quiz.get("title", exam) if exam else None,
                      translated_capstone.get("title", capstone) if capstone else None)


@dataclass(frozen=True)
class CourseName:
    """A course's title and summary as a list of courses shows them."""

    locale: str
    title: str
    summary: str


def course_names(session: Session, versions: Iterable[CourseVersion], preference: str | None,
                 interface: str | None) -> dict[int, CourseName]:
    """Each version's title and summary in the language its course page would use (one
    query for all), by version id."""
    versions = list(versions)
    rows = session.execute(select(
        VersionTranslation.version_id, VersionTranslation.locale, VersionTranslation.data).where(
        VersionTranslation.version_id.in_([v.id for v in versions]),
        VersionTranslation.part == "course")).all() if versions else []
    texts: dict[int, dict[str, dict]] = {}
    for row in rows:
        texts.setdefault(row.version_id, {})[row.locale] = row.data
    names = {}
    for version in versions:
        offered = texts.get(version.id, {})
        locale = choose_locale((SOURCE_LOCALE, *offered), preference, interface)
        data = offered.get(locale, {"title": version.title, "summary": version.summary})
        names[version.id] = CourseName(locale, data["title"], data["summary"])
    return names


def localized_outline(session: Session, version: CourseVersion, locale: str,
                      outline: tuple[ModuleRef, ...]) -> tuple[ModuleRef, ...]:
    """The outline with module and lesson titles (and module summaries) in `locale`."""
    modules = _parts(session, version.id, locale, "module")
    if not modules:
        return outline
    lessons = _parts(session, version.id, locale, "lesson")
    return tuple(
        replace(module, title=modules.get(module.slug, {}).get("title", module.title),
                summary=modules.get(module.slug, {}).get("summary", module.summary),
                lessons=tuple(_lesson_ref(ref, lessons) for ref in module.lessons))
        for module in outline)


def _lesson_ref(ref: LessonRef, lessons: Mapping[str, dict]) -> LessonRef:
    data = lessons.get(f"{ref.module_slug}/{ref.slug}")
    return replace(ref, title=data["title"]) if data else ref


def lesson_page(session: Session, lesson: VersionLesson, locale: str) -> LessonPage:
    """A stored lesson in `locale` (its source text when the version lacks that language)."""
    data = _parts(session, lesson.version_id, locale, "lesson").get(
        f"{lesson.module_slug}/{lesson.slug}")
    title, html = (data["title"], data["html"]) if data else (lesson.title, lesson.html)
    return LessonPage(locale if data else SOURCE_LOCALE, lesson.module_slug, lesson.slug, title,
                      html, lesson.minutes, lesson.exercise_minutes)


def quiz_translation(session: Session, version: CourseVersion, locale: str,
                     quiz_key: str) -> dict | None:
    """A quiz's translated text (see `quiz_text_data`), None in the source language."""
    return translation_part(session, version, locale, "quiz", quiz_key)


def translate_snapshot(snapshot: Mapping[str, Any], text: Mapping[str, Any] | None) -> dict:
    """An attempt's snapshot with its text in another language, for showing only: the drawn
    questions, their order, the options' order and the key stay as drawn. Questions the
    translation lacks keep their text."""
    translated = copy.deepcopy(dict(snapshot))
    if not text:
        return translated
    translated["title"] = text.get("title", translated.get("title"))
    for section in translated.get("sections", []):
        section["title"] = text.get("sections", {}).get(section["id"], section["title"])
    for question in translated.get("questions", []):
        words = text.get("questions", {}).get(question["id"])
        if not words:
            continue
        for key in ("stem_md", "body_md", "explanation_md"):
            if key in question:
                question[key] = words.get(key, question[key])
        for option in question.get("options", []):
            option["text_md"] = words.get("options", {}).get(option["id"], option["text_md"])
    return translated
