"""What the capstone rules refuse; each message is a sentence for the person who asked."""
from __future__ import annotations

from app.domain import DomainError


class CapstoneError(DomainError):
    """A capstone rule was broken."""


class CapstoneNotFound(CapstoneError):
    """No capstone in this course, or no submission this person may see."""

    status_code = 404


class SubmissionNotAllowed(CapstoneError):
    """The learner may not hand in work now (requirements open, waiting, passed, none left)."""

    status_code = 409


class InvalidSubmission(CapstoneError):
    """The text or a file cannot be accepted (empty, too long, wrong type, too large)."""

    status_code = 400


class GradingNotAllowed(CapstoneError):
    """Not a trainer of the course, or another trainer is grading it, or it is graded."""

    status_code = 403


class GradingConflict(CapstoneError):
    """Someone else claimed or scored the submission first."""

    status_code = 409


class InvalidScores(CapstoneError):
    """A score is not one of its criterion's levels, or a comment is missing."""

    status_code = 400
