"""Courses: what views, commands and other areas call.

The work is done in :mod:`app.courses.importer` (course folders into versions),
:mod:`app.courses.catalogue` (published courses and their outlines) and
:mod:`app.courses.progress` (enrolment, progress, the unlock rule, the dashboard).
Functions take the session and never commit.
"""
from __future__ import annotations

from app.courses.catalogue import (
    LessonRef, ModuleRef, course_outline, find_asset, find_course, find_lesson, find_module,
    published_courses, version_key, version_outlines, versions_with_final_exam,
)
from app.courses.errors import CourseError, LessonLocked, LessonNotFound, NotEnrolled
from app.courses.importer import (
    COURSE_DEPTH, MODULE_DEPTH, ImportResult, ImportStatus, asset_url, import_course,
    import_courses, import_spec, link_resolver,
)
from app.courses.progress import (
    CourseProgress, DashboardRow, LessonStatus, ModuleProgress, UnlockState, build_progress,
    complete_lesson, completed_lessons, course_progress, dashboard_rows, enroll,
    find_enrollment, lesson_access, module_unlock_state, passed_quiz_keys,
    passed_quiz_keys_for_courses, percent, record_lesson_view,
)

__all__ = [
    "COURSE_DEPTH", "MODULE_DEPTH", "CourseError", "CourseProgress", "DashboardRow",
    "ImportResult", "ImportStatus", "LessonLocked", "LessonNotFound", "LessonRef",
    "LessonStatus", "ModuleProgress", "ModuleRef", "NotEnrolled", "UnlockState", "asset_url",
    "build_progress", "complete_lesson", "completed_lessons", "course_outline",
    "course_progress", "dashboard_rows", "enroll", "find_asset", "find_course",
    "find_enrollment", "find_lesson", "find_module", "import_course", "import_courses",
    "import_spec", "lesson_access", "link_resolver", "module_unlock_state", "passed_quiz_keys",
    "passed_quiz_keys_for_courses", "percent", "published_courses", "record_lesson_view",
    "version_key", "version_outlines", "versions_with_final_exam",
]
