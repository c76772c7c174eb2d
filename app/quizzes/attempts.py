"""Quiz attempts: start, save, submit and grade against the stored snapshot.

Time limit: an attempt accepts answers until its deadline plus `GRACE` (the request in flight
when the clock runs out). Answers that arrive later are discarded: the attempt is graded as
submitted at the deadline with the answers saved before it (the page saves each answer as it is
given, or with "Save answers") and is marked late. An attempt left open past its deadline is
closed the same way the next time it is looked at.

A passed final exam is announced with `events.final_exam_passed`; certificate issuance listens
(grading knows nothing of certificates). Functions take the database session, the acting user,
plain data and `now`; they flush and never commit (the request does).
"""
from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_date
from flask_babel import get_locale, lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, defer

from app import events
from app.courses import services as course_services
from app.models import Course, CourseVersion, QuizAttempt, User, VersionModule
from app.models.quizzes import FINAL_EXAM_KEY, OPEN, SUBMITTED
from app.quizzes.errors import (
    AttemptClosed, AttemptNotAllowed, InvalidAnswers, QuizError, QuizNotFound, QuizUnavailable,
)
from app.quizzes.grading import build_snapshot, grade, result_to_dict, validate_answers
from app.courses.quiz_spec import QuizSpec, quiz_from_dict

GRACE = timedelta(seconds=30)
#: how an attempt was closed, kept in its result
CLOSED_ON_TIME, CLOSED_LATE, CLOSED_EXPIRED = "submitted", "late", "expired"

@dataclass(frozen=True)
class Quiz:
    """A quiz of a course's current version: its spec and the module it belongs to."""

    course: Course
    version: CourseVersion
    key: str
    spec: QuizSpec
    module: VersionModule | None

    @property
    def is_final_exam(self) -> bool:
        """True for the course's certification exam."""
        return self.key == FINAL_EXAM_KEY


@dataclass(frozen=True)
class QuizOverview:
    """What the quiz page shows before an attempt: rules, history and whether one may start."""

    quiz: Quiz
    attempts: list[QuizAttempt]
    open_attempt: QuizAttempt | None
    attempts_left: int | None
    next_attempt_at: datetime | None
    blocker: QuizError | None
    best_score: float | None
    passed: bool

    @property
    def is_locked(self) -> bool:
        """True when the learner cannot take this quiz yet (enrolment, unlock rule)."""
        return isinstance(self.blocker, QuizUnavailable)

    @property
    def can_start(self) -> bool:
        """True when Start (or Resume) leads to an attempt."""
        return self.open_attempt is not None or self.blocker is None


@dataclass(frozen=True)
class SubmissionOutcome:
    """A submitted attempt; `replayed` when these answers had been graded already.

    `certificate` is what the receivers of `final_exam_passed` answered (issuance, when the
    passed exam earned a certificate), else None.
    """

    attempt: QuizAttempt
    replayed: bool
    certificate: Any = None


@dataclass(frozen=True)
class _Graded:
    """This request closed the attempt (and maybe got a certificate issued)."""

    certificate: Any = None



def find_quiz(course: Course, quiz_key: str) -> Quiz:
    """The quiz `quiz_key` (a module slug or "final-exam") of the course's current version."""
    version = course.current_version
    if version is None:
        raise QuizNotFound(_l("This course has no published content yet."))
    if quiz_key == FINAL_EXAM_KEY and version.final_exam:
        return Quiz(course, version, quiz_key, quiz_from_dict(version.final_exam), None)
    for module in version.modules:
        if module.slug == quiz_key and module.quiz:
            return Quiz(course, version, quiz_key, quiz_from_dict(module.quiz), module)
    raise QuizNotFound(_l("This course has no such quiz."))


def find_attempt(session: Session, user: User, attempt_id: int) -> QuizAttempt:
    """The learner's own attempt; another learner's attempt is reported as not found."""
    attempt = session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise QuizNotFound(_l("We could not find that attempt."))
    return attempt


