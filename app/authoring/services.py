"""The authoring studio's use cases: drafts, saving with a version check, structure edits,
images, archives, publishing through the importer, and the audit trail.

A draft is a course in its folder form held in the database. Publishing writes it to a
temporary folder and imports that folder with `import_course`, the code path of
`flask courses import`: same validator, same versioning, progress kept by slug.
Functions take the session and the acting user, flush, and leave the commit to the caller.
"""
from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.exc import StaleDataError

from app.audit import record
from app.authoring import folder as draft_folder
from app.authoring.archive import ArchiveLimits, read_zip
from app.authoring.folder import FolderRejected, OutlineError, content_hash, write_folder
from app.authoring.images import DEFAULT_MAX_IMAGE_BYTES, check_image
from app.authoring.sources import (
    CourseSources, FileChange, compare, store_version_files, version_sources,
)
from app.courses.assets import content_type_for
from app.courses.content import CourseInvalid
from app.courses.frontmatter import Problem
from app.courses.services import ImportResult, import_course
from app.courses.validation import validate_course
from app.models import AuditEvent, Course, CourseDraft, CourseVersion, DraftAsset, User
from app.models.base import utcnow

#: the largest Markdown file the studio stores (a long lesson is ~30 kB)
MAX_FILE_CHARS = 512 * 1024
#: slugs the studio's own URLs use
RESERVED_SLUGS = frozenset({"new"})


class StudioError(ValueError):
    """A studio rule was broken; the message is shown to the trainer, `status` fits the case."""

    status = 400


class AlreadyExists(StudioError):
    """Something of that name exists already (a course slug, an asset)."""

    status = 409


class CourseExists(AlreadyExists):
    """A course with that slug exists already."""


class DraftConflict(StudioError):
    """The draft (or the file) changed since the trainer opened it."""

    status = 409


class DraftInvalid(StudioError):
    """The draft does not pass the course validator; `problems` lists every one."""

    status = 422

    def __init__(self, problems: list[DraftProblem]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"The draft has {len(problems)} {noun}; nothing was published.")


@dataclass(frozen=True, order=True)
class DraftProblem:
    """A validation problem at a line of a draft file (path "" = the course as a whole)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path or 'course'}:{self.line}: {self.message}"


@dataclass(frozen=True)
class StudioCourse:
    """A course as the studio lists it."""

    course: Course
    draft: CourseDraft | None
    version_count: int

    @property
    def current(self) -> CourseVersion | None:
        return self.course.current_version

    @property
    def has_unpublished_changes(self) -> bool:
        """The draft would publish something other than the current version."""
        if self.draft is None:
            return False
        return self.current is None or self.draft.content_hash != self.current.content_hash

    @property
    def status(self) -> str:
        """`draft` (never published), `changed` (unpublished changes) or `published`."""
        if self.current is None:
            return "draft"
        return "changed" if self.has_unpublished_changes else "published"


# --- listing and finding ----------------------------------------------------------------------


def studio_courses(session: Session) -> list[StudioCourse]:
    """Every course (published, draft-only or archived) with its draft and version count."""
    counts = dict(session.execute(
        select(CourseVersion.course_id, func.count()).group_by(CourseVersion.course_id)).all())
    rows = session.execute(
        select(Course, CourseDraft).outerjoin(CourseDraft, CourseDraft.course_id == Course.id)
        .options(defer(CourseDraft.files), defer(CourseDraft.file_revisions))
        .order_by(Course.title)).all()
    return [StudioCourse(course, draft, counts.get(course.id, 0)) for course, draft in rows]


def find_course(session: Session, slug: str) -> Course | None:
    """A course by slug, whatever its status."""
    return session.scalar(select(Course).where(Course.slug == slug))


def find_draft(session: Session, course: Course) -> CourseDraft | None:
    """The course's draft, if one was started."""
    return session.scalar(select(CourseDraft).where(CourseDraft.course_id == course.id))


