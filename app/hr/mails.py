"""The mails HR sends or receives: invitations, nudges and the weekly digest."""
from __future__ import annotations

from flask_babel import gettext as _, ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from app.hr.invitations import TOKEN_MAX_AGE, invitation_token
from app.models import Certificate, Course, Enrollment, Invitation, Organisation, User
from app.models.notifications import Notification
from app.notifications.kinds import Links, Mail, mail_kind


@mail_kind("invitation")
def invitation(session: Session, notification: Notification, links: Links) -> Mail | None:
    """A personal link into the organisation; nothing once accepted or gone."""
    found = session.get(Invitation, notification.context.get("invitation_id"))
    if found is None or found.accepted_at is not None or found.organisation is None:
        return None
    inviter = session.get(User, found.invited_by_id) if found.invited_by_id else None
    organisation = found.organisation.name
    facts = {"organisation_name": organisation, "email": found.email,
             "inviter_name": inviter.name if inviter else None,
             "join_url": links.url("invitations.join",
                                   token=invitation_token(links.secret_key, found)),
             "valid_days": TOKEN_MAX_AGE.days}
    return Mail(_("%(organisation)s invites you to OKR Academy", organisation=organisation), facts)


@mail_kind("nudge")
def nudge(session: Session, notification: Notification, links: Links) -> Mail | None:
    """A reminder to continue the courses listed, each with a link back to where they were."""
    learner = notification.user
    if learner is None:
        return None
    rows = session.execute(
        select(Enrollment, Course).join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.user_id == learner.id,
               Enrollment.course_id.in_(notification.context.get("course_ids", [])))
        .order_by(Course.title)).all()
    if not rows:
        return None  # unenrolled meanwhile
    courses = [{"title": course.title, "resume_url": _resume_url(links, enrolment, course),
                "started": enrolment.last_lesson_slug is not None}
               for enrolment, course in rows]
    organisation = session.get(Organisation, notification.context.get("organisation_id"))
    sender = session.get(User, notification.context.get("sent_by_id"))
    facts = {"learner_name": learner.name, "courses": courses,
             "organisation_name": organisation.name if organisation else None,
             "sender_name": sender.name if sender else None}
    first, more = courses[0]["title"], len(courses) - 1
    if more:
        subject = ngettext("A reminder to continue %(course)s and %(num)d more",
                           "A reminder to continue %(course)s and %(num)d more", more, course=first)
    else:
        subject = _("A reminder to continue %(course)s", course=first)
    return Mail(subject, facts)


def _resume_url(links: Links, enrolment: Enrollment, course: Course) -> str:
    """The lesson opened last, else the course's page."""
    if enrolment.last_module_slug and enrolment.last_lesson_slug:
        return links.url("courses.lesson", slug=course.slug,
                         module_slug=enrolment.last_module_slug,
                         lesson_slug=enrolment.last_lesson_slug)
    return links.url("courses.course_page", slug=course.slug)


@mail_kind("digest")
def digest(session: Session, notification: Notification, links: Links) -> Mail | None:
    """The week of the organisation: counts, up to ten names per section, links to act."""
    context = notification.context
    recipient = notification.user
    organisation = session.get(Organisation, context.get("organisation_id"))
    if organisation is None or recipient is None or recipient.organisation_id != organisation.id \
            or not recipient.has_role("hr"):
        return None  # the recipient left the organisation or HR meanwhile
    certificates = _by_id(session, Certificate, context["new_certificate_ids"]
                          + context["expiring_certificate_ids"])
    learners = _by_id(session, User, context["stuck_learner_ids"])
    facts = {
        "organisation_name": organisation.name, "week": context["week"],
        "new_count": context["new_count"], "stuck_count": context["stuck_count"],
        "expiring_count": context["expiring_count"],
        "new_certificates": _listed(certificates, context["new_certificate_ids"]),
        "stuck_learners": _listed(learners, context["stuck_learner_ids"]),
        "expiring_certificates": _listed(certificates, context["expiring_certificate_ids"]),
        "dashboard_url": links.url("hr.dashboard"),
        "expiring_url": links.url("hr.dashboard", status="expiring"),
        "nudges_url": links.url("hr.nudges"),
    }
    return Mail(_("%(organisation)s this week: %(new)s, %(stuck)s, %(expiring)s",
                  organisation=organisation.name,
                  new=ngettext("%(num)d new certificate", "%(num)d new certificates",
                               facts["new_count"]),
                  stuck=ngettext("%(num)d learner stuck", "%(num)d learners stuck",
                                 facts["stuck_count"]),
                  expiring=ngettext("%(num)d expiring soon", "%(num)d expiring soon",
                                    facts["expiring_count"])), facts)


def _by_id(session: Session, model: type, ids: list[int]) -> dict[int, object]:
    """The rows of `model` with these ids (a certificate without its PDF), by id."""
    if not ids:
        return {}
    stmt = select(model).where(model.id.in_(ids))
    if model is Certificate:
        stmt = stmt.options(defer(Certificate.pdf), defer(Certificate.payload))
    return {row.id: row for row in session.scalars(stmt)}


def _listed(found: dict[int, object], ids: list[int]) -> list:
    """The rows of `ids` that still exist, in the order of `ids`."""
    return [found[row_id] for row_id in ids if row_id in found]
