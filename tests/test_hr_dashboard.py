"""The HR dashboard: the organisation's learners only, their progress, certificates and export."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from app.certificates import services as certificates
from app.courses import services as course_services
from app.hr import services
from app.models.quizzes import FINAL_EXAM_KEY
from tests.factories import meet_rule, statements_run
from tests.factories import take_quiz as take
from tests.hr_fixtures import course, org, other_org  # noqa: F401  (fixtures)

NOW = datetime.now(UTC)


def started(db, user, course, lessons: int) -> None:
    """Enrol and complete the first `lessons` lessons, passing each module's quiz on the way."""
    course_services.enroll(db.session, user, course, NOW - timedelta(days=10))
    done: dict[str, int] = {}
    for lesson in course.current_version.lessons[:lessons]:
        course_services.complete_lesson(db.session, user, course, lesson.module_slug,
                                        lesson.slug, NOW - timedelta(days=5))
        db.session.commit()
        done[lesson.module_slug] = done.get(lesson.module_slug, 0) + 1
        if done[lesson.module_slug] == 2 and lessons > 2:
            take(db, user, course, lesson.module_slug, NOW - timedelta(days=5))


@pytest.fixture
def people(db, make_user, course, org, other_org):
    """Acme: a certified learner, one expiring soon, one halfway, one not enrolled. Globex: one."""
    certified = make_user(name="Ada Certified", org=org)
    meet_rule(db, certified, course, NOW - timedelta(days=3))
    expiring = make_user(name="Eve Expiring", org=org)
    meet_rule(db, expiring, course, NOW - timedelta(days=730 - 20))
    halfway = make_user(name="Hal Halfway", org=org)
    started(db, halfway, course, 2)
    take(db, halfway, course, "foundations", NOW - timedelta(days=4))
    idle = make_user(name="=Ivy Idle", org=org, email="ivy@acme.example")
    outsider = make_user(name="Olga Outsider", org=other_org, email="olga@globex.example")
    started(db, outsider, course, 1)
    return {"certified": certified, "expiring": expiring, "halfway": halfway, "idle": idle,
            "outsider": outsider}


def test_staff_are_listed_only_once_they_enrol(db, make_user, org, people, course):
    hr = make_user("hr", name="Harriet HR", org=org)
    make_user("trainer", name="Trevor Trainer", org=org)
    rows = rows_by_name(db, org)
    assert "Harriet HR" not in rows and "Trevor Trainer" not in rows
    assert services.headline(list(rows.values())).learners == 4

    course_services.enroll(db.session, hr, course)
    db.session.commit()
    rows = rows_by_name(db, org)
    assert rows["Harriet HR"].course_slug == course.slug
    assert services.headline(list(rows.values())).learners == 5


def rows_by_name(db, org) -> dict[str, services.DashboardRow]:
    return {row.name: row for row in services.organisation_rows(db.session, org, NOW)}


# --- the rows -----------------------------------------------------------------------------------

def test_rows_show_progress_quizzes_exam_and_certificate(db, org, people):
    rows = rows_by_name(db, org)
    assert set(rows) == {"Ada Certified", "Eve Expiring", "Hal Halfway", "=Ivy Idle"}
    ada = rows["Ada Certified"]
    assert (ada.percent, ada.quizzes_passed, ada.quizzes_total, ada.exam) == (100, 2, 2, "passed")
    assert ada.certificate.state == "valid" and not ada.certificate.expiring_soon
    assert ada.stage == "certified"
    eve = rows["Eve Expiring"]
    assert eve.certificate.expiring_soon and eve.stage == "expiring"
    hal = rows["Hal Halfway"]
    assert (hal.lessons_done, hal.lessons_total, hal.percent) == (2, 4, 50)
    assert (hal.quizzes_passed, hal.exam, hal.certificate) == (1, "not taken", None)
    assert hal.stage == "in-progress"
    ivy = rows["=Ivy Idle"]
    assert ivy.course_slug is None and ivy.stage == "not-enrolled"


def test_a_failed_final_exam_shows_as_not_passed_yet(db, make_user, course, org):

    user = make_user(name="Fay Failed", org=org)
    started(db, user, course, 4)
    take(db, user, course, FINAL_EXAM_KEY, right=False, now=NOW - timedelta(days=1))
    row = rows_by_name(db, org)["Fay Failed"]
    assert row.exam == "failed" and row.exam_best_score is not None and row.certificate is None


def test_a_revoked_certificate_is_lapsed(db, org, people):
    code = rows_by_name(db, org)["Ada Certified"].certificate.code
    certificates.revoke(db.session, None, code, "Fraud.", NOW)
    db.session.commit()
    ada = rows_by_name(db, org)["Ada Certified"]
    assert ada.certificate.state == "revoked" and ada.stage == "lapsed"