def course_versions(session: Session, course: Course) -> list[CourseVersion]:
    """The course's versions, newest first."""
    return list(session.scalars(select(CourseVersion).where(CourseVersion.course_id == course.id)
                                .order_by(CourseVersion.number.desc())))


def user_names(session: Session, user_ids: set[int | None]) -> dict[int, str]:
    """Names of users by id (for "published by")."""
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def course_events(course: Course) -> Select:
    """The audit trail of a course (imports, studio edits, publishing), newest first."""
    return (select(AuditEvent)
            .where(AuditEvent.target_type == "course", AuditEvent.target_id == str(course.id))
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()))


# --- creating, starting and discarding drafts -------------------------------------------------


def create_course(session: Session, actor: User, *, slug: str, title: str,
                  summary: str = "") -> CourseDraft:
    """A new, unpublished course with a draft that already validates.

    :raises CourseExists: the slug is taken (or reserved).
    :raises StudioError: the slug is not a slug.
    """
    try:
        slug = draft_folder.check_slug(slug, "course")
    except OutlineError as error:
        raise StudioError(str(error)) from None
    if slug in RESERVED_SLUGS or find_course(session, slug) is not None:
        raise CourseExists(f"A course with the slug '{slug}' exists already: choose another.")
    course = Course(slug=slug, title=title.strip(), status="draft")
    session.add(course)
    files = draft_folder.new_course_files(title.strip(), summary)
    draft = _new_draft(session, actor, course, files, {})
    record(session, actor, "studio.course.create", "course", course.id,
           summary=f"Created the course {slug}")
    return draft


def start_draft(session: Session, actor: User, course: Course,
                courses_dir: Path | None = None) -> CourseDraft:
    """The course's draft, started from the current version's files when there is none."""
    existing = find_draft(session, course)
    if existing is not None:
        return existing
    version = course.current_version
    if version is None:
        files, assets = draft_folder.new_course_files(course.title), {}
    else:
        sources = version_sources(session, version, courses_dir)
        if sources.origin == "folder":
            store_version_files(session, version, sources.files)
        files, assets = sources.files, sources.assets
    draft = _new_draft(session, actor, course, files, assets, version)
    record(session, actor, "studio.draft.start", "course", course.id,
           summary=f"Started a draft of {course.slug}"
           + (f" from version {version.number}" if version else ""))
    return draft


def _new_draft(session: Session, actor: User, course: Course, files: Mapping[str, str],
               assets: Mapping[str, bytes], version: CourseVersion | None = None) -> CourseDraft:
    """Insert a draft; a draft started by someone else a moment ago is a conflict."""
    draft = CourseDraft(course=course, files=dict(files), file_revisions=dict.fromkeys(files, 1),
                        revision=1, base_version_id=version.id if version else None,
                        created_by_id=actor.id, updated_by_id=actor.id,
                        content_hash=content_hash(files, assets))
    draft.assets = [_asset(path, data) for path, data in sorted(assets.items())]
    session.add(draft)
    try:
        session.flush()
    except IntegrityError:
        raise DraftConflict("Someone started a draft of this course at the same moment: "
                            "reload the page.") from None
    return draft


def _asset(path: str, data: bytes, content_type: str | None = None) -> DraftAsset:
    """A draft asset row."""
    return DraftAsset(path=path, content_type=content_type or content_type_for(path),
                      sha256=hashlib.sha256(data).hexdigest(), data=data)


def discard_draft(session: Session, actor: User, draft: CourseDraft, seen_revision: int) -> None:
    """Throw the draft away (the published version is untouched)."""
    check_revision(draft, seen_revision)
    course = draft.course
    session.delete(draft)
    record(session, actor, "studio.draft.discard", "course", course.id,
           summary=f"Discarded the draft of {course.slug}")
    _flush(session)


# --- saving files -----------------------------------------------------------------------------


