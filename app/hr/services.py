"""HR's view of its organisation: learners, progress per course, quiz results, certificates.

Everything is scoped to one organisation: queries select members by their organisation,
never by ids a request supplies. The dashboard is built in a fixed number of queries
whatever the number of learners; filtering, sorting and the chart work on those rows.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session, defer

from app.certificates.services import certificate_state
from app.courses.services import (
    ModuleRef, percent, version_outlines, versions_with_final_exam,
)
from app.models import (
    Certificate, Course, CourseVersion, Enrollment, LessonProgress, Organisation, QuizAttempt, User,
    UserRole,
)
from app.models.quizzes import FINAL_EXAM_KEY
from app import paging
from app.paging import Page

#: roles whose holders are listed only once they enrol: they run the programme, not take it
STAFF_ROLES = ("hr", "trainer", "admin")
#: a valid certificate expiring within this window is highlighted
EXPIRY_WARNING = timedelta(days=60)
STATUS_FILTERS = {
    "": _l("Everyone"),
    "not-enrolled": _l("Not enrolled"),
    "in-progress": _l("In progress"),
    "certified": _l("Certified"),
    "expiring": _l("Expiring in 60 days"),
    "lapsed": _l("Expired, suspended or revoked"),
}
SORTS = {"name": _l("Name"), "course": _l("Course"), "progress": _l("Progress"),
         "expiry": _l("Expiry"), "enrolled": _l("Enrolled")}
PAGE_SIZE = 50


@dataclass(frozen=True)
class CertificateSummary:
    """A learner's certificate for a course, as HR sees it."""

    code: str
    state: str
    issued_at: datetime
    expires_at: datetime | None
    expiring_soon: bool


@dataclass(frozen=True)
class DashboardRow:
    """One learner in one course (or a member not enrolled in any course)."""

    learner_id: int
    name: str
    email: str
    course_slug: str | None = None
    course_title: str | None = None
    enrolled_at: datetime | None = None
    last_activity_at: datetime | None = None
    lessons_done: int = 0
    lessons_total: int = 0
    quizzes_passed: int = 0
    quizzes_total: int = 0
    exam: str = "none"
    exam_best_score: float | None = None
    certificate: CertificateSummary | None = None

    @property
    def percent(self) -> int:
        """Lessons of the course's current version completed, in whole percent."""
        return percent(self.lessons_done, self.lessons_total)

    @property
    def stage(self) -> str:
        """not-enrolled, in-progress, certified, expiring or lapsed (see STATUS_FILTERS)."""
        if self.course_slug is None:
            return "not-enrolled"
        if self.certificate is None:
            return "in-progress"
        if self.certificate.state == "valid":
            return "expiring" if self.certificate.expiring_soon else "certified"
        if self.certificate.state == "superseded":
            return "certified"
        return "lapsed"


@dataclass(frozen=True)
class DashboardQuery:
    """What HR asked to see: a search, a course, a stage, and an order."""

    q: str = ""
    course: str = ""
    status: str = ""
    sort: str = "name"
    descending: bool = False


@dataclass(frozen=True)
class ChartBar:
    """One bar of the progress chart."""

    label: str
    count: int
    share: float


# --- building the rows ------------------------------------------------------------------------

def organisation_rows(session: Session, org: Organisation, now: datetime, *,
                      learner_ids: Sequence[int] | None = None) -> list[DashboardRow]:
    """Every learner of the organisation, one row per enrolled course: eight queries in all.

    :param learner_ids: only these members (still only those who belong to the organisation),
        in the order given
    """
    # HR, trainers and admins of the organisation are listed only once they enrol in a course
    staff = exists().where(UserRole.user_id == User.id, UserRole.role.in_(STAFF_ROLES))
    members_stmt = select(User.id, User.name, User.email, staff.label("staff")) \
        .where(User.organisation_id == org.id)
    if learner_ids is not None:
        members_stmt = members_stmt.where(User.id.in_(learner_ids))
    members = session.execute(members_stmt).all()
    if learner_ids is not None:
        position = {learner: index for index, learner in enumerate(learner_ids)}
        members.sort(key=lambda member: position[member[0]])
    member_ids = _member_ids(org, learner_ids)
    enrolments = session.execute(
        select(Enrollment.user_id, Enrollment.course_id, Enrollment.enrolled_at,
               Enrollment.last_viewed_at, Course.slug, CourseVersion.id, CourseVersion.title,
               CourseVersion.content_hash)
        .join(Course, Enrollment.course_id == Course.id)
        .join(CourseVersion, Course.current_version_id == CourseVersion.id)
        .where(Enrollment.user_id.in_(member_ids))
    ).all()
    version_ids = {row[5] for row in enrolments}
    outlines = version_outlines(session, {(row[5], row[7]) for row in enrolments})
    with_exam = versions_with_final_exam(session, version_ids)
    completions = _completions(session, member_ids)
    quizzes = _quiz_results(session, member_ids)
    certificates = _certificates(session, member_ids, now)
    rows = []
    enrolled = {}
    for user_id, course_id, enrolled_at, last_viewed_at, slug, version_id, title, _ in enrolments:
        enrolled.setdefault(user_id, []).append(
            (course_id, enrolled_at, last_viewed_at, slug, version_id, title))
    for user_id, name, email, is_staff in members:
        person = {"learner_id": user_id, "name": name, "email": email}
        courses = enrolled.get(user_id, [])
        if not courses and not is_staff:
            rows.append(DashboardRow(**person))
        for course_id, enrolled_at, last_viewed_at, slug, version_id, title in courses:
            key = (user_id, course_id)
            rows.append(DashboardRow(
                **person, course_slug=slug, course_title=title, enrolled_at=enrolled_at,
                last_activity_at=last_viewed_at,
                **_progress(outlines.get(version_id, ()), completions.get(key, set()),
                            quizzes.get(key, {}), version_id in with_exam),
                certificate=certificates.get(key),
            ))
    return rows


