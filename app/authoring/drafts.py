"""Drafts: creating a course, starting and discarding its draft, and saving its files.

A draft is a course in its folder form held in the database, started from the files of the
current version (or, for a new course, from a skeleton that already validates). A file is saved
only when the editor sends back the revision at which the file last changed, so nobody
overwrites a colleague's text without seeing it. Functions take the session and the acting
user, flush, and leave the commit to the caller.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import record
from app.authoring import folder as draft_folder
from app.authoring.errors import CourseExists, DraftConflict, StudioError
from app.authoring.folder import OutlineError, content_hash
from app.authoring.maintainers import appoint_creator
from app.authoring.overview import find_course, find_draft
from app.authoring.revisions import (
    asset_row, check_revision, commit_files, file_revision, flush_draft,
)
from app.authoring.sources import store_version_files, version_sources
from app.clock import utcnow
from app.models import Course, CourseDraft, CourseVersion, User

#: the largest Markdown file the studio stores (a long lesson is ~30 kB)
MAX_FILE_CHARS = 512 * 1024
#: slugs the studio's own URLs use
RESERVED_SLUGS = frozenset({"new"})


def create_course(session: Session, actor: User, *, slug: str, title: str,
                  summary: str = "", now: datetime | None = None) -> CourseDraft:
    """A new, unpublished course with a draft that already validates; a trainer who creates it
    becomes its first maintainer.

    :raises CourseExists: the slug is taken (or reserved).
    :raises StudioError: the slug is not a slug.
    """
    try:
        slug = draft_folder.check_slug(slug, "course")
    except OutlineError as error:
        raise StudioError(str(error)) from None
    if slug in RESERVED_SLUGS or find_course(session, slug) is not None:
        raise CourseExists(_l("A course with the slug '%(slug)s' exists already: choose another.",
                              slug=slug))
    course = Course(slug=slug, title=title.strip(), status="draft")
    session.add(course)
    files = draft_folder.new_course_files(title.strip(), summary)
    draft = _new_draft(session, actor, course, files, {})
    record(session, actor, "studio.course.create", "course", course.id,
           summary=f"Created the course {slug}")
    appoint_creator(session, actor, course, now or utcnow())
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
    draft.assets = [asset_row(path, data) for path, data in sorted(assets.items())]
    session.add(draft)
    try:
        session.flush()
    except IntegrityError:
        raise DraftConflict(_l("Someone started a draft of this course at the same moment: "
                               "reload the page.")) from None
    return draft


def discard_draft(session: Session, actor: User, draft: CourseDraft, seen_revision: int) -> None:
    """Throw the draft away (the published version is untouched)."""
    check_revision(draft, seen_revision)
    course = draft.course
    session.delete(draft)
    record(session, actor, "studio.draft.discard", "course", course.id,
           summary=f"Discarded the draft of {course.slug}")
    flush_draft(session)


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
        raise DraftConflict(_l("%(path)s was renamed or removed since you opened it. Your text is "
                               "below: copy it to keep it.", path=path))
    if file_revision(draft, path) != seen_revision:
        time = f"{draft.updated_at:%H:%M} UTC"
        if draft.updated_by is None:
            raise DraftConflict(_l("%(path)s changed since you opened it (someone saved the draft "
                                   "at %(time)s). Nothing was overwritten: compare below, then "
                                   "save again to keep your text.", path=path, time=time))
        raise DraftConflict(_l("%(path)s changed since you opened it (%(name)s saved the draft at "
                               "%(time)s). Nothing was overwritten: compare below, then save "
                               "again to keep your text.", path=path, name=draft.updated_by.name,
                               time=time))
    text = normalise_text(text)
    if len(text) > MAX_FILE_CHARS:
        raise StudioError(_l("%(path)s is longer than %(kilobytes)s kB; split it into several "
                             "lessons.", path=path, kilobytes=MAX_FILE_CHARS // 1024))
    if text == normalise_text(current):
        return False
    commit_files(session, actor, draft, {**draft.files, path: text}, "file.save",
                 f"Saved {_describe(draft.files, path)}", path=path,
                 kind=draft_folder.file_kind(draft.files, path))
    return True


def _describe(files: Mapping[str, str], path: str) -> str:
    """`lesson 01-foundations/01-origins.md`."""
    kind = draft_folder.file_kind(files, path)
    label = {"course": "course settings", "exam": "final exam", "other": "file"}.get(kind, kind)
    return f"{label} {path}"
