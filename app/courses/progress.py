"""Enrolment, lesson progress and the learner's dashboard (the rules are in `standing`)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.audit import record
from app.clock import utcnow
from app.courses.catalogue import (
    LessonRef, ModuleRef, course_outline, find_lesson, version_key, version_outlines,
)
from app.courses.errors import CourseError, LessonLocked, LessonNotFound, NotEnrolled
from app.courses.standing import (
    UnlockState, completed_lessons, module_unlock_state, passed_quiz_keys,
    passed_quiz_keys_for_courses,
)
from app.courses.translations import localized_outline
from app.models import Course, CourseVersion, Enrollment, LessonProgress, User


# --- enrolment and progress -------------------------------------------------------------------


def find_enrollment(session: Session, user: User, course: Course) -> Enrollment | None:
    """The learner's enrolment in the course, if any."""
    return session.scalar(select(Enrollment).where(Enrollment.user_id == user.id,
                                                   Enrollment.course_id == course.id))


def enroll(session: Session, user: User, course: Course, now: datetime | None = None) -> Enrollment:
    """Enrol the learner; enrolling twice returns the existing enrolment."""
    if course.status != "published" or course.current_version_id is None:
        raise CourseError(_l("This course is not open for enrolment."))
    existing = find_enrollment(session, user, course)
    if existing is not None:
        return existing
    _insert_once(session, Enrollment, user_id=user.id, course_id=course.id,
                 enrolled_at=now or utcnow())
    record(session, user, "course.enroll", "course", course.id, summary=course.slug)
    return find_enrollment(session, user, course)


def _insert_once(session: Session, model: type, **values) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: a double click or a concurrent request is harmless."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing())


def _require_enrollment(session: Session, user: User, course: Course) -> Enrollment:
    """The enrolment, or `NotEnrolled`."""
    enrollment = find_enrollment(session, user, course)
    if enrollment is None:
        raise NotEnrolled(_l("Enrol in this course to read its lessons."))
    return enrollment


def record_lesson_view(session: Session, user: User, course: Course, module_slug: str,
                       lesson_slug: str, now: datetime | None = None) -> None:
    """Remember the lesson the learner opened last ("continue where you left off").

    One UPDATE, no read: this runs on every lesson view. Raises `NotEnrolled`.
    """
    result = session.execute(
        update(Enrollment)
        .where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
        .values(last_module_slug=module_slug, last_lesson_slug=lesson_slug,
                last_viewed_at=now or utcnow())
    )
    if result.rowcount == 0:
        raise NotEnrolled(_l("Enrol in this course to read its lessons."))


def lesson_access(session: Session, user: User, course: Course, module_slug: str) -> UnlockState:
    """Whether the learner may open lessons of the module now."""
    if course.current_version is None or not course.current_version.sequential:
        return UnlockState(True)
    completed = set(completed_lessons(session, user, course))
    states = module_unlock_state(course_outline(session, course), completed,
                                 passed_quiz_keys(session, user, course), True)
    return states.get(module_slug, UnlockState(True))


def complete_lesson(session: Session, user: User, course: Course, module_slug: str,
                    lesson_slug: str, now: datetime | None = None) -> LessonProgress:
    """Mark a lesson complete (idempotent: the first completion time is kept).

    Raises `NotEnrolled`, `LessonNotFound` or `LessonLocked`.
    """
    _require_enrollment(session, user, course)
    if find_lesson(session, course, module_slug, lesson_slug) is None:
        raise LessonNotFound(_l("This lesson is not part of the course."))
    access = lesson_access(session, user, course, module_slug)
    if not access.unlocked:
        raise LessonLocked(access.reason or _l("This lesson is locked."))
    existing = _find_progress(session, user, course, module_slug, lesson_slug)
    if existing is not None:
        return existing
    _insert_once(session, LessonProgress, user_id=user.id, course_id=course.id,
                 module_slug=module_slug, lesson_slug=lesson_slug, completed_at=now or utcnow())
    return _find_progress(session, user, course, module_slug, lesson_slug)


