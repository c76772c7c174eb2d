"""What a trainer uploads into a draft: images under assets/, and a zip of the whole course.

The bytes are checked before anything changes (`app.authoring.images` decides an image's type
from its bytes; `app.authoring.archive` refuses unsafe or oversized archives), then stored as a
new revision of the draft with an audit entry. The size limits come in as arguments, so the
edges decide them from the app's settings.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.audit import record
from app.authoring import folder as draft_folder
from app.authoring.archive import ArchiveLimits, read_zip
from app.authoring.errors import AlreadyExists, DraftConflict, StudioError
from app.authoring.folder import FolderRejected
from app.authoring.images import DEFAULT_MAX_IMAGE_BYTES, check_image
from app.authoring.revisions import (
    asset_row, commit_files, draft_assets, flush_draft, touch_draft,
)
from app.models import CourseDraft, DraftAsset, User


def upload_image(session: Session, actor: User, draft: CourseDraft, name: str, data: bytes, *,
                 replace: bool = False, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES) -> DraftAsset:
    """Store an image under assets/ after checking its bytes; raises `ImageRejected`."""
    image = check_image(name, data, max_bytes)
    existing = next((a for a in draft.assets if a.path == image.name), None)
    if existing is not None and not replace:
        raise AlreadyExists(_l("%(file)s exists already: tick “replace” to overwrite it.",
                               file=f"assets/{image.name}"))
    if existing is not None:
        draft.assets.remove(existing)
        session.flush()
    asset = asset_row(image.name, image.data, image.content_type)
    draft.assets.append(asset)
    touch_draft(session, actor, draft, draft.revision + 1)
    record(session, actor, "studio.asset.upload", "course", draft.course_id,
           summary=f"Uploaded assets/{image.name}", path=image.name, sha256=asset.sha256)
    flush_draft(session)
    return asset


def remove_asset(session: Session, actor: User, draft: CourseDraft, path: str) -> None:
    """Remove an asset from the draft."""
    asset = next((a for a in draft.assets if a.path == path), None)
    if asset is None:
        raise DraftConflict(_l("%(file)s is not in the draft any more.", file=f"assets/{path}"))
    draft.assets.remove(asset)
    touch_draft(session, actor, draft, draft.revision + 1)
    record(session, actor, "studio.asset.remove", "course", draft.course_id,
           summary=f"Removed assets/{path}", path=path)
    flush_draft(session)


def replace_from_archive(session: Session, actor: User, draft: CourseDraft, data: bytes,
                         limits: ArchiveLimits = ArchiveLimits()) -> int:
    """Replace the draft's files and assets with a zip of the course folder; returns the count.

    :raises ArchiveRejected: unsafe or oversized archive (nothing changed).
    :raises StudioError: an archive of another course, or files a draft cannot hold.
    """
    archive = read_zip(data, limits)
    slug = draft.course.slug
    if archive.root_name not in (None, slug):
        raise StudioError(_l("This archive holds the folder '%(folder)s', not '%(slug)s': "
                             "upload it to that course, or rename the folder.",
                             folder=archive.root_name, slug=slug))
    try:
        files, assets = draft_folder.split_folder(archive.files)
    except FolderRejected as error:
        raise StudioError(_l("Nothing was changed: %(reason)s.", reason=error)) from None
    draft.assets.clear()
    session.flush()
    draft.assets.extend(asset_row(path, blob) for path, blob in sorted(assets.items()))
    commit_files(session, actor, draft, files, "archive.upload",
                 f"Replaced the draft with an uploaded archive ({len(files)} files, "
                 f"{len(assets)} assets)", file_count=len(files), asset_count=len(assets))
    return len(files) + len(assets)


def draft_archive_files(draft: CourseDraft) -> dict[str, bytes]:
    """The draft as the files of its folder, for a zip download."""
    return draft_folder.folder_contents(draft.files, draft_assets(draft))
