"""The learner's standing in a course: what is done, what is passed, and what is still open.

The quizzes and certificates areas sit above courses, and both need the same few rules: which
module is unlocked, what the final exam still waits for, whether the certification rule is met
and whether a certificate is in its renewal window. Those rules live here, as pure functions fed
with plain data (completed lessons, passed quiz keys, a certificate's status and expiry). The
facts are read straight from the tables (lesson progress, quiz attempts, certificates), so this
module imports neither area.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.courses.catalogue import ModuleRef, version_key, version_outlines, versions_with_final_exam
from app.models import Certificate, Course, CourseVersion, LessonProgress, QuizAttempt, User
from app.models.capstones import PASSED as CAPSTONE_PASSED, CapstoneSubmission
from app.models.certificates import ACTIVE, LIVE_STATUSES, REVOKED
from app.models.quizzes import FINAL_EXAM_KEY, SUBMITTED

#: a holder may renew this long before expiry, and any time after it
RECERTIFICATION_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class UnlockState:
    """Whether a module is open to the learner and, when it is not, why."""

    unlocked: bool
    reason: str | None = None


@dataclass(frozen=True)
class CertificationStatus:
    """Whether the course's certification rule holds, and in plain sentences why not."""

    met: bool
    reasons: list[str] = field(default_factory=list)


# --- the rules (pure) -------------------------------------------------------------------------


def module_unlock_state(modules: Sequence[ModuleRef], completed: set[tuple[str, str]],
                        passed_quizzes: set[str], sequential: bool) -> dict[str, UnlockState]:
    """The unlock state of each module, by slug.

    In a sequential course, module N+1 opens when module N is open, all its lessons are
    complete and its quiz (if any) is passed; a locked module names the first module blocking it.

    :param completed: (module slug, lesson slug) pairs the learner has completed
    :param passed_quizzes: quiz keys the learner has passed (a module quiz's key is its slug)
    """
    states: dict[str, UnlockState] = {}
    blocker: str | None = None
    for module in modules:
        states[module.slug] = UnlockState(False, blocker) if blocker else UnlockState(True)
        if not sequential or blocker:
            continue
        if any(lesson.key not in completed for lesson in module.lessons):
            blocker = _("Complete the lessons of %(module)s first.", module=module.label)
        elif module.has_quiz and module.slug not in passed_quizzes:
            blocker = _("Pass the quiz of %(module)s first.", module=module.label)
    return states


def exam_requirements(outline: Sequence[ModuleRef], completed: set[tuple[str, str]],
                      passed_quizzes: set[str]) -> list[str]:
    """Sentences for the lessons still to complete and the module quizzes still to pass.

    Plain strings in the language of the moment (English outside a request), not lazy ones:
    callers join them into one message, and a lazy string carrying a module's title would reach
    templates as markup, unescaped."""
    reasons = []
    for module in outline:
        done = sum(lesson.key in completed for lesson in module.lessons)
        if done < len(module.lessons):
            reasons.append(_("Complete the lessons of module '%(module)s' "
                             "(%(done)d of %(total)d done).", module=module.title, done=done,
                             total=len(module.lessons)))
        if module.has_quiz and module.slug not in passed_quizzes:
            reasons.append(_("Pass the quiz of module '%(module)s'.", module=module.title))
    return reasons


def certification_rule(outline: Sequence[ModuleRef], completed: set[tuple[str, str]],
                       passed_quizzes: set[str], has_final_exam: bool, *,
                       has_capstone: bool = False,
                       capstone_passed: bool = False) -> CertificationStatus:
    """Every lesson done, every module quiz passed and, when the course has them, the exam
    passed and the capstone scored as a pass."""
    reasons = exam_requirements(outline, completed, passed_quizzes)
    if has_final_exam and FINAL_EXAM_KEY not in passed_quizzes:
        reasons.append(_("Pass the final exam."))
    if has_capstone and not capstone_passed:
        reasons.append(_("Pass the capstone: a trainer scores your work against its rubric."))
    return CertificationStatus(not reasons, reasons)


def renewal_opens_at(expires_at: datetime | None) -> datetime | None:
    """When a certificate expiring at `expires_at` may be renewed; None if it never expires."""
    return None if expires_at is None else expires_at - RECERTIFICATION_WINDOW


def in_renewal_window(status: str, expires_at: datetime | None, now: datetime) -> bool:
    """True when an active certificate may be renewed now by passing the final exam again."""
    opens = renewal_opens_at(expires_at)
    return status == ACTIVE and opens is not None and now >= opens


# --- the facts (queries) ----------------------------------------------------------------------