def _find_progress(session: Session, user: User, course: Course, module_slug: str,
                   lesson_slug: str) -> LessonProgress | None:
    """One completion row."""
    return session.scalar(select(LessonProgress).where(
        LessonProgress.user_id == user.id, LessonProgress.course_id == course.id,
        LessonProgress.module_slug == module_slug, LessonProgress.lesson_slug == lesson_slug))


@dataclass(frozen=True)
class LessonStatus:
    """A lesson in the learner's outline."""

    lesson: LessonRef
    completed_at: datetime | None

    @property
    def completed(self) -> bool:
        return self.completed_at is not None


@dataclass(frozen=True)
class ModuleProgress:
    """A module in the learner's outline, with its lessons, quiz state and lock."""

    module: ModuleRef
    lessons: tuple[LessonStatus, ...]
    state: UnlockState
    quiz_passed: bool

    @property
    def completed(self) -> int:
        return sum(1 for status in self.lessons if status.completed)

    @property
    def total(self) -> int:
        return len(self.lessons)

    @property
    def percent(self) -> int:
        return percent(self.completed, self.total)


@dataclass(frozen=True)
class CourseProgress:
    """Where a learner stands in the current version of a course.

    Percentages count the lessons of the current version only, so a lesson removed in a new
    version drops out and its old completion no longer counts.
    """

    modules: tuple[ModuleProgress, ...]
    enrolled: bool
    last_viewed: LessonRef | None = None
    last_viewed_at: datetime | None = None
    passed_quizzes: frozenset[str] = field(default_factory=frozenset)

    @property
    def completed(self) -> int:
        return sum(m.completed for m in self.modules)

    @property
    def total(self) -> int:
        return sum(m.total for m in self.modules)

    @property
    def percent(self) -> int:
        return percent(self.completed, self.total)

    @property
    def is_complete(self) -> bool:
        """Every lesson of the current version is complete."""
        return self.total > 0 and self.completed == self.total

    @property
    def next_lesson(self) -> LessonRef | None:
        """The first lesson not yet completed, in outline order, that the learner may open."""
        for module in self.modules:
            for status in module.lessons:
                if not status.completed and module.state.unlocked:
                    return status.lesson
        return None

    @property
    def pending_quiz(self) -> ModuleProgress | None:
        """The first open module whose lessons are done but whose quiz is not passed yet."""
        for module in self.modules:
            if (module.state.unlocked and module.module.has_quiz and not module.quiz_passed
                    and module.completed == module.total):
                return module
        return None

    @property
    def resume_lesson(self) -> LessonRef | None:
        """Where "continue" goes: the last lesson viewed if unfinished, else the next one."""
        if self.last_viewed is not None and not self.is_completed(self.last_viewed):
            return self.last_viewed
        return self.next_lesson

    @property
    def first_lesson(self) -> LessonRef | None:
        """The course's first lesson (for "start")."""
        for module in self.modules:
            if module.lessons:
                return module.lessons[0].lesson
        return None

    def module(self, slug: str) -> ModuleProgress | None:
        """A module by slug."""
        return next((m for m in self.modules if m.module.slug == slug), None)

    def is_completed(self, lesson: LessonRef) -> bool:
        """Whether the learner completed `lesson`."""
        module = self.module(lesson.module_slug)
        return module is not None and any(s.completed for s in module.lessons
                                          if s.lesson.slug == lesson.slug)


def percent(done: int, total: int) -> int:
    """Whole percent, rounded down so 100 means everything is done."""
    return done * 100 // total if total else 0


