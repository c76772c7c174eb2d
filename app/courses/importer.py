"""Course folders into versioned course rows: import, the new version, its rendered content."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import events
from app.audit import record
from app.courses.assets import asset_reference
from app.courses.capstone_spec import capstone_to_dict
from app.courses.content import CourseInvalid, course_to_dict, find_course_folders, load_course
from app.courses.markdown import render_markdown
from app.courses.spec import CourseSpec, ModuleSpec
from app.courses.translations import build_translations
from app.models import Course, CourseAsset, CourseVersion, User, VersionLesson, VersionModule
from app.courses.quiz_parser import quiz_to_dict

ImportStatus = Literal["created", "unchanged", "updated", "kept"]
#: `CourseVersion.source` of a version a trainer published in the studio
STUDIO_SOURCE = "studio"
#: depth of a file in the course folder, for resolving its relative links
COURSE_DEPTH, MODULE_DEPTH = 0, 1


@dataclass(frozen=True)
class ImportResult:
    """What one import did to one course."""

    course: Course
    version: CourseVersion
    #: "kept": the folder differs from a studio-published current version, which was left alone
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


def import_course(session: Session, path: Path, actor: User | None = None, *,
                  replace_studio: bool = False, from_studio: bool = False) -> ImportResult:
    """Import one course folder; raise `CourseInvalid` (database untouched) when it has problems.

    Same content hash as the current version: nothing changes. Otherwise a new version becomes
    current; older versions stay for the attempts and certificates that point at them. A
    current version a trainer published in the studio is kept unless `replace_studio` is set
    (status "kept"), so re-importing the shipped folder never reverts a trainer's edit.
    `from_studio`: the studio publishes the folder, so the version is the studio's and a draft
    course becomes published, before `course_published` is sent. The caller commits.
    """
    return import_spec(session, load_course(Path(path)), actor,
                       replace_studio=replace_studio or from_studio, from_studio=from_studio)


def import_courses(session: Session, path: Path, actor: User | None = None, *,
                   replace_studio: bool = False) -> list[ImportResult]:
    """Import every course folder under `path`, all or nothing: raise with every problem first."""
    specs, problems = [], []
    for folder in find_course_folders(Path(path)):
        try:
            specs.append(load_course(folder))
        except CourseInvalid as exc:
            problems.extend(exc.problems)
    if problems:
        raise CourseInvalid(problems)
    return [import_spec(session, spec, actor, replace_studio=replace_studio) for spec in specs]


def import_spec(session: Session, spec: CourseSpec, actor: User | None = None, *,
                replace_studio: bool = False, from_studio: bool = False) -> ImportResult:
    """Store a parsed course as a course version (see `import_course`)."""
    course = session.scalar(select(Course).where(Course.slug == spec.slug))
    current = course.current_version if course is not None else None
    if current is not None and current.content_hash == spec.content_hash:
        return ImportResult(course, current, "unchanged")
    if current is not None and current.source == STUDIO_SOURCE and not replace_studio:
        return ImportResult(course, current, "kept")
    status: ImportStatus = "created" if course is None else "updated"
    if course is None:
        course = Course(slug=spec.slug, title=spec.title)
        session.add(course)
    course.title = spec.title
    actor_id = actor.id if actor is not None else None
    version = _build_version(spec, _next_version_number(session, course))
    version.created_by_id = actor_id
    if from_studio:
        version.source = STUDIO_SOURCE
        if course.status == "draft":
            course.status = "published"
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
    events.course_published.send(None, session=session, course=course, version=version,
                                 actor=actor, now=version.created_at)
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
        capstone=capstone_to_dict(spec.capstone) if spec.capstone else None,
        achievement=spec.achievement, signatory=asdict(spec.signatory) if spec.signatory else None,
    )
    for module in spec.modules:
        version.modules.append(_build_module(module, module_links))
        version.lessons.extend(_build_lessons(module, module_links))
    version.translations.extend(build_translations(spec, course_links, module_links))
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
                      exercise_minutes=lesson.exercise_minutes,
                      html=render_markdown(lesson.body_md, link_resolver=links))
        for lesson in module.lessons
    ]
