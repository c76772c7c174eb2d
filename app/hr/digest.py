"""The weekly digest HR receives: new certificates, stuck learners, certificates expiring soon.

Each organisation's facts are gathered once, in a fixed number of queries, and mailed to every
HR member of the organisation who takes digests; an organisation with nothing to report gets
no mail. The key `digest:{user}:{ISO week}` makes a second run in the same week send nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.hr.activity import enrolment_activity, iso_week
from app.models import Certificate, Organisation, User, UserRole
from app.models.certificates import ACTIVE
from app.notifications.outbox import queue

#: certificates issued this long ago or less are new
NEW_WITHIN = timedelta(days=7)
#: certificates expiring within this window are listed
EXPIRING_WITHIN = timedelta(days=60)
#: names listed per section (the counts are complete)
LISTED = 10
KIND = "digest"
CATEGORY = "digests"


@dataclass(frozen=True)
class DigestFacts:
    """One organisation's week, as plain facts (counts and up to LISTED ids per section)."""

    organisation_id: int
    week: str
    new_count: int
    new_certificate_ids: tuple[int, ...]
    stuck_count: int
    stuck_learner_ids: tuple[int, ...]
    expiring_count: int
    expiring_certificate_ids: tuple[int, ...]

    @property
    def empty(self) -> bool:
        return not (self.new_count or self.stuck_count or self.expiring_count)

    def context(self) -> dict:
        """What the notification keeps: ids and numbers only."""
        return {"organisation_id": self.organisation_id, "week": self.week,
                "new_count": self.new_count, "new_certificate_ids": list(self.new_certificate_ids),
                "stuck_count": self.stuck_count,
                "stuck_learner_ids": list(self.stuck_learner_ids),
                "expiring_count": self.expiring_count,
                "expiring_certificate_ids": list(self.expiring_certificate_ids)}


@dataclass(frozen=True)
class DigestRun:
    """What one run did."""

    organisations: int
    mails: int


def digest_facts(session: Session, organisation: Organisation, now: datetime) -> DigestFacts:
    """The organisation's week: five queries, whatever its size."""
    members = select(User.id).where(User.organisation_id == organisation.id).scalar_subquery()
    new = (Certificate.user_id.in_(members), Certificate.status == ACTIVE,
           Certificate.issued_at > now - NEW_WITHIN)
    expiring = (Certificate.user_id.in_(members), Certificate.status == ACTIVE,
                Certificate.expires_at > now, Certificate.expires_at <= now + EXPIRING_WITHIN)
    stuck: dict[int, str] = {}
    for row in enrolment_activity(session, organisation, now):
        if row.stuck(now):
            stuck.setdefault(row.learner_id, row.name)
    return DigestFacts(
        organisation_id=organisation.id, week=iso_week(now),
        new_count=_count(session, new),
        new_certificate_ids=tuple(session.scalars(
            select(Certificate.id).where(*new)
            .order_by(Certificate.issued_at.desc(), Certificate.id).limit(LISTED))),
        stuck_count=len(stuck), stuck_learner_ids=tuple(stuck)[:LISTED],
        expiring_count=_count(session, expiring),
        expiring_certificate_ids=tuple(session.scalars(
            select(Certificate.id).where(*expiring)
            .order_by(Certificate.expires_at, Certificate.id).limit(LISTED))))


def _count(session: Session, conditions: tuple) -> int:
    return session.scalar(select(func.count()).select_from(Certificate).where(*conditions)) or 0


def send_weekly_digests(session: Session, now: datetime) -> DigestRun:
    """Queue this week's digest for every HR member who takes digests, organisation by
    organisation; organisations with nothing to report are skipped."""
    recipients = list(session.scalars(
        select(User)
        .where(User.organisation_id.is_not(None), User.is_active_account.is_(True),
               User.mail_digests.is_(True), User.role_grants.any(UserRole.role == "hr"))
        .order_by(User.organisation_id, User.id)))
    organisations = {org.id: org for org in session.scalars(select(Organisation).where(
        Organisation.id.in_(list({user.organisation_id for user in recipients}))))}
    reported = mails = 0
    for organisation_id, people in groupby(recipients, key=lambda user: user.organisation_id):
        facts = digest_facts(session, organisations[organisation_id], now)
        if facts.empty:
            continue
        reported += 1
        for user in people:
            queued = queue(session, kind=KIND, to=user.email, user=user, now=now,
                           key=f"digest:{user.id}:{facts.week}", category=CATEGORY,
                           context=facts.context())
            mails += queued is not None
    return DigestRun(organisations=reported, mails=mails)
