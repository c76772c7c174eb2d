"""Courses: what views, commands and other areas call.

The work is done in :mod:`app.courses.importer` (course folders into versions),
:mod:`app.courses.catalogue` (published courses and their outlines) and
:mod:`app.courses.progress` (enrolment, progress, the dashboard) and
:mod:`app.courses.standing` (the learner's standing: the unlock rule, the final exam's
requirements, the certification rule, the renewal window).
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
    CourseProgress, DashboardRow, LessonStatus, ModuleProgress, build_progress, complete_lesson,
    course_progress, dashboard_rows, enroll, find_enrollment, lesson_access, percent,
    record_lesson_view,
)
from app.courses.standing import (
    RECERTIFICATION_WINDOW, CertificationStatus, UnlockState, can_renew, capstone_status,
    certification_status,
    completed_lessons, in_renewal_window, module_unlock_state, open_exam_requirements,
    passed_quiz_keys, passed_quiz_keys_for_courses, renewal_opens_at,
)

__all__ = [
    "RECERTIFICATION_WINDOW", "CertificationStatus", "can_renew", "capstone_status",
    "certification_status",
    "in_renewal_window", "open_exam_requirements", "renewal_opens_at",
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