def check_revision(draft: CourseDraft, seen_revision: int) -> None:
    """`DraftConflict` unless the draft is still at the revision the trainer saw."""
    if draft.revision != seen_revision:
        who = draft.updated_by.name if draft.updated_by else "Someone"
        raise DraftConflict(f"The draft changed since you opened it ({who} changed it at "
                            f"{draft.updated_at:%H:%M} UTC). Review the changes and try again.")


def file_revision(draft: CourseDraft, path: str) -> int:
    """The draft revision at which a file last changed (what an editor sends back on save)."""
    return int(draft.file_revisions.get(path, 0))


def normalise_text(text: str) -> str:
    """Browsers send CRLF from text areas; files use LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def save_file(session: Session, actor: User, draft: CourseDraft, path: str, text: str,
              seen_revision: int) -> bool:
    """Save one Markdown file of the draft; returns False when nothing changed.

    :param seen_revision: the file's revision when the editor was opened
    :raises DraftConflict: the file was saved, renamed or removed by someone else since.
    """
    current = draft.files.get(path)
    if current is None:
        raise DraftConflict(f"{path} was renamed or removed since you opened it. Your text is "
                            "below: copy it to keep it.")
    if file_revision(draft, path) != seen_revision:
        who = draft.updated_by.name if draft.updated_by else "Someone"
        raise DraftConflict(f"{path} changed since you opened it ({who} saved the draft at "
                            f"{draft.updated_at:%H:%M} UTC). Nothing was overwritten: compare "
                            "below, then save again to keep your text.")
    text = normalise_text(text)
    if len(text) > MAX_FILE_CHARS:
        raise StudioError(f"{path} is longer than {MAX_FILE_CHARS // 1024} kB; split it into "
                          "several lessons.")
    if text == normalise_text(current):
        return False
    _commit_files(session, actor, draft, {**draft.files, path: text}, "file.save",
                  f"Saved {_describe(draft.files, path)}", path=path,
                  kind=draft_folder.file_kind(draft.files, path))
    return True


def _describe(files: Mapping[str, str], path: str) -> str:
    """`lesson 01-foundations/01-origins.md`."""
    kind = draft_folder.file_kind(files, path)
    label = {"course": "course settings", "exam": "final exam", "other": "file"}.get(kind, kind)
    return f"{label} {path}"


def _commit_files(session: Session, actor: User, draft: CourseDraft, files: dict[str, str],
                  action: str, summary: str, **details) -> None:
    """Store new files: bump the revision, stamp changed files, audit, flush."""
    revision = draft.revision + 1
    draft.file_revisions = {
        path: (draft.file_revisions.get(path, revision) if draft.files.get(path) == text
               else revision)
        for path, text in files.items()}
    draft.files = files
    _touch(session, actor, draft, revision)
    record(session, actor, f"studio.{action}", "course", draft.course_id, summary=summary,
           revision=revision, **details)
    _flush(session)


def _touch(session: Session, actor: User, draft: CourseDraft, revision: int) -> None:
    """Who changed the draft, when, its new revision and hash."""
    with session.no_autoflush:  # the write happens in `_flush`, where a lost race is caught
        draft.revision = revision
        draft.updated_by_id = actor.id
        draft.updated_at = utcnow()
        draft.content_hash = content_hash(draft.files, draft_assets(draft))


def _flush(session: Session) -> None:
    """Flush; a concurrent writer that won the revision race turns into `DraftConflict`."""
    try:
        session.flush()
    except StaleDataError:
        raise DraftConflict("Someone else changed this draft at the same moment. Nothing was "
                            "saved: reload and try again.") from None


def draft_assets(draft: CourseDraft) -> dict[str, bytes]:
    """The draft's assets as {path under assets/: bytes}."""
    return {asset.path: asset.data for asset in draft.assets}


# --- structure edits --------------------------------------------------------------------------


def add_module(session: Session, actor: User, draft: CourseDraft, title: str, slug: str) -> str:
    """A module at the end of the course; returns its folder."""
    files, folder = draft_folder.add_module(draft.files, title.strip(), slug)
    _commit_files(session, actor, draft, files, "module.add", f"Added module {folder}", path=folder)
    return folder