def _member_ids(org: Organisation, learner_ids: Sequence[int] | None = None):
    """SQL: the ids of the organisation's members (a subquery, so no id list travels)."""
    stmt = select(User.id).where(User.organisation_id == org.id)
    if learner_ids is not None:
        stmt = stmt.where(User.id.in_(learner_ids))
    return stmt.scalar_subquery()


def _completions(session: Session, member_ids) -> dict[tuple[int, int], set[tuple[str, str]]]:
    """Completed (module, lesson) slugs per (learner, course)."""
    found: dict[tuple[int, int], set[tuple[str, str]]] = {}
    rows = session.execute(
        select(LessonProgress.user_id, LessonProgress.course_id, LessonProgress.module_slug,
               LessonProgress.lesson_slug).where(LessonProgress.user_id.in_(member_ids)))
    for user_id, course_id, module_slug, lesson_slug in rows:
        found.setdefault((user_id, course_id), set()).add((module_slug, lesson_slug))
    return found


def _quiz_results(session: Session,
                  member_ids) -> dict[tuple[int, int], dict[str, tuple[bool, float | None]]]:
    """Per (learner, course) and quiz key: passed at least once, and the best score."""
    passed_once = func.max(case((QuizAttempt.passed.is_(True), 1), else_=0))
    rows = session.execute(
        select(QuizAttempt.user_id, QuizAttempt.course_id, QuizAttempt.quiz_key,
               func.max(QuizAttempt.score), passed_once)
        .where(QuizAttempt.user_id.in_(member_ids), QuizAttempt.status == "submitted")
        .group_by(QuizAttempt.user_id, QuizAttempt.course_id, QuizAttempt.quiz_key))
    found: dict[tuple[int, int], dict[str, tuple[bool, float | None]]] = {}
    for user_id, course_id, quiz_key, best, passed in rows:
        found.setdefault((user_id, course_id), {})[quiz_key] = (bool(passed), best)
    return found


def _certificates(session: Session, member_ids,
                  now: datetime) -> dict[tuple[int, int], CertificateSummary]:
    """Per (learner, course): the live certificate, else the latest one."""
    found: dict[tuple[int, int], Certificate] = {}
    rows = session.scalars(
        select(Certificate).options(defer(Certificate.pdf), defer(Certificate.payload))
        .where(Certificate.user_id.in_(member_ids)).order_by(Certificate.issued_at))
    for certificate in rows:
        key = (certificate.user_id, certificate.course_id)
        current = found.get(key)
        if current is None or current.status not in ("active", "suspended"):
            found[key] = certificate
    return {key: _summary(certificate, now) for key, certificate in found.items()}


def _summary(certificate: Certificate, now: datetime) -> CertificateSummary:
    state = certificate_state(certificate, now)
    expiring = state == "valid" and certificate.expires_at is not None \
        and certificate.expires_at - now <= EXPIRY_WARNING
    return CertificateSummary(certificate.code, state, certificate.issued_at,
                              certificate.expires_at, expiring)


def _progress(outline: Sequence[ModuleRef], done: set[tuple[str, str]],
              quizzes: dict[str, tuple[bool, float | None]], has_exam: bool) -> dict:
    """Progress fields of a row, counted against the course's current version."""
    lessons = [lesson.key for module in outline for lesson in module.lessons]
    module_quizzes = [module.slug for module in outline if module.has_quiz]
    exam_passed, exam_best = quizzes.get(FINAL_EXAM_KEY, (False, None))
    if not has_exam:
        exam = "none"
    elif exam_passed:
        exam = "passed"
    else:
        exam = "failed" if FINAL_EXAM_KEY in quizzes else "not taken"
    return {
        "lessons_done": sum(key in done for key in lessons),
        "lessons_total": len(lessons),
        "quizzes_passed": sum(quizzes.get(slug, (False, None))[0] for slug in module_quizzes),
        "quizzes_total": len(module_quizzes),
        "exam": exam,
        "exam_best_score": exam_best,
    }


# --- filtering, sorting, the chart and the export ------------------------------------------

