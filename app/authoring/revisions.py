"""Draft revisions: the version check every studio edit goes through.

A draft carries a revision number that every change bumps, and each file remembers the revision
at which it last changed, so an editor that sends back the revision it saw is told when someone
else got there first. The bump happens in memory and is written by `flush_draft`, where a
concurrent writer that won the race (the row's version counter moved) becomes `DraftConflict`.
"""
from __future__ import annotations

import hashlib

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.audit import record
from app.authoring.errors import DraftConflict
from app.authoring.folder import content_hash
from app.clock import utcnow
from app.courses.assets import content_type_for
from app.models import CourseDraft, DraftAsset, User


def check_revision(draft: CourseDraft, seen_revision: int) -> None:
    """`DraftConflict` unless the draft is still at the revision the trainer saw."""
    if draft.revision != seen_revision:
        time = f"{draft.updated_at:%H:%M} UTC"
        if draft.updated_by is None:
            raise DraftConflict(_l("The draft changed since you opened it (someone changed it at "
                                   "%(time)s). Review the changes and try again.", time=time))
        raise DraftConflict(_l("The draft changed since you opened it (%(name)s changed it at "
                               "%(time)s). Review the changes and try again.",
                               name=draft.updated_by.name, time=time))


def file_revision(draft: CourseDraft, path: str) -> int:
    """The draft revision at which a file last changed (what an editor sends back on save)."""
    return int(draft.file_revisions.get(path, 0))


def draft_assets(draft: CourseDraft) -> dict[str, bytes]:
    """The draft's assets as {path under assets/: bytes}."""
    return {asset.path: asset.data for asset in draft.assets}


def asset_row(path: str, data: bytes, content_type: str | None = None) -> DraftAsset:
    """A draft asset row (its type from the name unless given, its SHA-256 from the bytes)."""
    return DraftAsset(path=path, content_type=content_type or content_type_for(path),
                      sha256=hashlib.sha256(data).hexdigest(), data=data)


def commit_files(session: Session, actor: User, draft: CourseDraft, files: dict[str, str],
                 action: str, summary: str, **details) -> None:
    """Store new files: bump the revision, stamp changed files, audit, flush."""
    revision = draft.revision + 1
    draft.file_revisions = {
        path: (draft.file_revisions.get(path, revision) if draft.files.get(path) == text
               else revision)
        for path, text in files.items()}
    draft.files = files
    touch_draft(session, actor, draft, revision)
    record(session, actor, f"studio.{action}", "course", draft.course_id, summary=summary,
           revision=revision, **details)
    flush_draft(session)


def touch_draft(session: Session, actor: User, draft: CourseDraft, revision: int) -> None:
    """Who changed the draft, when, its new revision and hash."""
    with session.no_autoflush:  # the write happens in `flush_draft`, where a lost race is caught
        draft.revision = revision
        draft.updated_by_id = actor.id
        draft.updated_at = utcnow()
        draft.content_hash = content_hash(draft.files, draft_assets(draft))


def flush_draft(session: Session) -> None:
    """Flush; a concurrent writer that won the revision race turns into `DraftConflict`."""
    try:
        session.flush()
    except StaleDataError:
        raise DraftConflict(_l("Someone else changed this draft at the same moment. Nothing was "
                               "saved: reload and try again.")) from None
