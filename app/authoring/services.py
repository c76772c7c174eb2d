"""The authoring studio: what views, commands and other areas call.

The work is done in :mod:`app.authoring.overview` (the studio's course list, versions and audit
trail), :mod:`app.authoring.drafts` (creating a course, starting, discarding and saving a draft),
:mod:`app.authoring.revisions` (the version check every edit goes through),
:mod:`app.authoring.structure` (modules, lessons and quizzes), :mod:`app.authoring.uploads`
(images and course archives), :mod:`app.authoring.publishing` (review and publishing through
the importer) and :mod:`app.authoring.maintainers` (who may edit a course). Errors are the :mod:`app.authoring.errors` family. Functions take the session,
the acting user and plain data (settings such as size limits come in as arguments); they flush
and never commit (the caller does).
"""
from __future__ import annotations

from app.authoring.drafts import (
    MAX_FILE_CHARS, RESERVED_SLUGS, create_course, discard_draft, normalise_text, save_file,
    start_draft,
)
from app.authoring.errors import (
    AlreadyExists, AlreadyMaintainer, CourseExists, DraftConflict, DraftInvalid, DraftProblem,
    GiftTooLarge, MaintainerRefused, NotAllowed, NotAMaintainer, StudioError,
)
from app.authoring.maintainers import (
    add_maintainer, course_maintainers, is_maintainer, may_assign, may_edit, remove_maintainer,
)
from app.authoring.overview import (
    StudioCourse, course_events, course_versions, find_course, find_draft, studio_courses,
    user_names,
)
from app.authoring.publishing import (
    draft_changes, draft_problems, publish_draft, published_sources, validate_draft,
)
from app.authoring.revisions import check_revision, draft_assets, file_revision
from app.authoring.structure import (
    add_lesson, add_module, add_quiz, move, remove, rename, start_translation,
)
from app.authoring.uploads import (
    draft_archive_files, remove_asset, replace_from_archive, upload_image,
)

__all__ = [
    "MAX_FILE_CHARS", "RESERVED_SLUGS", "AlreadyExists", "AlreadyMaintainer", "CourseExists",
    "DraftConflict", "DraftInvalid", "DraftProblem", "GiftTooLarge", "MaintainerRefused",
    "NotAMaintainer", "NotAllowed", "StudioCourse", "StudioError", "add_lesson",
    "add_maintainer", "add_module", "add_quiz", "check_revision", "course_events",
    "course_maintainers", "course_versions", "create_course", "discard_draft",
    "draft_archive_files", "draft_assets", "draft_changes", "draft_problems", "file_revision",
    "find_course", "find_draft", "is_maintainer", "may_assign", "may_edit", "move",
    "normalise_text", "publish_draft", "published_sources", "remove", "remove_asset",
    "remove_maintainer", "rename", "replace_from_archive", "save_file", "start_draft",
    "start_translation",
    "studio_courses", "upload_image", "user_names", "validate_draft",
]