def user_attempts(session: Session, user: User, course: Course, quiz_key: str) -> list[QuizAttempt]:
    """Every attempt of the learner at one quiz, newest first.

    Their questions, answers and grades are loaded only when read: the quiz page lists the
    attempts, and a learner with a long history would otherwise decode every snapshot.
    """
    return list(session.scalars(
        select(QuizAttempt).options(*_DETAILS_DEFERRED)
        .where(QuizAttempt.user_id == user.id, QuizAttempt.course_id == course.id,
               QuizAttempt.quiz_key == quiz_key)
        .order_by(QuizAttempt.number.desc())
    ))


_DETAILS_DEFERRED = (defer(QuizAttempt.snapshot), defer(QuizAttempt.answers),
                     defer(QuizAttempt.result))


# Starting

def quiz_overview(session: Session, user: User, course: Course, quiz_key: str,
                  now: datetime) -> QuizOverview:
    """The quiz page's facts; attempts whose time ran out are closed first."""
    quiz = find_quiz(course, quiz_key)
    attempts = user_attempts(session, user, course, quiz_key)
    for attempt in attempts:
        close_if_expired(session, attempt, now)
    submitted = [a for a in attempts if a.status == SUBMITTED]
    open_attempt = next((a for a in attempts if a.status == OPEN), None)
    limit = quiz.spec.max_attempts
    next_at = _cooldown_end(quiz.spec, submitted)
    return QuizOverview(
        quiz=quiz,
        attempts=attempts,
        open_attempt=open_attempt,
        attempts_left=max(0, limit - len(attempts)) if limit else None,
        next_attempt_at=next_at if next_at and next_at > now else None,
        blocker=_blocker(session, user, quiz, attempts, now),
        best_score=max((a.score for a in submitted if a.score is not None), default=None),
        passed=any(a.passed for a in submitted),
    )


def start_attempt(session: Session, user: User, course: Course, quiz_key: str, now: datetime,
                  rng: random.Random | None = None) -> QuizAttempt:
    """Draw the questions and open an attempt, or return the learner's open one to resume."""
    overview = quiz_overview(session, user, course, quiz_key, now)
    if overview.open_attempt is not None:
        return overview.open_attempt
    if overview.blocker is not None:
        raise overview.blocker
    spec = overview.quiz.spec
    number = max((a.number for a in overview.attempts), default=0) + 1
    _insert_once(session, user_id=user.id, course_id=course.id, version_id=overview.quiz.version.id,
                 quiz_key=quiz_key, number=number,
                 snapshot=build_snapshot(spec, rng or random.SystemRandom()),
                 answers={}, status=OPEN, started_at=now, late=False,
                 deadline_at=now + timedelta(minutes=spec.time_limit_minutes)
                 if spec.time_limit_minutes else None)
    # When a second Start raced this one and took the number, this resumes the attempt it opened.
    return session.scalars(select(QuizAttempt).where(
        QuizAttempt.user_id == user.id, QuizAttempt.course_id == course.id,
        QuizAttempt.quiz_key == quiz_key, QuizAttempt.number == number)).one()


def _insert_once(session: Session, **values: Any) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, so two concurrent starts open a single attempt."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(QuizAttempt).values(**values).on_conflict_do_nothing())


def _blocker(session: Session, user: User, quiz: Quiz, attempts: list[QuizAttempt],
             now: datetime) -> QuizError | None:
    """Why no new attempt may start now, or None."""
    if course_services.find_enrollment(session, user, quiz.course) is None:
        return QuizUnavailable(_l("Enrol in this course to take its quizzes."))
    locked = _lock_reason(session, user, quiz)
    if locked:
        return QuizUnavailable(locked)
    submitted = [a for a in attempts if a.status == SUBMITTED]
    if any(a.passed for a in submitted):
        if not (quiz.is_final_exam and course_services.can_renew(session, user, quiz.course, now)):
            return AttemptNotAllowed(_l("You have passed this quiz already."))
        # Recertification: limits and cooldown count again from the last pass.
        last_pass = max(a.number for a in submitted if a.passed)
        attempts = [a for a in attempts if a.number > last_pass]
        submitted = [a for a in attempts if a.status == SUBMITTED]
    limit = quiz.spec.max_attempts
    if limit and len(attempts) >= limit:
        return AttemptNotAllowed(_l("You have used all %(limit)d attempts at this quiz.",
                                    limit=limit))
    next_at = _cooldown_end(quiz.spec, submitted)
    if next_at and next_at > now:
        return AttemptNotAllowed(
            _l("Your next attempt opens at %(time)s UTC on %(date)s.", time=f"{next_at:%H:%M}",
               date=_day(next_at)), next_at)
    return None


