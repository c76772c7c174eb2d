"""The catalogue: published courses, their versions' outlines (cached per process), lessons,
modules and assets."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from flask_babel import gettext as _, ngettext
from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session, joinedload

from app.models import Course, CourseAsset, CourseVersion, VersionLesson, VersionModule


@dataclass(frozen=True)
class LessonRef:
    """A lesson of a course version, without its body."""

    module_slug: str
    slug: str
    title: str
    minutes: int
    exercise_minutes: int = 0

    @property
    def key(self) -> tuple[str, str]:
        """The stable (module slug, lesson slug) pair progress is keyed by."""
        return self.module_slug, self.slug


@dataclass(frozen=True)
class ModuleRef:
    """A module of a course version: its number in the outline, lessons, whether it has a quiz."""

    slug: str
    number: int
    title: str
    summary: str
    has_quiz: bool
    lessons: tuple[LessonRef, ...]

    @property
    def label(self) -> str:
        """`Module 2: Writing key results`, in the language of the page being drawn."""
        return _("Module %(number)d: %(title)s", number=self.number, title=self.title)


class Timed(Protocol):
    """Anything with a lesson's times: a `LessonRef`, a stored lesson, a parsed one."""

    minutes: int
    exercise_minutes: int


@dataclass(frozen=True)
class Duration:
    """What a learner spends on some lessons: reading and exercises, in minutes.

    Printed, it is the course's one duration ("about 1 h 20 min (20 min reading + 1 h
    exercises)"); `parts` is the short form a single lesson shows.
    """

    reading: int
    exercises: int = 0
    lessons: int = 1

    @property
    def minutes(self) -> int:
        return self.reading + self.exercises

    @property
    def parts(self) -> str:
        """`5 min reading + 20 min exercise`."""
        reading = minutes_text(self.reading)
        if not self.exercises:
            return _("%(reading)s reading", reading=reading)
        return ngettext("%(reading)s reading + %(exercises)s exercise",
                        "%(reading)s reading + %(exercises)s exercises", self.lessons,
                        reading=reading, exercises=minutes_text(self.exercises))

    def __str__(self) -> str:
        if not self.exercises:
            return _("about %(reading)s of reading", reading=minutes_text(self.reading))
        total = _rounded(_rounded(self.reading) + _rounded(self.exercises))
        return _("about %(total)s (%(parts)s)", total=minutes_text(total), parts=self.parts)


def duration(lessons: Timed | Iterable[Timed]) -> Duration:
    """The duration of one lesson, or of a module's or a course's lessons: the one place a
    course's time is computed (lessons' reading minutes plus their exercise minutes)."""
    if hasattr(lessons, "minutes"):
        lessons = (lessons,)
    listed = list(lessons)
    return Duration(sum(lesson.minutes for lesson in listed),
                    sum(lesson.exercise_minutes or 0 for lesson in listed), len(listed))


def minutes_text(minutes: int) -> str:
    """`45 min`, `1 h`, `3 h 50 min`, `16 h 30 min`: past an hour to the nearest five minutes,
    past ten hours to the nearest half hour."""
    minutes = _rounded(minutes)
    if minutes < 60:
        return _("%(minutes)d min", minutes=minutes)
    hours, rest = divmod(minutes, 60)
    if rest:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=rest)
    return _("%(hours)d h", hours=hours)


def _rounded(minutes: int) -> int:
    if minutes < 60:
        return minutes
    step = 5 if minutes < 600 else 30
    return step * round(minutes / step)


def published_courses(session: Session) -> list[Course]:
    """Courses in the catalogue: published and imported, by title."""
    stmt = (select(Course).options(joinedload(Course.current_version))
            .where(Course.status == "published", Course.current_version_id.is_not(None))
            .order_by(Course.title))
    return list(session.scalars(stmt))


def find_course(session: Session, slug: str) -> Course | None:
    """A published course with its current version, by slug."""
    return session.scalar(select(Course).options(joinedload(Course.current_version))
                          .where(Course.slug == slug, Course.status == "published",
                                 Course.current_version_id.is_not(None)))


def versions_with_final_exam(session: Session, version_ids: Iterable[int]) -> set[int]:
    """Which of the versions have a final exam (JSON null and SQL NULL both mean none); one
    query that reads no exam."""
    ids = list(set(version_ids))
    if not ids:
        return set()
    has_exam = CourseVersion.final_exam.is_not(None) & \
        (cast(CourseVersion.final_exam, String) != "null")
    return set(session.scalars(select(CourseVersion.id)
                               .where(CourseVersion.id.in_(ids), has_exam)))


