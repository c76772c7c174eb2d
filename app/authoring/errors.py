"""The studio's error family: what the authoring services refuse, and the HTTP status that fits.

Every error is a `StudioError`, itself a `DomainError`, so one handler can roll the request back
and answer with `status_code` and the message, a sentence for the trainer. The pure modules of
the studio (archives, images, the folder form) raise their own subclasses of the family;
`DraftInvalid` carries every `DraftProblem` the validator found.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_ngettext

from app.domain import DomainError


class StudioError(DomainError):
    """A studio rule was broken; the message is shown to the trainer."""

    status_code = 400

    @property
    def status(self) -> int:
        """The HTTP status that fits (the same as `status_code`)."""
        return self.status_code


class AlreadyExists(StudioError):
    """Something of that name exists already (a course slug, an asset)."""

    status_code = 409


class CourseExists(AlreadyExists):
    """A course with that slug exists already."""


class NotAllowed(StudioError):
    """The acting user may not do this (only admins assign a course's maintainers)."""

    status_code = 403


class MaintainerRefused(StudioError):
    """The account cannot maintain the course (unknown, or not a trainer)."""

    status_code = 422


class AlreadyMaintainer(AlreadyExists):
    """The trainer maintains the course already."""


class NotAMaintainer(StudioError):
    """The account does not maintain the course (the page was out of date)."""

    status_code = 409


class DraftConflict(StudioError):
    """The draft (or the file) changed since the trainer opened it."""

    status_code = 409


@dataclass(frozen=True, order=True)
class DraftProblem:
    """A validation problem at a line of a draft file (path "" = the course as a whole)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path or 'course'}:{self.line}: {self.message}"


class DraftInvalid(StudioError):
    """The draft does not pass the course validator; `problems` lists every one."""

    status_code = 422

    def __init__(self, problems: list[DraftProblem]) -> None:
        self.problems = problems
        super().__init__(lazy_ngettext("The draft has %(num)d problem; nothing was published.",
                                       "The draft has %(num)d problems; nothing was published.",
                                       len(problems)))


class GiftTooLarge(StudioError):
    """A GIFT question bank beyond what one conversion takes (too many bytes or questions)."""

    status_code = 413


__all__ = [
    "AlreadyExists", "AlreadyMaintainer", "CourseExists", "DraftConflict", "DraftInvalid",
    "DraftProblem", "GiftTooLarge", "MaintainerRefused", "NotAMaintainer", "NotAllowed",
    "StudioError",
]