def build_progress(outline: Sequence[ModuleRef], completions: dict[tuple[str, str], datetime],
                   passed_quizzes: set[str], sequential: bool,
                   enrollment: Enrollment | None) -> CourseProgress:
    """Combine an outline with a learner's completions (pure: no queries)."""
    states = module_unlock_state(outline, set(completions), passed_quizzes, sequential)
    modules = tuple(
        ModuleProgress(module,
                       tuple(LessonStatus(lesson, completions.get(lesson.key))
                             for lesson in module.lessons),
                       states[module.slug], module.slug in passed_quizzes)
        for module in outline
    )
    return CourseProgress(modules=modules, enrolled=enrollment is not None,
                          last_viewed=_last_viewed(outline, enrollment),
                          last_viewed_at=enrollment.last_viewed_at if enrollment else None,
                          passed_quizzes=frozenset(passed_quizzes))


def _last_viewed(outline: Sequence[ModuleRef], enrollment: Enrollment | None) -> LessonRef | None:
    """The last lesson viewed, if it still exists in the current version."""
    if enrollment is None or enrollment.last_lesson_slug is None:
        return None
    key = (enrollment.last_module_slug, enrollment.last_lesson_slug)
    return next((lesson for module in outline for lesson in module.lessons if lesson.key == key),
                None)


def course_progress(session: Session, user: User | None, course: Course,
                    locale: str | None = None) -> CourseProgress:
    """The learner's progress in the course's current version (an empty one for visitors);
    with `locale`, module and lesson titles in that language of the course."""
    outline = course_outline(session, course)
    if locale is not None and course.current_version is not None:
        outline = localized_outline(session, course.current_version, locale, outline)
    sequential = course.current_version.sequential if course.current_version else True
    if user is None or not getattr(user, "is_authenticated", True):
        return build_progress(outline, {}, set(), sequential, None)
    enrollment = find_enrollment(session, user, course)
    completions = completed_lessons(session, user, course) if enrollment else {}
    passed = passed_quiz_keys(session, user, course) if enrollment else set()
    return build_progress(outline, completions, passed, sequential, enrollment)


# --- the learner dashboard --------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardRow:
    """One enrolled course on the learner's dashboard."""

    course: Course
    version: CourseVersion
    enrollment: Enrollment
    progress: CourseProgress


def dashboard_rows(session: Session, user: User) -> list[DashboardRow]:
    """The learner's enrolled courses with progress, in a fixed number of queries for N courses."""
    rows = session.execute(
        select(Enrollment, Course, CourseVersion)
        .join(Course, Enrollment.course_id == Course.id)
        .join(CourseVersion, Course.current_version_id == CourseVersion.id)
        .where(Enrollment.user_id == user.id, Course.status == "published")
        .order_by(Enrollment.last_viewed_at.desc().nulls_last(), Course.title)
    ).all()
    if not rows:
        return []
    outlines = version_outlines(session, [version_key(version) for _, _, version in rows])
    completions = _completions_by_course(session, user, [course.id for _, course, _ in rows])
    passed = passed_quiz_keys_for_courses(session, user, [course.id for _, course, _ in rows])
    return [
        DashboardRow(course, version, enrollment,
                     build_progress(outlines[version.id], completions.get(course.id, {}),
                                    passed.get(course.id, set()), version.sequential, enrollment))
        for enrollment, course, version in rows
    ]


def _completions_by_course(session: Session, user: User,
                           course_ids: list[int]) -> dict[int, dict[tuple[str, str], datetime]]:
    """All of the learner's completions in the given courses, in one query."""
    result: dict[int, dict[tuple[str, str], datetime]] = {}
    rows = session.execute(
        select(LessonProgress.course_id, LessonProgress.module_slug, LessonProgress.lesson_slug,
               LessonProgress.completed_at)
        .where(LessonProgress.user_id == user.id, LessonProgress.course_id.in_(course_ids)))
    for course_id, module_slug, lesson_slug, completed_at in rows:
        result.setdefault(course_id, {})[(module_slug, lesson_slug)] = completed_at
    return result
