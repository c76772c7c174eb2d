"""Courses: versioned import from course folders, enrolment, lesson progress and the unlock rule."""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from sqlalchemy import String, cast, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload

from app.audit import record
from app.courses.assets import asset_reference
from app.courses.content import CourseInvalid, course_to_dict, find_course_folders, load_course
from app.courses.markdown import render_markdown
from app.courses.spec import CourseSpec, ModuleSpec
from app.models import (
    Course, CourseAsset, CourseVersion, Enrollment, LessonProgress, User, VersionLesson,
    VersionModule,
)
from app.models.base import utcnow
from app.quizzes.parser import quiz_to_dict

ImportStatus = Literal["created", "unchanged", "updated"]
#: depth of a file in the course folder, for resolving its relative links
COURSE_DEPTH, MODULE_DEPTH = 0, 1


class CourseError(ValueError):
    """A rule of the courses domain was broken; the message is shown to the learner."""


class NotEnrolled(CourseError):
    """The learner is not enrolled in the course."""


class LessonLocked(CourseError):
    """The lesson's module is locked; the message says why."""


class LessonNotFound(CourseError):
    """No such module or lesson in the course's current version."""


# --- import -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What one import did to one course."""

    course: Course
    version: CourseVersion
    status: ImportStatus


def asset_url(course_slug: str, path: str, version_number: int) -> str:
    """The URL an asset of a course version is served at (the version makes it cacheable)."""
    return f"/courses/{course_slug}/assets/{path}?v={version_number}"


@lru_cache(maxsize=256)
def link_resolver(course_slug: str, version_number: int, depth: int) -> Callable[[str], str | None]:
    """The Markdown link resolver for files at `depth` of a course version.

    Cached so the same course, version and depth always get the same function: the renderer's
    cache is keyed by resolver identity. Quiz stems use depth 1 (module quizzes) or 0 (final exam).
    """
    def resolve(href: str) -> str | None:
        path = asset_reference(href, depth=depth)
        return asset_url(course_slug, path, version_number) if path else None

    return resolve


def import_course(session: Session, path: Path, actor: User | None = None) -> ImportResult:
    """Import one course folder; raise `CourseInvalid` (database untouched) when it has problems.

    Same content hash as the current version: nothing changes. Otherwise a new version becomes
    current; older versions stay for the attempts and certificates that point at them.
    The caller commits.
    """
    return import_spec(session, load_course(Path(path)), actor)


def import_courses(session: Session, path: Path, actor: User | None = None) -> list[ImportResult]:
    """Import every course folder under `path`, all or nothing: raise with every problem first."""
    specs, problems = [], []
    for folder in find_course_folders(Path(path)):
        try:
            specs.append(load_course(folder))
        except CourseInvalid as exc:
            problems.extend(exc.problems)
    if problems:
        raise CourseInvalid(problems)
    return [import_spec(session, spec, actor) for spec in specs]


def import_spec(session: Session, spec: CourseSpec, actor: User | None = None) -> ImportResult:
    """Store a parsed course as a course version (see `import_course`)."""
    course = session.scalar(select(Course).where(Course.slug == spec.slug))
    current = course.current_version if course is not None else None
    if current is not None and current.content_hash == spec.content_hash:
        return ImportResult(course, current, "unchanged")
    status: ImportStatus = "created" if course is None else "updated"
    if course is None:
        course = Course(slug=spec.slug, title=spec.title)
        session.add(course)
    course.title = spec.title
    actor_id = actor.id if actor is not None else None
    version = _build_version(spec, _next_version_number(session, course))
    version.created_by_id = actor_id
    with session.no_autoflush:
        version.course = course
        session.add(version)
    session.flush()
    session.add_all(CourseAsset(version_id=version.id, path=a.path, content_type=a.content_type,
                                sha256=a.sha256, data=a.data) for a in spec.assets)
    course.current_version = version
    session.flush()
    record(session, actor, f"course.{status}", "course", course.id,
           summary=f"{spec.slug} version {version.number}", content_hash=spec.content_hash)
    return ImportResult(course, version, status)


def _next_version_number(session: Session, course: Course) -> int:
    """One more than the highest version number of the course (1 for a new course)."""
    if course.id is None:
        return 1
    highest = session.scalar(select(func.max(CourseVersion.number))
                             .where(CourseVersion.course_id == course.id))
    return (highest or 0) + 1


def _build_version(spec: CourseSpec, number: int) -> CourseVersion:
    """A new `CourseVersion` with its modules, rendered lessons and assets."""
    course_links = link_resolver(spec.slug, number, COURSE_DEPTH)
    module_links = link_resolver(spec.slug, number, MODULE_DEPTH)
    version = CourseVersion(
        number=number, content_hash=spec.content_hash, title=spec.title, summary=spec.summary,
        description_html=render_markdown(spec.description_md, link_resolver=course_links),
        validity_months=spec.validity_months, certificate_template=spec.certificate_template,
        sequential=spec.sequential, spec=course_to_dict(spec),
        final_exam=quiz_to_dict(spec.final_exam) if spec.final_exam else None, source="import",
    )
    for module in spec.modules:
        version.modules.append(_build_module(module, module_links))
        version.lessons.extend(_build_lessons(module, module_links))
    return version


def _build_module(module: ModuleSpec, links: Callable[[str], str | None]) -> VersionModule:
    """A module row with its rendered introduction and quiz spec."""
    return VersionModule(
        slug=module.slug, position=module.position, title=module.title, summary=module.summary,
        intro_html=render_markdown(module.intro_md, link_resolver=links),
        quiz=quiz_to_dict(module.quiz) if module.quiz else None,
    )