def add_lesson(session: Session, actor: User, draft: CourseDraft, folder: str, title: str,
               slug: str, minutes: int) -> str:
    """A lesson at the end of a module; returns its path."""
    files, path = draft_folder.add_lesson(draft.files, folder, title.strip(), slug, minutes)
    _commit_files(session, actor, draft, files, "lesson.add", f"Added lesson {path}", path=path)
    return path


def add_quiz(session: Session, actor: User, draft: CourseDraft, folder: str | None) -> str:
    """A module quiz, or (folder None) the final exam; returns its path."""
    files, path = draft_folder.add_quiz(draft.files, folder)
    what = "the final exam" if folder is None else f"quiz {path}"
    _commit_files(session, actor, draft, files, "quiz.add", f"Added {what}", path=path)
    return path


def rename(session: Session, actor: User, draft: CourseDraft, path: str, title: str,
           slug: str) -> str:
    """Rename a module (folder path) or lesson: title and slug; returns its new path."""
    is_module = "/" not in path
    rename_in = draft_folder.rename_module if is_module else draft_folder.rename_lesson
    files, new_path = rename_in(draft.files, path, title, slug)
    kind = "module" if is_module else "lesson"
    if files == draft.files:
        return new_path
    summary = f"Renamed {kind} {path}" + (f" to {new_path}" if new_path != path else "")
    _commit_files(session, actor, draft, files, f"{kind}.rename", summary, path=path,
                  new_path=new_path)
    return new_path


def move(session: Session, actor: User, draft: CourseDraft, path: str, step: int) -> None:
    """Move a module or lesson one place up (step -1) or down (+1)."""
    files = draft_folder.move(draft.files, path, step)
    if files != draft.files:
        kind = "module" if "/" not in path else "lesson"
        _commit_files(session, actor, draft, files, f"{kind}.move",
                      f"Moved {kind} {path} {'up' if step < 0 else 'down'}", path=path)


def remove(session: Session, actor: User, draft: CourseDraft, path: str) -> None:
    """Remove a module (with its lessons and quiz), a lesson, a quiz or the final exam."""
    kind = "module" if "/" not in path and not path.endswith(".md") else \
        draft_folder.file_kind(draft.files, path)
    files = draft_folder.remove(draft.files, path)
    _commit_files(session, actor, draft, files, f"{kind}.remove", f"Removed {kind} {path}",
                  path=path)


# --- images and archives ----------------------------------------------------------------------


def upload_image(session: Session, actor: User, draft: CourseDraft, name: str, data: bytes, *,
                 replace: bool = False, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES) -> DraftAsset:
    """Store an image under assets/ after checking its bytes; raises `ImageRejected`."""
    image = check_image(name, data, max_bytes)
    existing = next((a for a in draft.assets if a.path == image.name), None)
    if existing is not None and not replace:
        raise AlreadyExists(f"assets/{image.name} exists already: tick “replace” to overwrite it.")
    if existing is not None:
        draft.assets.remove(existing)
        session.flush()
    asset = _asset(image.name, image.data, image.content_type)
    draft.assets.append(asset)
    _touch(session, actor, draft, draft.revision + 1)
    record(session, actor, "studio.asset.upload", "course", draft.course_id,
           summary=f"Uploaded assets/{image.name}", path=image.name, sha256=asset.sha256)
    _flush(session)
    return asset


def remove_asset(session: Session, actor: User, draft: CourseDraft, path: str) -> None:
    """Remove an asset from the draft."""
    asset = next((a for a in draft.assets if a.path == path), None)
    if asset is None:
        raise DraftConflict(f"assets/{path} is not in the draft any more.")
    draft.assets.remove(asset)
    _touch(session, actor, draft, draft.revision + 1)
    record(session, actor, "studio.asset.remove", "course", draft.course_id,
           summary=f"Removed assets/{path}", path=path)
    _flush(session)


