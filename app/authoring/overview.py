"""What the studio shows before anything is edited: its courses, their versions and history.

The list holds the courses the viewer may edit (admins: every course), whatever their status
(published, draft-only, archived), with the draft, if one was started, how many versions there
are and who maintains them; a course's page adds its versions, who published them and the audit
trail of imports, studio edits and publishing. Read-only queries that take the session and
plain values.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, defer

from app.authoring.maintainers import editable_by, maintainer_names
from app.models import AuditEvent, Course, CourseDraft, CourseVersion, User


@dataclass(frozen=True)
class StudioCourse:
    """A course as the studio lists it."""

    course: Course
    draft: CourseDraft | None
    version_count: int
    #: names of the course's maintainers (none: only admins edit it)
    maintainers: tuple[str, ...] = ()

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


def studio_courses(session: Session, viewer: User) -> list[StudioCourse]:
    """The courses `viewer` may edit (published, draft-only or archived), with their draft,
    version count and maintainers."""
    counts = dict(session.execute(
        select(CourseVersion.course_id, func.count()).group_by(CourseVersion.course_id)).all())
    names = maintainer_names(session)
    rows = session.execute(
        select(Course, CourseDraft).outerjoin(CourseDraft, CourseDraft.course_id == Course.id)
        .where(editable_by(viewer))
        .options(defer(CourseDraft.files), defer(CourseDraft.file_revisions))
        .order_by(Course.title)).all()
    return [StudioCourse(course, draft, counts.get(course.id, 0),
                         tuple(names.get(course.id, ()))) for course, draft in rows]


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
