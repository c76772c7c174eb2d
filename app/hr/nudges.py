"""Reminders HR sends to learners who have not started, or stopped: "nudges".

Whom: members enrolled in a course they are not certified in, who either completed no lesson
of it or showed no activity for 14 days (see app.hr.activity). How often: at most once per
NUDGE_EVERY per learner, counted from the last nudge mailed to them, whoever sent it; the
weekly idempotency key stops two HR people who press the button at the same moment. Learners
who turned these mails off are skipped and counted.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import record
from app.domain import DomainError
from app.hr.activity import EnrolmentActivity, enrolment_activity, iso_week
from app.models import Notification, Organisation, User
from app.notifications.outbox import queue

#: a learner is reminded at most once in this window
NUDGE_EVERY = timedelta(days=7)
#: learners one request may remind
MAX_LEARNERS = 5000
KIND = "nudge"
CATEGORY = "nudges"


class NudgeError(DomainError):
    """The reminders asked for cannot be sent as asked."""

    status_code = 400


class LearnerNotFound(DomainError):
    """A learner asked for is not a member of the organisation: nothing is sent."""

    status_code = 404


@dataclass(frozen=True)
class NudgeReport:
    """What one press of "Send reminder" did."""

    sent: int
    skipped_recent: int
    skipped_opted_out: int
    #: selected learners who have nothing to resume any more (certified, or active again)
    skipped_not_due: int = 0


@dataclass(frozen=True)
class NudgeCandidate:
    """A learner HR may remind, with the courses they would be reminded of."""

    learner_id: int
    name: str
    email: str
    wants_nudges: bool
    courses: tuple[EnrolmentActivity, ...]
    last_nudged_at: datetime | None

    def reminded_recently(self, now: datetime) -> bool:
        return self.last_nudged_at is not None and self.last_nudged_at > now - NUDGE_EVERY

    def can_nudge(self, now: datetime) -> bool:
        return self.wants_nudges and not self.reminded_recently(now)


def candidates(session: Session, organisation: Organisation,
               now: datetime) -> list[NudgeCandidate]:
    """The organisation's learners who may need a reminder, by name: two queries."""
    due = _due_by_learner(enrolment_activity(session, organisation, now), now)
    last = _last_nudges(session, organisation)
    return [NudgeCandidate(learner_id=learner_id, name=courses[0].name, email=courses[0].email,
                           wants_nudges=courses[0].wants_nudges, courses=tuple(courses),
                           last_nudged_at=last.get(learner_id))
            for learner_id, courses in due.items()]


def _due_by_learner(rows: Iterable[EnrolmentActivity],
                    now: datetime) -> dict[int, list[EnrolmentActivity]]:
    found: dict[int, list[EnrolmentActivity]] = {}
    for row in rows:
        if row.needs_nudge(now):
            found.setdefault(row.learner_id, []).append(row)
    return found


def _last_nudges(session: Session, organisation: Organisation,
                 learner_ids: Collection[int] | None = None) -> dict[int, datetime]:
    """When each member was last sent a nudge (by anyone)."""
    members = select(User.id).where(User.organisation_id == organisation.id)
    if learner_ids is not None:
        members = members.where(User.id.in_(list(learner_ids)))
    rows = session.execute(
        select(Notification.user_id, func.max(Notification.created_at))
        .where(Notification.kind == KIND, Notification.user_id.in_(members.scalar_subquery()))
        .group_by(Notification.user_id))
    return dict(rows.all())


def nudge(session: Session, organisation: Organisation, actor: User,
          learner_ids: Collection[int], now: datetime) -> NudgeReport:
    """Remind these learners of the courses they have not started or left; one audit entry.

    Raises LearnerNotFound (nothing sent) when any id is not a member of the organisation.
    """
    ids = set(learner_ids)
    if not ids:
        raise NudgeError(_l("Choose at least one learner to remind."))
    if len(ids) > MAX_LEARNERS:
        raise NudgeError(_l("Please remind at most %(max)s learners at a time.",
                            max=format(MAX_LEARNERS, ",")))
    learners = {user.id: user for user in session.scalars(
        select(User).where(User.id.in_(list(ids)), User.organisation_id == organisation.id))}
    if len(learners) != len(ids):
        raise LearnerNotFound(_l("Some of these learners are not members of your organisation. "
                                 "No reminder was sent."))
    due = _due_by_learner(enrolment_activity(session, organisation, now, learner_ids=ids), now)
    last = _last_nudges(session, organisation, ids)
    counts = {"sent": 0, "skipped_recent": 0, "skipped_opted_out": 0, "skipped_not_due": 0}
    reminded = []
    for learner_id in sorted(ids):
        outcome = _nudge_one(session, organisation, actor, learners[learner_id],
                             due.get(learner_id), last.get(learner_id), now)
        counts[outcome] += 1
        if outcome == "sent":
            reminded.append(learner_id)
    record(session, actor, "organisation.nudge", "organisation", organisation.id,
           f"{counts['sent']} reminder(s) to continue a course sent", learners=reminded,
           **{name: value for name, value in counts.items() if name != "sent"})
    return NudgeReport(**counts)


def _nudge_one(session: Session, organisation: Organisation, actor: User, learner: User,
               courses: list[EnrolmentActivity] | None, last: datetime | None,
               now: datetime) -> str:
    """Queue one learner's reminder; the NudgeReport field it counts in."""
    if not courses:
        return "skipped_not_due"
    if not learner.wants_mail(CATEGORY):
        return "skipped_opted_out"
    if last is not None and last > now - NUDGE_EVERY:
        return "skipped_recent"
    queued = queue(session, kind=KIND, to=learner.email, user=learner, now=now,
                   key=f"nudge:{learner.id}:{iso_week(now)}", category=CATEGORY,
                   context={"organisation_id": organisation.id, "sent_by_id": actor.id,
                            "course_ids": [course.course_id for course in courses]})
    return "sent" if queued is not None else "skipped_recent"