def completed_lessons(session: Session, user: User,
                      course: Course) -> dict[tuple[str, str], datetime]:
    """When the learner completed each lesson of the course, by (module slug, lesson slug)."""
    rows = session.execute(
        select(LessonProgress.module_slug, LessonProgress.lesson_slug, LessonProgress.completed_at)
        .where(LessonProgress.user_id == user.id, LessonProgress.course_id == course.id))
    return {(m, lesson): at for m, lesson, at in rows}


def passed_quiz_keys(session: Session, user: User, course: Course) -> set[str]:
    """Module slugs (and "final-exam") of the quizzes the learner has passed in this course."""
    return passed_quiz_keys_for_courses(session, user, [course.id])[course.id]


def passed_quiz_keys_for_courses(session: Session, user: User,
                                 course_ids: Iterable[int]) -> dict[int, set[str]]:
    """Passed quiz keys per course id, in one query."""
    found: dict[int, set[str]] = {course_id: set() for course_id in course_ids}
    if not found:
        return found
    rows = session.execute(
        select(QuizAttempt.course_id, QuizAttempt.quiz_key).distinct()
        .where(QuizAttempt.user_id == user.id, QuizAttempt.course_id.in_(list(found)),
               QuizAttempt.status == SUBMITTED, QuizAttempt.passed.is_(True)))
    for course_id, quiz_key in rows:
        found[course_id].add(quiz_key)
    return found


def open_exam_requirements(session: Session, user: User, version: CourseVersion) -> list[str]:
    """What the learner must still do before the version's final exam opens."""
    outline = version_outlines(session, [version_key(version)])[version.id]
    return exam_requirements(outline, set(completed_lessons(session, user, version.course)),
                             passed_quiz_keys(session, user, version.course))


def certification_status(session: Session, user: User, course: Course) -> CertificationStatus:
    """Has the learner met the course's rule: every lesson done, every quiz and the exam passed?"""
    version = course.current_version
    if version is None:
        return CertificationStatus(False, [_("The course has no published content yet.")])
    outline = version_outlines(session, [version_key(version)])[version.id]
    has_exam = version.id in versions_with_final_exam(session, [version.id])
    return certification_rule(outline, set(completed_lessons(session, user, course)),
                              passed_quiz_keys(session, user, course), has_exam,
                              has_capstone=version.capstone is not None,
                              capstone_passed=capstone_passed(session, user.id, course.id))


def capstone_passed(session: Session, user_id: int, course_id: int) -> bool:
    """True when a trainer scored one of the learner's capstone submissions as a pass."""
    return session.scalar(select(CapstoneSubmission.id).where(
        CapstoneSubmission.user_id == user_id, CapstoneSubmission.course_id == course_id,
        CapstoneSubmission.status == CAPSTONE_PASSED).limit(1)) is not None


def capstone_status(session: Session, user_id: int, course_id: int) -> str | None:
    """The status of the learner's latest capstone hand-in (None before the first)."""
    return session.scalar(select(CapstoneSubmission.status).where(
        CapstoneSubmission.user_id == user_id, CapstoneSubmission.course_id == course_id)
        .order_by(CapstoneSubmission.attempt.desc()).limit(1))


def live_certificate(session: Session, user_id: int, course_id: int) -> Certificate | None:
    """The learner's active or suspended certificate for the course (at most one exists)."""
    return session.scalar(select(Certificate).where(
        Certificate.user_id == user_id, Certificate.course_id == course_id,
        Certificate.status.in_(LIVE_STATUSES)))


def latest_certificate(session: Session, user_id: int, course_id: int) -> Certificate | None:
    """The learner's most recently issued certificate for the course, whatever its status."""
    return session.scalar(select(Certificate).where(
        Certificate.user_id == user_id, Certificate.course_id == course_id)
        .order_by(Certificate.id.desc()).limit(1))


def revocation_hold(certificate: Certificate | None) -> bool:
    """True when a revoked certificate forbids a new one (no recertification allowed yet)."""
    return certificate is not None and certificate.status == REVOKED \
        and certificate.recertification_allowed_at is None


def recertification_allowed(certificate: Certificate | None) -> bool:
    """True when an administrator allowed a new certificate after this revoked one."""
    return certificate is not None and certificate.status == REVOKED \
        and certificate.recertification_allowed_at is not None


def can_renew(session: Session, user: User, course: Course, now: datetime) -> bool:
    """True when the final exam reopens for a certified learner: their certificate is in its
    renewal window, or it was revoked and an administrator allowed recertification."""
    live = live_certificate(session, user.id, course.id)
    if live is not None:
        return in_renewal_window(live.status, live.expires_at, now)
    return recertification_allowed(latest_certificate(session, user.id, course.id))
