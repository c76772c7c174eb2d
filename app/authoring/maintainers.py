"""Who may edit a course in the studio: its maintainers, and admins.

A maintainer is a trainer an admin assigned to the course, or the trainer who created it in the
studio. Admins edit every course, so a course nobody maintains (one the importer made, until
someone is assigned) is theirs alone. The studio's blueprint asks `may_edit` before any view of
a course runs; assigning and removing maintainers is for admins (or the command line, where
`actor` is None) and goes on the course's audit trail.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from app.audit import record
from app.auth.services import find_user_by_email
from app.authoring.errors import AlreadyMaintainer, MaintainerRefused, NotAMaintainer, NotAllowed
from app.models import Course, CourseMaintainer, User

#: the role a maintainer must hold
MAINTAINER_ROLE = "trainer"


def may_edit(session: Session, user: User, course: Course) -> bool:
    """True when `user` may open and change `course` in the studio."""
    if user.has_role("admin"):
        return True
    return user.has_role(MAINTAINER_ROLE) and is_maintainer(session, user, course)


def is_maintainer(session: Session, user: User, course: Course) -> bool:
    """True when `user` was assigned to `course` (whatever their roles are now)."""
    return session.get(CourseMaintainer, (course.id, user.id)) is not None


def may_assign(user: User | None) -> bool:
    """True when `user` may assign and remove maintainers (None: the command line)."""
    return user is None or user.has_role("admin")


def editable_by(user: User) -> ColumnElement[bool]:
    """A condition on `Course` that holds for the courses `user` may edit."""
    if user.has_role("admin"):
        return true()
    if not user.has_role(MAINTAINER_ROLE):
        return false()
    return Course.id.in_(select(CourseMaintainer.course_id)
                         .where(CourseMaintainer.user_id == user.id))


def course_maintainers(session: Session, course: Course) -> list[CourseMaintainer]:
    """The course's maintainers (with their accounts), in the order they were added."""
    return list(session.scalars(
        select(CourseMaintainer).where(CourseMaintainer.course_id == course.id)
        .options(joinedload(CourseMaintainer.user))
        .order_by(CourseMaintainer.added_at, CourseMaintainer.user_id)))


def maintainer_names(session: Session) -> dict[int, list[str]]:
    """The names of every course's maintainers, by course id (for the studio's list)."""
    names: dict[int, list[str]] = {}
    rows = session.execute(select(CourseMaintainer.course_id, User.name)
                           .join(User, User.id == CourseMaintainer.user_id)
                           .order_by(User.name))
    for course_id, name in rows:
        names.setdefault(course_id, []).append(name)
    return names


def add_maintainer(session: Session, actor: User | None, course: Course, email: str,
                   now: datetime) -> CourseMaintainer:
    """Make the trainer with this email a maintainer of `course`.

    :param actor: the admin assigning, or None on the command line
    :raises NotAllowed: the actor is not an admin.
    :raises MaintainerRefused: no account has that email, or it is not a trainer's.
    :raises AlreadyMaintainer: the trainer maintains the course already.
    """
    _check_assigner(actor)
    user = find_user_by_email(session, email)
    if user is None:
        raise MaintainerRefused(_l("No account has the email %(email)s.",
                                   email=repr(email.strip())))
    if not user.has_role(MAINTAINER_ROLE):
        raise MaintainerRefused(_l("%(email)s is not a trainer: grant the trainer role first.",
                                   email=user.email))
    if is_maintainer(session, user, course):
        raise AlreadyMaintainer(_l("%(email)s maintains %(course)s already.", email=user.email,
                                   course=course.slug))
    return _assign(session, actor, course, user, now)


def appoint_creator(session: Session, creator: User, course: Course,
                    now: datetime) -> CourseMaintainer | None:
    """The trainer who creates a course becomes its first maintainer (an admin who is not a
    trainer edits it anyway and is not made one)."""
    if not creator.has_role(MAINTAINER_ROLE):
        return None
    return _assign(session, creator, course, creator, now)


def remove_maintainer(session: Session, actor: User | None, course: Course, email: str) -> User:
    """Stop the account with this email maintaining `course`; returns that account.

    :raises NotAllowed: the actor is not an admin.
    :raises NotAMaintainer: the account does not maintain the course.
    """
    _check_assigner(actor)
    user = find_user_by_email(session, email)
    row = session.get(CourseMaintainer, (course.id, user.id)) if user is not None else None
    if row is None:
        raise NotAMaintainer(_l("%(email)s does not maintain %(course)s.", email=email.strip(),
                                course=course.slug))
    session.delete(row)
    session.flush()
    record(session, actor, "studio.maintainer.remove", "course", course.id,
           summary=f"{user.email} no longer maintains {course.slug}", user_id=user.id,
           email=user.email)
    return user


def _check_assigner(actor: User | None) -> None:
    if not may_assign(actor):
        raise NotAllowed(_l("Only administrators assign and remove a course's maintainers."))


def _assign(session: Session, actor: User | None, course: Course, user: User,
            now: datetime) -> CourseMaintainer:
    """Insert the maintainer row and its audit entry; a simultaneous assignment is a conflict."""
    row = CourseMaintainer(course_id=course.id, user_id=user.id, added_at=now,
                           added_by_id=actor.id if actor is not None else None, user=user)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise AlreadyMaintainer(_l("%(email)s maintains %(course)s already.", email=user.email,
                                   course=course.slug)) from None
    record(session, actor, "studio.maintainer.add", "course", course.id,
           summary=f"{user.email} maintains {course.slug}", user_id=user.id, email=user.email)
    return row