@pytest.mark.parametrize("query, names", [
    (services.DashboardQuery(q="hal"), ["Hal Halfway"]),
    (services.DashboardQuery(q="IVY@ACME"), ["=Ivy Idle"]),
    (services.DashboardQuery(status="certified"), ["Ada Certified", "Eve Expiring"]),
    (services.DashboardQuery(status="expiring"), ["Eve Expiring"]),
    (services.DashboardQuery(status="not-enrolled"), ["=Ivy Idle"]),
    (services.DashboardQuery(status="in-progress"), ["Hal Halfway"]),
    (services.DashboardQuery(course="example-course", sort="progress"),
     ["Hal Halfway", "Ada Certified", "Eve Expiring"]),
    (services.DashboardQuery(sort="expiry"), ["Eve Expiring", "Ada Certified", "=Ivy Idle",
                                              "Hal Halfway"]),
    (services.DashboardQuery(sort="name", descending=True),
     ["Hal Halfway", "Eve Expiring", "Ada Certified", "=Ivy Idle"]),
    (services.DashboardQuery(sort="name"),
     ["=Ivy Idle", "Ada Certified", "Eve Expiring", "Hal Halfway"]),
])
def test_filters_and_sorting(db, org, people, query, names):
    rows = services.organisation_rows(db.session, org, NOW)
    assert [row.name for row in services.select_rows(rows, query)] == names


def test_the_number_of_queries_does_not_grow_with_the_learners(db, make_user, course, org,
                                                               make_org):
    def count(organisation) -> int:
        assert organisation.id  # loaded before counting
        return len(statements_run(db, lambda: services.organisation_rows(db.session,
                                                                        organisation, NOW)))

    small, large = make_org("Small"), make_org("Large")
    started(db, make_user(org=small), course, 1)
    for i in range(6):
        started(db, make_user(org=large), course, i % 3)
    db.session.expire_all()
    assert count(small) == count(large) <= 8


def test_the_chart_and_headline_count_the_organisation(db, org, people):
    rows = services.organisation_rows(db.session, org, NOW)
    chart = {bar.label: bar.count for bar in services.progress_chart(rows)}
    assert chart == {"Not started": 0, "Under half": 0, "Half or more": 1,
                     "All lessons done": 0, "Certified": 2, "Certificate lapsed": 0}
    assert services.headline(rows) == services.Headline(learners=4, enrolments=3, certified=2,
                                                        expiring=1)


# --- the pages ---------------------------------------------------------------------------------

def test_hr_sees_their_organisation_and_nobody_else(client, login_as, org, people):
    login_as("hr", org=org, name="Harper HR")
    response = client.get("/hr/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for name in ("Ada Certified", "Eve Expiring", "Hal Halfway", "=Ivy Idle"):
        assert name in html
    assert "Olga Outsider" not in html and "olga@globex.example" not in html
    assert 'class="is-expiring"' in html and "expires soon" in html
    assert "<svg" in html and "Where enrolments stand" in html


def test_the_other_organisation_sees_only_its_own(client, login_as, other_org, people):
    login_as("hr", org=other_org)
    html = client.get("/hr/").get_data(as_text=True)
    assert "Olga Outsider" in html and "Ada Certified" not in html
    csv_text = client.get("/hr/export.csv").get_data(as_text=True)
    assert "Olga Outsider" in csv_text and "Ada Certified" not in csv_text


def test_a_learner_of_another_organisation_is_not_found(client, login_as, org, people):
    login_as("hr", org=org)
    own = client.get(f"/hr/learners/{people['halfway'].id}")
    assert own.status_code == 200 and "Hal Halfway" in own.get_data(as_text=True)
    foreign = client.get(f"/hr/learners/{people['outsider'].id}")
    assert foreign.status_code == 404
    assert "Olga" not in foreign.get_data(as_text=True)
    assert client.get("/hr/learners/999999").status_code == 404


def test_the_dashboard_filters_from_the_query_string(client, login_as, org, people):
    login_as("hr", org=org)
    html = client.get("/hr/", query_string={"status": "expiring"}).get_data(as_text=True)
    assert "Eve Expiring" in html and "Hal Halfway" not in html
    odd = client.get("/hr/", query_string={"status": "'; drop", "sort": "x", "page": "-3"})
    assert odd.status_code == 200


def test_the_export_is_a_safe_csv_of_the_filtered_rows(client, login_as, org, people):
    login_as("hr", org=org, name="Harper HR")
    response = client.get("/hr/export.csv", query_string={"sort": "name"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][:3] == ["name", "email", "course"]
    # Every learner is listed (not the HR user, who is not enrolled); a name that looks like a
    # formula stays text.
    assert [row[0] for row in table[1:]] == ["'=Ivy Idle", "Ada Certified", "Eve Expiring",
                                            "Hal Halfway"]
    hal = table[4]
    assert hal[4] == "50" and hal[9] == "not taken"
    filtered = client.get("/hr/export.csv", query_string={"status": "certified"})
    assert filtered.get_data(as_text=True).count("\r\n") == 3


@pytest.mark.parametrize("path", ["/hr/", "/hr/export.csv", "/hr/learners/1", "/hr/verify/bulk"])
def test_learners_cannot_open_hr_pages(client, login_as, org, path):
    login_as("learner", org=org)
    assert client.get(path).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/hr/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_hr_without_an_organisation_gets_a_sentence(client, login_as):
    login_as("hr")
    response = client.get("/hr/")
    assert response.status_code == 404
    assert "does not belong to an organisation" in response.get_data(as_text=True)


def test_the_organisation_page_still_shows_the_invitation(client, login_as, org):
    login_as("hr", org=org)
    html = client.get("/hr/organisation").get_data(as_text=True)
    assert "Invite your people" in html and org.invite_token in html
