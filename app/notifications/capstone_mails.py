"""The mails about capstone work: to the course's trainers when work is handed in, and to the
learner when it is scored (written by :mod:`app.notifications.receivers`)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.models import CapstoneSubmission
from app.models.capstones import PASSED, SUBMITTED
from app.models.notifications import Notification
from app.notifications.kinds import Links, Mail, mail_kind


def _submission(session: Session, notification: Notification) -> CapstoneSubmission | None:
    return session.get(CapstoneSubmission, notification.context.get("submission_id"))


@mail_kind("capstone_submitted")
def capstone_submitted(session: Session, notification: Notification, links: Links) -> Mail | None:
    submission = _submission(session, notification)
    if submission is None or submission.status != SUBMITTED:
        return None  # scored by another trainer before this mail left
    facts = {"learner_name": submission.user.name, "course_title": submission.course.title,
             "attempt": submission.attempt,
             "grade_url": links.url("capstones.score", submission_id=submission.id)}
    return Mail(_("Capstone work to score: %(learner)s, %(course)s",
                  learner=submission.user.name, course=submission.course.title), facts)


@mail_kind("capstone_scored")
def capstone_scored(session: Session, notification: Notification, links: Links) -> Mail | None:
    submission = _submission(session, notification)
    if submission is None or submission.total is None:
        return None
    facts = {"learner_name": submission.user.name, "course_title": submission.course.title,
             "passed": submission.status == PASSED, "total": submission.total,
             "max_total": submission.max_total, "attempt": submission.attempt,
             "capstone_url": links.url("capstones.capstone", slug=submission.course.slug)}
    if facts["passed"]:
        subject = _("Your capstone for %(course)s passed", course=submission.course.title)
    else:
        subject = _("Your capstone for %(course)s was scored", course=submission.course.title)
    return Mail(subject, facts)