def _cooldown_end(spec: QuizSpec, submitted: list[QuizAttempt]) -> datetime | None:
    """When the cooldown after the latest failed attempt ends (None without one)."""
    if not spec.cooldown_minutes or not submitted:
        return None
    latest = max(submitted, key=lambda a: a.number)
    if latest.passed or latest.submitted_at is None:
        return None
    return latest.submitted_at + timedelta(minutes=spec.cooldown_minutes)


def _lock_reason(session: Session, user: User, quiz: Quiz) -> str | None:
    """Why the quiz is still locked: a module not yet unlocked, or the exam's requirements."""
    if quiz.is_final_exam:
        missing = course_services.open_exam_requirements(session, user, quiz.version)
        if missing:
            return _l("The final exam opens once the rest of the course is done. %(missing)s",
                      missing=" ".join(missing))
        return None
    access = course_services.lesson_access(session, user, quiz.course, quiz.key)
    if not access.unlocked:
        return access.reason or _l("Module '%(module)s' is still locked.",
                                   module=quiz.module.title)
    return None


# Saving and submitting

def save_answers(session: Session, user: User, attempt_id: int, answers: Mapping[str, Any],
                 now: datetime) -> QuizAttempt:
    """Keep the answers given so far; past the time limit the attempt is closed instead."""
    attempt = find_attempt(session, user, attempt_id)
    if attempt.status != OPEN:
        raise AttemptClosed(closed_sentence(attempt))
    answers = _checked(attempt, answers)
    if _too_late(attempt, now):
        _close(session, attempt, attempt.answers or {}, CLOSED_LATE, None, now)
        return attempt
    saved = session.execute(
        update(QuizAttempt).where(QuizAttempt.id == attempt.id, QuizAttempt.status == OPEN)
        .values(answers=answers).execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(attempt)
    if not saved:
        raise AttemptClosed(closed_sentence(attempt))
    return attempt


def submit_attempt(session: Session, user: User, attempt_id: int, answers: Mapping[str, Any],
                   now: datetime) -> SubmissionOutcome:
    """Grade the attempt once against its snapshot; the same submission again changes nothing.

    :raises QuizNotFound: not the learner's attempt.
    :raises AttemptClosed: graded already, and these answers differ from the graded ones.
    :raises InvalidAnswers: unknown questions or options, or a number that is not one.
    """
    attempt = find_attempt(session, user, attempt_id)
    digest = submission_digest(answers)
    if attempt.status != OPEN:
        return _replay(attempt, digest)
    answers = _checked(attempt, answers)
    late = _too_late(attempt, now)
    graded = _close(session, attempt, (attempt.answers or {}) if late else answers,
                    CLOSED_LATE if late else CLOSED_ON_TIME, digest, now)
    if graded is None:
        return _replay(attempt, digest)  # a concurrent request graded it first
    return SubmissionOutcome(attempt, replayed=False, certificate=graded.certificate)


def close_if_expired(session: Session, attempt: QuizAttempt, now: datetime) -> bool:
    """Grade an open attempt whose time ran out, with its saved answers; True when it did."""
    if attempt.status != OPEN or not _too_late(attempt, now):
        return False
    _close(session, attempt, attempt.answers or {}, CLOSED_EXPIRED, None, now)
    return True


def _checked(attempt: QuizAttempt, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers, normalised, or InvalidAnswers with validate_answers' sentences."""
    errors = validate_answers(attempt.snapshot, answers)
    if errors:
        raise InvalidAnswers(errors)
    return _normalised(answers)


def _too_late(attempt: QuizAttempt, now: datetime) -> bool:
    """True when the deadline plus the grace period has passed."""
    return attempt.deadline_at is not None and now > attempt.deadline_at + GRACE


def _close(session: Session, attempt: QuizAttempt, answers: Mapping[str, Any], closure: str,
           digest: str | None, now: datetime) -> _Graded | None:
    """Grade and close the attempt; None when another request had closed it already."""
    result = grade(attempt.snapshot, answers)
    on_time = closure == CLOSED_ON_TIME
    changed = session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.status == OPEN)
        .values(status=SUBMITTED, answers=dict(answers), score=result.score,
                passed=result.passed, late=not on_time,
                submitted_at=now if on_time else min(now, attempt.deadline_at),
                result={**result_to_dict(result), "closure": closure,
                        "submission_digest": digest})
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(attempt)
    if not changed:
        return None
    if attempt.passed and attempt.quiz_key == FINAL_EXAM_KEY:
        return _Graded(_first_result(events.final_exam_passed.send(
            None, session=session, attempt=attempt, now=now)))
    return _Graded()


def _replay(attempt: QuizAttempt, digest: str) -> SubmissionOutcome:
    """The recorded result for a repeated submission; different answers are refused."""
    if (attempt.result or {}).get("submission_digest") == digest:
        return SubmissionOutcome(attempt, replayed=True)
    raise AttemptClosed(closed_sentence(attempt))


def closed_sentence(attempt: QuizAttempt) -> str:
    """Why the answers of a closed attempt cannot change."""
    when = attempt.submitted_at
    timed_out = (attempt.result or {}).get("closure") in (CLOSED_LATE, CLOSED_EXPIRED)
    if when is None:
        return _l("This attempt closed when its time ran out and was graded with the answers "
                  "saved before then; they cannot be changed.") if timed_out else \
            _l("This attempt was submitted; its answers cannot be changed.")
    stamp = {"time": f"{when:%H:%M}", "date": _day(when)}
    if timed_out:
        return _l("This attempt closed when its time ran out at %(time)s UTC on %(date)s and was "
                  "graded with the answers saved before then; they cannot be changed.", **stamp)
    return _l("This attempt was submitted at %(time)s UTC on %(date)s; its answers cannot be "
              "changed.", **stamp)


def _day(moment: datetime) -> LazyString:
    """The day of `moment` in the reader's language, written when the sentence is shown."""
    return LazyString(_day_text, moment)


def _day_text(moment: datetime) -> str:
    locale = get_locale()
    if locale is None or locale.language == "en":
        return f"{moment:%d %B %Y}"
    return format_date(moment, "d MMMM y", locale=locale)


def _normalised(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers in one canonical form: lists sorted, blanks dropped."""
    clean: dict[str, Any] = {}
    for question_id, given in answers.items():
        if isinstance(given, (list, tuple)):
            given = sorted(str(g) for g in given)
        if given not in (None, "", []):
            clean[str(question_id)] = given
    return clean


def submission_digest(answers: Mapping[str, Any]) -> str:
    """A fingerprint of a submission, to recognise the same one sent twice."""
    try:
        canonical = json.dumps(_normalised(answers), sort_keys=True, default=str)
    except (TypeError, AttributeError):
        canonical = repr(answers)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _first_result(results: list[tuple[Any, Any]]) -> Any:
    """The first receiver's answer that is not None (the certificate a passed exam earned)."""
    return next((value for _, value in results if value is not None), None)


# Results, progress and the certification rule

def feedback_allowed(attempt: QuizAttempt) -> bool:
    """May the result page show right/wrong per question, the key and the explanations?"""
    mode = attempt.snapshot.get("feedback", "after_submit")
    if attempt.status != SUBMITTED or mode == "never":
        return False
    return mode == "after_submit" or bool(attempt.passed)
