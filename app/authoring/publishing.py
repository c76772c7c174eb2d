"""Reviewing and publishing a draft: its problems, what it changes, and the import itself.

Publishing writes the draft to a temporary folder and imports that folder with `import_course`,
the code path of `flask courses import`: same validator, same versioning, progress kept by
slug. The review shows the same validator's problems and a per-file comparison with the
current version, whose files come from `app.authoring.sources`.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from app.audit import record
from app.authoring.errors import DraftInvalid, DraftProblem
from app.authoring.folder import write_folder
from app.authoring.revisions import check_revision, draft_assets, flush_draft, touch_draft
from app.authoring.sources import (
    CourseSources, FileChange, compare, store_version_files, version_sources,
)
from app.courses.content import CourseInvalid
from app.courses.frontmatter import Problem
from app.courses.services import ImportResult, import_course
from app.courses.validation import validate_course
from app.models import Course, CourseDraft, User


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
            result = import_course(session, folder, actor, from_studio=True)
        except CourseInvalid as error:
            raise DraftInvalid(draft_problems(error.problems, course.slug)) from None
    if result.status == "unchanged":
        return result
    store_version_files(session, result.version, files)
    draft.base_version_id = result.version.id
    # Bumping the revision makes a save that raced with this publish fail instead of vanishing.
    touch_draft(session, actor, draft, draft.revision + 1)
    record(session, actor, "studio.publish", "course", course.id,
           summary=f"Published {course.slug} version {result.version.number}",
           version=result.version.number, content_hash=result.version.content_hash)
    flush_draft(session)
    return result