def replace_from_archive(session: Session, actor: User, draft: CourseDraft, data: bytes,
                         limits: ArchiveLimits = ArchiveLimits()) -> int:
    """Replace the draft's files and assets with a zip of the course folder; returns the count.

    :raises ArchiveRejected: unsafe or oversized archive (nothing changed).
    :raises StudioError: an archive of another course, or files a draft cannot hold.
    """
    archive = read_zip(data, limits)
    slug = draft.course.slug
    if archive.root_name not in (None, slug):
        raise StudioError(f"This archive holds the folder '{archive.root_name}', not '{slug}': "
                          "upload it to that course, or rename the folder.")
    try:
        files, assets = draft_folder.split_folder(archive.files)
    except FolderRejected as error:
        raise StudioError(f"Nothing was changed: {error}.") from None
    draft.assets.clear()
    session.flush()
    draft.assets.extend(_asset(path, blob) for path, blob in sorted(assets.items()))
    _commit_files(session, actor, draft, files, "archive.upload",
                  f"Replaced the draft with an uploaded archive ({len(files)} files, "
                  f"{len(assets)} assets)", file_count=len(files), asset_count=len(assets))
    return len(files) + len(assets)


def draft_archive_files(draft: CourseDraft) -> dict[str, bytes]:
    """The draft as the files of its folder, for a zip download."""
    return draft_folder.folder_contents(draft.files, draft_assets(draft))


# --- validating, comparing and publishing -----------------------------------------------------


def validate_draft(draft: CourseDraft) -> list[DraftProblem]:
    """Every problem `flask courses validate` would report for the draft's folder."""
    with tempfile.TemporaryDirectory(prefix="okr-draft-") as tmp:
        folder = write_folder(Path(tmp) / draft.course.slug, draft.files, draft_assets(draft))
        return draft_problems(validate_course(folder), draft.course.slug)


def draft_problems(problems: list[Problem], slug: str) -> list[DraftProblem]:
    """Validator problems with paths relative to the course folder."""
    prefix = f"{slug}/"
    return sorted(DraftProblem(p.path[len(prefix):] if p.path.startswith(prefix) else "",
                               p.line, p.message) for p in problems)


def published_sources(session: Session, course: Course,
                      courses_dir: Path | None = None) -> CourseSources | None:
    """The current version's folder, or None before the first publish."""
    if course.current_version is None:
        return None
    return version_sources(session, course.current_version, courses_dir)


def draft_changes(session: Session, draft: CourseDraft,
                  courses_dir: Path | None = None) -> list[FileChange]:
    """What publishing the draft would change, per file, against the current version."""
    return compare(published_sources(session, draft.course, courses_dir), draft.files,
                   draft_assets(draft))


def publish_draft(session: Session, actor: User, draft: CourseDraft,
                  seen_revision: int) -> ImportResult:
    """Validate and import the draft as the course's new current version.

    Status "unchanged" when the draft equals the current version (nothing is written).

    :raises DraftConflict: the draft changed since the trainer reviewed it.
    :raises DraftInvalid: the validator found problems (nothing is published).
    """
    check_revision(draft, seen_revision)
    course, files = draft.course, dict(draft.files)
    with tempfile.TemporaryDirectory(prefix="okr-publish-") as tmp:
        folder = write_folder(Path(tmp) / course.slug, files, draft_assets(draft))
        try:
            result = import_course(session, folder, actor)
        except CourseInvalid as error:
            raise DraftInvalid(draft_problems(error.problems, course.slug)) from None
    if result.status == "unchanged":
        return result
    result.version.source = "studio"
    store_version_files(session, result.version, files)
    if course.status == "draft":
        course.status = "published"
    draft.base_version_id = result.version.id
    # Bumping the revision makes a save that raced with this publish fail instead of vanishing.
    _touch(session, actor, draft, draft.revision + 1)
    record(session, actor, "studio.publish", "course", course.id,
           summary=f"Published {course.slug} version {result.version.number}",
           version=result.version.number, content_hash=result.version.content_hash)
    _flush(session)
    return result