def _build_lessons(module: ModuleSpec, links: Callable[[str], str | None]) -> list[VersionLesson]:
    """The module's lesson rows, each rendered once here and never per request."""
    return [
        VersionLesson(module_slug=module.slug, module_position=module.position, slug=lesson.slug,
                      position=lesson.position, title=lesson.title, minutes=lesson.minutes,
                      html=render_markdown(lesson.body_md, link_resolver=links))
        for lesson in module.lessons
    ]


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


# --- catalogue and outline --------------------------------------------------------------------


@dataclass(frozen=True)
class LessonRef:
    """A lesson of a course version, without its body."""

    module_slug: str
    slug: str
    title: str
    minutes: int

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
        """`Module 2: Writing key results`."""
        return f"Module {self.number}: {self.title}"


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
               VersionLesson.title, VersionLesson.minutes)
        .where(VersionLesson.version_id.in_(ids))
        .order_by(VersionLesson.version_id, VersionLesson.module_position, VersionLesson.position)
    ).all()
    by_module: dict[tuple[int, str], list[LessonRef]] = {}
    for row in lessons:
        by_module.setdefault((row.version_id, row.module_slug), []).append(
            LessonRef(row.module_slug, row.slug, row.title, row.minutes))
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


# --- the unlock rule --------------------------------------------------------------------------


@dataclass(frozen=True)
class UnlockState:
    """Whether a module is open to the learner and, when it is not, why."""

    unlocked: bool
    reason: str | None = None


def module_unlock_state(modules: Sequence[ModuleRef], completed: set[tuple[str, str]],
                        passed_quizzes: set[str], sequential: bool) -> dict[str, UnlockState]:
    """The unlock state of each module, by slug.

    In a sequential course, module N+1 opens when module N is open, all its lessons are
    complete and its quiz (if any) is passed; a locked module names the first module blocking it.

    :param completed: (module slug, lesson slug) pairs the learner has completed
    :param passed_quizzes: quiz keys the learner has passed (a module quiz's key is its slug)
    """
    states: dict[str, UnlockState] = {}
    blocker: str | None = None
    for module in modules:
        states[module.slug] = UnlockState(False, blocker) if blocker else UnlockState(True)
        if not sequential or blocker:
            continue
        if any(lesson.key not in completed for lesson in module.lessons):
            blocker = f"Complete the lessons of {module.label} first."
        elif module.has_quiz and module.slug not in passed_quizzes:
            blocker = f"Pass the quiz of {module.label} first."
    return states


def passed_quiz_keys(session: Session, user: User, course: Course) -> set[str]:
    """The quiz keys the learner has passed in the course (none until quizzes exist)."""
    quiz_services = _quiz_services()
    if quiz_services is None:
        return set()
    return set(quiz_services.passed_quiz_keys(session, user, course))


def passed_quiz_keys_for_courses(session: Session, user: User,
                                 courses: Sequence[Course]) -> dict[int, set[str]]:
    """Passed quiz keys per course id; one call to the quizzes area when it offers a batch form."""
    quiz_services = _quiz_services()
    if quiz_services is None or not courses:
        return {course.id: set() for course in courses}
    batch = getattr(quiz_services, "passed_quiz_keys_for_courses", None)
    if batch is not None:
        found = batch(session, user, courses)
        return {course.id: set(found.get(course.id, ())) for course in courses}
    return {course.id: set(quiz_services.passed_quiz_keys(session, user, course))
            for course in courses}


def _quiz_services():
    """`app.quizzes.services`, or None while that area does not exist."""
    try:
        module = importlib.import_module("app.quizzes.services")
    except ModuleNotFoundError as exc:
        if exc.name != "app.quizzes.services":
            raise
        return None
    return module if hasattr(module, "passed_quiz_keys") else None


# --- enrolment and progress -------------------------------------------------------------------


def find_enrollment(session: Session, user: User, course: Course) -> Enrollment | None:
    """The learner's enrolment in the course, if any."""
    return session.scalar(select(Enrollment).where(Enrollment.user_id == user.id,
                                                   Enrollment.course_id == course.id))


def enroll(session: Session, user: User, course: Course, now: datetime | None = None) -> Enrollment:
    """Enrol the learner; enrolling twice returns the existing enrolment."""
    if course.status != "published" or course.current_version_id is None:
        raise CourseError("This course is not open for enrolment.")
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
        raise NotEnrolled("Enrol in this course to read its lessons.")
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
        raise NotEnrolled("Enrol in this course to read its lessons.")


def completed_lessons(session: Session, user: User,
                      course: Course) -> dict[tuple[str, str], datetime]:
    """When the learner completed each lesson of the course, by (module slug, lesson slug)."""
    rows = session.execute(
        select(LessonProgress.module_slug, LessonProgress.lesson_slug, LessonProgress.completed_at)
        .where(LessonProgress.user_id == user.id, LessonProgress.course_id == course.id))
    return {(m, lesson): at for m, lesson, at in rows}


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
        raise LessonNotFound("This lesson is not part of the course.")
    access = lesson_access(session, user, course, module_slug)
    if not access.unlocked:
        raise LessonLocked(access.reason or "This lesson is locked.")
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


def course_progress(session: Session, user: User | None, course: Course) -> CourseProgress:
    """The learner's progress in the course's current version (an empty one for visitors)."""
    outline = course_outline(session, course)
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
    passed = passed_quiz_keys_for_courses(session, user, [course for _, course, _ in rows])
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