def select_rows(rows: Iterable[DashboardRow], query: DashboardQuery) -> list[DashboardRow]:
    """The rows matching a search, course and stage, in the order asked for."""
    return sorted(filter_rows(rows, query), key=_SORT_KEYS.get(query.sort, _SORT_KEYS["name"]),
                  reverse=query.descending)


def filter_rows(rows: Iterable[DashboardRow], query: DashboardQuery) -> list[DashboardRow]:
    """The rows matching a search, course and stage, in the order given."""
    needle = query.q.strip().lower()
    return [
        row for row in rows
        if (not needle or needle in row.name.lower() or needle in row.email.lower())
        and (not query.course or row.course_slug == query.course)
        and (not query.status or row.stage == query.status
             or (query.status == "certified" and row.stage == "expiring"))
    ]


_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def _expiry_key(row: DashboardRow) -> tuple:
    expires = row.certificate.expires_at if row.certificate else None
    return expires is None, expires or _FAR_FUTURE, row.name.lower()


_SORT_KEYS = {
    "name": lambda row: (row.name.lower(), row.course_title or ""),
    "course": lambda row: (row.course_title is None, row.course_title or "", row.name.lower()),
    "progress": lambda row: (row.percent, row.exam == "passed", row.name.lower()),
    "expiry": _expiry_key,
    "enrolled": lambda row: (row.enrolled_at is None, row.enrolled_at or _FAR_FUTURE,
                             row.name.lower()),
}


def course_choices(rows: Iterable[DashboardRow]) -> list[tuple[str, str]]:
    """(slug, title) of the courses the organisation's learners are enrolled in, by title."""
    courses = {row.course_slug: row.course_title for row in rows if row.course_slug}
    return sorted(courses.items(), key=lambda item: item[1] or "")


@dataclass(frozen=True)
class Headline:
    """The numbers at the top of the dashboard."""

    learners: int
    enrolments: int
    certified: int
    expiring: int


def headline(rows: Sequence[DashboardRow]) -> Headline:
    """How many learners, enrolments, valid certificates and ones expiring soon."""
    return Headline(
        learners=len({row.learner_id for row in rows}),
        enrolments=sum(row.course_slug is not None for row in rows),
        certified=sum(row.stage in ("certified", "expiring") for row in rows),
        expiring=sum(row.stage == "expiring" for row in rows),
    )


def progress_chart(rows: Iterable[DashboardRow]) -> list[ChartBar]:
    """How the organisation's enrolments spread from not started to certified (or lapsed)."""
    buckets = dict.fromkeys(CHART_BUCKETS, 0)
    for row in rows:
        if row.course_slug is not None:
            buckets[_bucket(row)] += 1
    largest = max(buckets.values()) or 1
    return [ChartBar(label, count, count / largest) for label, count in buckets.items()]


CHART_BUCKETS = ("Not started", "Under half", "Half or more", "All lessons done", "Certified",
                 "Certificate lapsed")


def _bucket(row: DashboardRow) -> str:
    """The chart bar an enrolment counts in."""
    if row.stage in ("certified", "expiring"):
        return "Certified"
    if row.stage == "lapsed":
        return "Certificate lapsed"
    if row.lessons_done == 0:
        return "Not started"
    if row.percent < 50:
        return "Under half"
    return "Half or more" if row.percent < 100 else "All lessons done"


EXPORT_HEADER = ("name", "email", "course", "enrolled on", "progress %", "lessons done",
                 "lessons", "module quizzes passed", "module quizzes", "final exam",
                 "best exam score %", "certificate code", "certificate status", "issued on",
                 "expires on")


def export_cells(row: DashboardRow) -> list[object]:
    """One row of the export, in the order of EXPORT_HEADER."""
    certificate = row.certificate
    return [
        row.name, row.email, row.course_title or "",
        row.enrolled_at.date().isoformat() if row.enrolled_at else "",
        row.percent if row.course_slug else "", row.lessons_done, row.lessons_total,
        row.quizzes_passed, row.quizzes_total, row.exam if row.course_slug else "",
        f"{row.exam_best_score:g}" if row.exam_best_score is not None else "",
        certificate.code if certificate else "", certificate.state if certificate else "",
        certificate.issued_at.date().isoformat() if certificate else "",
        certificate.expires_at.date().isoformat() if certificate and certificate.expires_at
        else "",
    ]


def find_member(session: Session, org: Organisation, user_id: int) -> User | None:
    """A member of the organisation by id; None for anyone else (no hint they exist)."""
    return session.scalar(select(User).where(User.id == user_id,
                                             User.organisation_id == org.id))


def members(session: Session, org: Organisation) -> list[User]:
    """The organisation's members, by name."""
    return list(session.scalars(select(User).where(User.organisation_id == org.id)
                                .order_by(User.name)))


def paginate(rows: Sequence[DashboardRow], page: int, per_page: int = PAGE_SIZE) -> Page:
    """The page-th slice of rows (pages count from 1; out-of-range pages are clamped)."""
    return paging.paginate(rows, page, per_page)
