"""What the courses domain refuses; each message is shown to the learner as it is."""
from __future__ import annotations


class CourseError(ValueError):
    """A rule of the courses domain was broken; the message is shown to the learner."""


class NotEnrolled(CourseError):
    """The learner is not enrolled in the course."""


class LessonLocked(CourseError):
    """The lesson's module is locked; the message says why."""


class LessonNotFound(CourseError):
    """No such module or lesson in the course's current version."""
