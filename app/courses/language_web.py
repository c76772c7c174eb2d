"""The language a page shows course content in, from the request: the account's choice, else
the visitor's cookie, else the interface language when the course has it, else English."""
from __future__ import annotations

from flask_login import current_user
from flask import request

from app.courses.translations import (
    SOURCE_LOCALE, CourseName, choose_locale, course_names, quiz_translation, translate_snapshot,
    translation_part, version_locales,
)
from app.extensions import db
from app.i18n import current_language
from app.models import CourseVersion, QuizAttempt

#: the cookie the content language chooser sets for visitors
CONTENT_LANGUAGE_COOKIE = "content_lang"


def content_preference() -> str | None:
    """The learner's chosen content language (None: follow the interface)."""
    if current_user.is_authenticated:
        return current_user.content_locale
    return request.cookies.get(CONTENT_LANGUAGE_COOKIE)


def content_locale(version: CourseVersion) -> tuple[str, tuple[str, ...]]:
    """The language to show `version` in, and every language it offers."""
    offered = version_locales(db.session, version)
    return choose_locale(offered, content_preference(), current_language()), offered


def shown_names(versions) -> dict[int, CourseName]:
    """Course titles and summaries for a list of courses, by version id, each in the language
    its course page would show."""
    return course_names(db.session, versions, content_preference(), current_language())


def shown_snapshot(attempt: QuizAttempt) -> tuple[dict, str]:
    """An attempt's questions in the learner's content language, and that language: for
    showing only (grading reads the stored snapshot, which never changes)."""
    locale, _offered = content_locale(attempt.version)
    text = quiz_translation(db.session, attempt.version, locale, attempt.quiz_key)
    return translate_snapshot(attempt.snapshot, text), locale if text else SOURCE_LOCALE


def shown_quiz_title(version: CourseVersion, quiz_key: str, title: str) -> tuple[str, str]:
    """A quiz's title in the learner's content language, and that language."""
    locale, _offered = content_locale(version)
    text = quiz_translation(db.session, version, locale, quiz_key)
    return (text["title"], locale) if text else (title, SOURCE_LOCALE)


def shown_course_title(course) -> str:
    """A course's title in the language its course page would show it in (for breadcrumbs,
    sentences and links on pages about one of its parts)."""
    version = course.current_version
    return shown_names([version])[version.id].title if version is not None else course.title


def shown_module_title(version: CourseVersion, module_slug: str, title: str) -> str:
    """A module's title in the learner's content language (`title` when not translated)."""
    locale, _offered = content_locale(version)
    if locale == SOURCE_LOCALE:
        return title
    text = translation_part(db.session, version, locale, "module", module_slug)
    return text.get("title", title) if text else title


def shown_lesson_title(version: CourseVersion, module_slug: str, lesson_slug: str,
                       title: str) -> str:
    """A lesson's title in the learner's content language (`title` when not translated)."""
    locale, _offered = content_locale(version)
    if locale == SOURCE_LOCALE:
        return title
    text = translation_part(db.session, version, locale, "lesson", f"{module_slug}/{lesson_slug}")
    return text.get("title", title) if text else title
