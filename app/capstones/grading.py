"""The trainer's side of a capstone: the grading queue, claiming work, scoring it.

A trainer who maintains the course (or an administrator) claims a submission before scoring
it, so two trainers never grade the same work: the claim is one conditional UPDATE, and it
lapses after :data:`CLAIM_TTL` so work is not stranded by someone who walked away. Scoring is
a second conditional UPDATE, from "submitted" and claimed by the grader, so a score is given
once. Every claim and score is audited.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import format_number, gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from app import events
from app.audit import record
from app.capstones.errors import (
    CapstoneNotFound, GradingConflict, GradingNotAllowed, InvalidScores,
)
from app.capstones.submissions import capstone_of
from app.courses.capstone_spec import CapstoneSpec
from app.models import (
    CapstoneFile, CapstoneSubmission, Course, CourseMaintainer, CourseVersion, User,
)
from app.models.capstones import FAILED, PASSED, SUBMITTED

CLAIM_TTL = timedelta(hours=2)
QUEUE_STATES = ("waiting", "mine", "graded", "all")
MAX_COMMENT_CHARS = 4000


@dataclass(frozen=True)
class QueueRow:
    submission: CapstoneSubmission
    #: the trainer grading it now (None when free or the claim lapsed)
    grader: User | None


@dataclass(frozen=True)
class GradingTimes:
    """How long work waits for a score: overall and per trainer (hours, medians)."""

    graded: int
    median_hours: float | None
    waiting: int
    oldest_waiting_hours: float | None
    by_trainer: list[tuple[str, int, float]]


def gradable_courses(session: Session, trainer: User) -> list[Course]:
    """The courses whose capstones this person may grade (an admin: all)."""
    query = select(Course).order_by(Course.title)
    if not trainer.has_role("admin"):
        query = query.join(CourseMaintainer, CourseMaintainer.course_id == Course.id) \
            .where(CourseMaintainer.user_id == trainer.id)
    return [c for c in session.scalars(query)
            if c.current_version is not None and c.current_version.capstone is not None]


def _may_grade(session: Session, trainer: User, course_id: int) -> bool:
    return trainer.has_role("admin") or (
        trainer.has_role("trainer")
        and session.get(CourseMaintainer, (course_id, trainer.id)) is not None)


def queue(session: Session, trainer: User, now: datetime, *, state: str = "waiting",
          course_id: int | None = None, courses: list[Course] | None = None) -> list[QueueRow]:
    """Submissions to grade, oldest first; `state`: waiting, mine, graded or all.

    :param courses: the trainer's gradable courses, when the caller has them already
    """
    if courses is None:
        courses = gradable_courses(session, trainer)
    courses = [c.id for c in courses]
    if course_id is not None:
        courses = [c for c in courses if c == course_id]
    query: Select = select(CapstoneSubmission).where(CapstoneSubmission.course_id.in_(courses))
    lapsed = now - CLAIM_TTL
    if state == "waiting":
        query = query.where(CapstoneSubmission.status == SUBMITTED)
    elif state == "mine":
        query = query.where(CapstoneSubmission.status == SUBMITTED,
                            CapstoneSubmission.claimed_by_id == trainer.id,
                            CapstoneSubmission.claimed_at > lapsed)
    elif state == "graded":
        query = query.where(CapstoneSubmission.status.in_((PASSED, FAILED)))
    rows = session.scalars(query.order_by(CapstoneSubmission.submitted_at,
                                          CapstoneSubmission.id).limit(500))
    return [QueueRow(s, _grader(s, lapsed)) for s in rows]


def _grader(submission: CapstoneSubmission, lapsed: datetime) -> User | None:
    live = submission.status == SUBMITTED and submission.claimed_at is not None \
        and submission.claimed_at > lapsed
    return submission.claimed_by if live else None


def submission_for_grader(session: Session, trainer: User, submission_id: int
                          ) -> tuple[CapstoneSubmission, CapstoneSpec]:
    """A submission and the rubric it is scored with; CapstoneNotFound for anyone who may not
    grade its course (the work stays private)."""
    submission = session.get(CapstoneSubmission, submission_id)
    if submission is None or not _may_grade(session, trainer, submission.course_id):
        raise CapstoneNotFound(_l("There is no such submission."))
    return submission, capstone_of(session.get(CourseVersion, submission.version_id))


def claim(session: Session, trainer: User, submission_id: int, now: datetime) -> None:
    """Take a submission to grade; GradingConflict when another trainer holds it."""
    submission, _ = submission_for_grader(session, trainer, submission_id)
    if submission.status != SUBMITTED:
        raise GradingConflict(_l("This work has been scored already."))
    taken = session.execute(
        update(CapstoneSubmission)
        .where(CapstoneSubmission.id == submission.id, CapstoneSubmission.status == SUBMITTED,
               or_(CapstoneSubmission.claimed_by_id.is_(None),
                   CapstoneSubmission.claimed_by_id == trainer.id,
                   CapstoneSubmission.claimed_at <= now - CLAIM_TTL))
        .values(claimed_by_id=trainer.id, claimed_at=now)
        .execution_options(synchronize_session=False)).rowcount
    session.refresh(submission)
    if not taken:
        if submission.claimed_by is None:
            raise GradingConflict(_l("Another trainer is grading this work."))
        raise GradingConflict(_l("%(name)s is grading this work.", name=submission.claimed_by.name))
    record(session, trainer, "capstone.claimed", "capstone_submission", submission.id)


def release(session: Session, trainer: User, submission_id: int) -> None:
    """Give back a claimed submission without scoring it."""
    submission, _ = submission_for_grader(session, trainer, submission_id)
    session.execute(update(CapstoneSubmission)
                    .where(CapstoneSubmission.id == submission.id,
                           CapstoneSubmission.claimed_by_id == trainer.id,
                           CapstoneSubmission.status == SUBMITTED)
                    .values(claimed_by_id=None, claimed_at=None)
                    .execution_options(synchronize_session=False))
    session.refresh(submission)
    record(session, trainer, "capstone.released", "capstone_submission", submission.id)


def grade(session: Session, trainer: User, submission_id: int, points: dict[str, int],
          comments: dict[str, str], comment: str, now: datetime) -> CapstoneSubmission:
    """Score a submission the trainer holds: one level and a comment per criterion.

    :raises InvalidScores: a missing or unknown level, a missing or overlong comment
    :raises GradingConflict: not claimed by this trainer (or the claim lapsed), or scored
    """
    submission, spec = submission_for_grader(session, trainer, submission_id)
    scores = _checked_scores(spec, points, comments)
    verdict = spec.verdict({key: value["points"] for key, value in scores.items()})
    status = PASSED if verdict.passed else FAILED
    done = session.execute(
        update(CapstoneSubmission)
        .where(CapstoneSubmission.id == submission.id, CapstoneSubmission.status == SUBMITTED,
               CapstoneSubmission.claimed_by_id == trainer.id,
               CapstoneSubmission.claimed_at > now - CLAIM_TTL)
        .values(status=status, scores=scores, comment=comment.strip()[:MAX_COMMENT_CHARS],
                total=verdict.total, max_total=verdict.max_total, graded_by_id=trainer.id,
                graded_at=now)
        .execution_options(synchronize_session=False)).rowcount
    session.refresh(submission)
    if not done:
        raise GradingConflict(_l("Claim this work before scoring it: it is scored already, "
                                 "or another trainer holds it."))
    record(session, trainer, "capstone.graded", "capstone_submission", submission.id,
           summary=f"{status}: {verdict.total} of {verdict.max_total} points",
           points={key: value["points"] for key, value in scores.items()},
           below_minimum=list(verdict.below_minimum))
    events.capstone_graded.send(None, session=session, submission=submission, actor=trainer,
                                now=now)
    return submission


def _checked_scores(spec: CapstoneSpec, points: dict[str, int],
                    comments: dict[str, str]) -> dict[str, dict]:
    problems, scores = [], {}
    for criterion in spec.criteria:
        level = criterion.level(points.get(criterion.id, -1))
        note = (comments.get(criterion.id) or "").strip()
        if level is None:
            problems.append(_l("Choose a level for “%(criterion)s”.", criterion=criterion.title))
        if not note:
            problems.append(_l("Write a comment for “%(criterion)s”.", criterion=criterion.title))
        elif len(note) > MAX_COMMENT_CHARS:
            problems.append(LazyString(_comment_too_long, criterion.title))
        if level is not None:
            scores[criterion.id] = {"points": level.points, "level": level.name,
                                    "comment": note[:MAX_COMMENT_CHARS]}
    if problems:
        raise InvalidScores(LazyString(lambda: " ".join(map(str, problems))))
    return scores


def _comment_too_long(title: str) -> str:
    return gettext("The comment for “%(criterion)s” is longer than %(limit)s characters.",
                   criterion=title, limit=format_number(MAX_COMMENT_CHARS))


def grader_file(session: Session, trainer: User, file_id: int) -> CapstoneFile:
    """A submitted file, for a trainer who may grade its course."""
    file = session.get(CapstoneFile, file_id)
    if file is None or not _may_grade(session, trainer, file.submission.course_id):
        raise CapstoneNotFound(_l("There is no such file."))
    return file


def grading_times(session: Session, now: datetime, *, days: int = 90) -> GradingTimes:
    """Time from hand-in to score over the last `days`, and what is waiting now (admins)."""
    since = now - timedelta(days=days)
    rows = session.execute(
        select(CapstoneSubmission.submitted_at, CapstoneSubmission.graded_at, User.name)
        .join(User, User.id == CapstoneSubmission.graded_by_id)
        .where(CapstoneSubmission.graded_at >= since)).all()
    hours = [(graded - submitted).total_seconds() / 3600 for submitted, graded, _ in rows]
    per: dict[str, list[float]] = {}
    for (_, _, name), spent in zip(rows, hours):
        per.setdefault(name, []).append(spent)
    waiting = list(session.scalars(select(CapstoneSubmission.submitted_at)
                                   .where(CapstoneSubmission.status == SUBMITTED)))
    oldest = max(((now - at).total_seconds() / 3600 for at in waiting), default=None)
    return GradingTimes(len(hours), statistics.median(hours) if hours else None, len(waiting),
                        oldest, sorted((name, len(v), statistics.median(v))
                                       for name, v in per.items()))