def _has_quiz():
    """SQL: the module has a quiz (JSON null and SQL NULL both mean none)."""
    return ~or_(VersionModule.quiz.is_(None), cast(VersionModule.quiz, String) == "null")


#: outlines of versions already read, by (version id, content hash); see `version_outlines`
_OUTLINE_CACHE: dict[tuple[int, str], tuple[ModuleRef, ...]] = {}
_OUTLINE_CACHE_SIZE = 256


def version_key(version: CourseVersion) -> tuple[int, str]:
    """What identifies a version's content: its id and its content hash."""
    return version.id, version.content_hash


def version_outlines(session: Session,
                     versions: Iterable[tuple[int, str]]) -> dict[int, tuple[ModuleRef, ...]]:
    """The outline of each version, by version id, from `version_key` pairs.

    A version never changes once stored, so each process keeps the outlines it has read. The key
    includes the content hash because an id alone can name other content in another database
    (a test database, a restored backup). Two queries for the versions not yet cached.
    """
    found = {}
    missing = []
    for key in set(versions):
        outline = _OUTLINE_CACHE.get(key)
        if outline is None:
            missing.append(key)
        else:
            found[key[0]] = outline
    if missing:
        loaded = _load_outlines(session, [version_id for version_id, _ in missing])
        if len(_OUTLINE_CACHE) + len(missing) > _OUTLINE_CACHE_SIZE:
            _OUTLINE_CACHE.clear()
        for key in missing:
            _OUTLINE_CACHE[key] = found[key[0]] = loaded[key[0]]
    return found


def _load_outlines(session: Session, ids: list[int]) -> dict[int, tuple[ModuleRef, ...]]:
    """The outlines of the given versions, read in two queries."""
    modules = session.execute(
        select(VersionModule.version_id, VersionModule.slug, VersionModule.title,
               VersionModule.summary, _has_quiz().label("has_quiz"))
        .where(VersionModule.version_id.in_(ids))
        .order_by(VersionModule.version_id, VersionModule.position)
    ).all()
    lessons = session.execute(
        select(VersionLesson.version_id, VersionLesson.module_slug, VersionLesson.slug,
               VersionLesson.title, VersionLesson.minutes, VersionLesson.exercise_minutes)
        .where(VersionLesson.version_id.in_(ids))
        .order_by(VersionLesson.version_id, VersionLesson.module_position, VersionLesson.position)
    ).all()
    by_module: dict[tuple[int, str], list[LessonRef]] = {}
    for row in lessons:
        by_module.setdefault((row.version_id, row.module_slug), []).append(
            LessonRef(row.module_slug, row.slug, row.title, row.minutes, row.exercise_minutes))
    outlines: dict[int, list[ModuleRef]] = {version_id: [] for version_id in ids}
    for row in modules:
        numbered = outlines[row.version_id]
        numbered.append(ModuleRef(row.slug, len(numbered) + 1, row.title, row.summary,
                                  bool(row.has_quiz),
                                  tuple(by_module.get((row.version_id, row.slug), ()))))
    return {version_id: tuple(mods) for version_id, mods in outlines.items()}


def course_outline(session: Session, course: Course) -> tuple[ModuleRef, ...]:
    """The modules and lessons of the course's current version."""
    version = course.current_version
    if version is None:
        return ()
    return version_outlines(session, [version_key(version)])[version.id]


def find_lesson(session: Session, course: Course, module_slug: str,
                lesson_slug: str) -> VersionLesson | None:
    """A lesson (with its rendered body) of the course's current version."""
    return session.scalar(select(VersionLesson).where(
        VersionLesson.version_id == course.current_version_id,
        VersionLesson.module_slug == module_slug, VersionLesson.slug == lesson_slug))


def find_module(session: Session, course: Course, module_slug: str) -> VersionModule | None:
    """A module of the course's current version."""
    return session.scalar(select(VersionModule).where(
        VersionModule.version_id == course.current_version_id, VersionModule.slug == module_slug))


def find_asset(session: Session, course: Course, path: str,
               version_number: int | None = None) -> CourseAsset | None:
    """An asset of the given version of a course (default: the current version)."""
    stmt = select(CourseAsset).join(CourseVersion, CourseAsset.version_id == CourseVersion.id)
    stmt = stmt.where(CourseVersion.course_id == course.id, CourseAsset.path == path)
    if version_number is None:
        stmt = stmt.where(CourseVersion.id == course.current_version_id)
    else:
        stmt = stmt.where(CourseVersion.number == version_number)
    return session.scalar(stmt)
