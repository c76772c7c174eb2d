"""The learner's side of a capstone: what the brief asks, where they stand, handing work in.

A learner hands in once the course's lessons and module quizzes are done (when the final exam
opens), waits for a trainer's score, and after a fail may hand in once more.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import events
from app.audit import record
from app.capstones.errors import CapstoneNotFound, InvalidSubmission, SubmissionNotAllowed
from app.capstones.files import MAX_FILES, CheckedFile
from app.courses.capstone_spec import CapstoneSpec, capstone_from_dict
from app.courses.services import find_enrollment, open_exam_requirements
from app.models import CapstoneFile, CapstoneSubmission, Course, CourseVersion, User
from app.models.capstones import FAILED, MAX_SUBMISSIONS, PASSED, SUBMITTED

MAX_TEXT_CHARS = 60_000


@dataclass(frozen=True)
class CapstoneOverview:
    """The brief, the learner's submissions (oldest first) and whether they may hand in now."""

    course: Course
    version: CourseVersion
    spec: CapstoneSpec
    submissions: list[CapstoneSubmission]
    enrolled: bool
    #: why the learner may not hand in now (None when they may)
    blocked_because: str | None
    requirements: list[str]

    @property
    def can_submit(self) -> bool:
        return self.blocked_because is None

    @property
    def latest(self) -> CapstoneSubmission | None:
        return self.submissions[-1] if self.submissions else None


def capstone_of(version: CourseVersion | None) -> CapstoneSpec:
    """The version's capstone; CapstoneNotFound when the course has none."""
    if version is None or version.capstone is None:
        raise CapstoneNotFound(_l("This course has no capstone."))
    return capstone_from_dict(version.capstone)


def overview(session: Session, user: User, course: Course) -> CapstoneOverview:
    """Everything the capstone page shows the learner."""
    version = course.current_version
    spec = capstone_of(version)
    submissions = list(session.scalars(
        select(CapstoneSubmission).where(CapstoneSubmission.user_id == user.id,
                                         CapstoneSubmission.course_id == course.id)
        .order_by(CapstoneSubmission.attempt)))
    enrolled = find_enrollment(session, user, course) is not None
    requirements = open_exam_requirements(session, user, version) if enrolled else []
    return CapstoneOverview(course, version, spec, submissions, enrolled,
                            _blocked_because(enrolled, requirements, submissions), requirements)


def _blocked_because(enrolled: bool, requirements: list[str],
                     submissions: list[CapstoneSubmission]) -> str | None:
    latest = submissions[-1] if submissions else None
    if not enrolled:
        return _l("Enrol in the course to hand in your capstone.")
    if requirements:
        return _l("The capstone opens when every lesson is done and every module quiz is passed.")
    if latest is not None and latest.status == SUBMITTED:
        return _l("Your work is waiting for a trainer's score.")
    if latest is not None and latest.status == PASSED:
        return _l("Your capstone passed.")
    if len(submissions) >= MAX_SUBMISSIONS:
        return _l("You have handed in %(count)d times, the most allowed; the course's trainers "
                  "can tell you what comes next.", count=MAX_SUBMISSIONS)
    return None


def submit(session: Session, user: User, course: Course, text_md: str,
           files: list[CheckedFile], now: datetime) -> CapstoneSubmission:
    """Hand in work: the text (Markdown) and up to three checked files.

    :raises SubmissionNotAllowed: requirements open, work waiting, passed, or none left
    :raises InvalidSubmission: empty or overlong text, too many files
    """
    current = overview(session, user, course)
    if not current.can_submit:
        raise SubmissionNotAllowed(current.blocked_because)
    text = text_md.replace("\r\n", "\n").strip()
    if not text:
        raise InvalidSubmission(
            _l("Write your answer in the text box (files alone are not enough)."))
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidSubmission(_l("Your text has %(length)s characters; the most is %(most)s. "
                                   "Put long material in a file.", length=f"{len(text):,}",
                                   most=f"{MAX_TEXT_CHARS:,}"))
    if len(files) > MAX_FILES:
        raise InvalidSubmission(_l("Attach at most %(count)d files.", count=MAX_FILES))
    submission = CapstoneSubmission(
        user_id=user.id, course_id=course.id, version_id=current.version.id,
        attempt=len(current.submissions) + 1, text_md=text, submitted_at=now, status=SUBMITTED,
        comment="", files=[CapstoneFile(filename=f.filename, content_type=f.content_type,
                                        size=len(f.data), sha256=f.sha256, data=f.data)
                           for f in files])
    try:
        with session.begin_nested():
            session.add(submission)
    except IntegrityError:
        raise SubmissionNotAllowed(_l("This work was already handed in.")) from None
    record(session, user, "capstone.submitted", "capstone_submission", submission.id,
           summary=f"{course.slug} attempt {submission.attempt}",
           files=[f.sha256 for f in files])
    events.capstone_submitted.send(None, session=session, submission=submission, now=now)
    return submission


def learner_file(session: Session, user: User, file_id: int) -> CapstoneFile:
    """A file of the learner's own submission; anyone else's is CapstoneNotFound."""
    file = session.get(CapstoneFile, file_id)
    if file is None or file.submission.user_id != user.id:
        raise CapstoneNotFound(_l("There is no such file."))
    return file


__all__ = ["FAILED", "CapstoneOverview", "capstone_of", "learner_file", "overview", "submit"]
