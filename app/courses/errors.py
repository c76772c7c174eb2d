"""What the courses domain refuses; each message is shown to the learner as it is."""
from __future__ import annotations

from app.domain import DomainError


class CourseError(DomainError):
    """A rule of the courses domain was broken; the message is shown to the learner."""

    status_code = 409


class NotEnrolled(CourseError):
    """The learner is not enrolled in the course."""

    status_code = 403


class LessonLocked(CourseError):
    """The lesson's module is locked; the message says why."""

    status_code = 403


class LessonNotFound(CourseError):
    """No such module or lesson in the course's current version."""

    status_code = 404


class LanguageNotOffered(CourseError):
    """The course cannot be read in the language asked for."""

    status_code = 400
