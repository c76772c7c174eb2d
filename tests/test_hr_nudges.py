"""HR's reminders to learners who have not started or stopped: whom, how often, and abuse."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.courses import services as course_services
from app.hr import nudges
from app.models import AuditEvent, Notification
from tests.conftest import log_in
from tests.factories import meet_rule, statements_run
from tests.mailbox import links_in, path_of, sent_mails, text_of
from tests.hr_fixtures import course, org, other_org  # noqa: F401  (fixtures)

NOW = datetime.now(UTC)


def enrol(db, user, course, when: datetime, lessons: int = 0) -> None:
    """Enrol at `when` and complete the first `lessons` lessons then."""
    course_services.enroll(db.session, user, course, when)
    for lesson in course.current_version.lessons[:lessons]:
        course_services.complete_lesson(db.session, user, course, lesson.module_slug,
                                        lesson.slug, when)
        course_services.record_lesson_view(db.session, user, course, lesson.module_slug,
                                           lesson.slug, when)
    db.session.commit()


@pytest.fixture
def people(db, make_user, course, org, other_org):
    """Acme: one not started, one idle for 20 days, one active, one certified, one who turned
    reminders off, one not enrolled. Globex: one not started."""
    nora = make_user(org=org, name="Nora NotStarted", email="nora@acme.example")
    enrol(db, nora, course, NOW - timedelta(days=2))
    ian = make_user(org=org, name="Ian Idle", email="ian@acme.example")
    enrol(db, ian, course, NOW - timedelta(days=20), lessons=1)
    ada = make_user(org=org, name="Ada Active", email="ada@acme.example")
    enrol(db, ada, course, NOW - timedelta(days=1), lessons=1)
    cat = make_user(org=org, name="Cat Certified", email="cat@acme.example")
    meet_rule(db, cat, course, NOW - timedelta(days=30))
    otto = make_user(org=org, name="Otto OptedOut", email="otto@acme.example")
    otto.mail_nudges = False
    enrol(db, otto, course, NOW - timedelta(days=3))
    make_user(org=org, name="Una Unenrolled")
    olga = make_user(org=other_org, name="Olga Outsider", email="olga@globex.example")
    enrol(db, olga, course, NOW - timedelta(days=2))
    return {"nora": nora, "ian": ian, "ada": ada, "cat": cat, "otto": otto, "olga": olga}


@pytest.fixture
def hr(login_as, org):
    return login_as("hr", org=org, name="Harriet HR")


def nudge_mails(app, to: str | None = None):
    return [m for m in sent_mails(app, to=to) if "A reminder to continue" in m["Subject"]]


def notification_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "nudge"))


def test_the_page_lists_who_may_need_a_reminder(client, hr, people):
    html = client.get("/hr/nudges").get_data(as_text=True)
    for name in ("Nora NotStarted", "Ian Idle", "Otto OptedOut"):
        assert name in html
    for name in ("Ada Active", "Cat Certified", "Una Unenrolled", "Olga Outsider"):
        assert name not in html
    assert "not started" in html and "no activity since" in html
    assert "Turned these reminders off" in html
    assert "checked" not in html
    everyone = client.get("/hr/nudges?select=all").get_data(as_text=True)
    assert everyone.count(" checked") == 2  # Otto cannot be reminded: his box is disabled
    dashboard = client.get("/hr/").get_data(as_text=True)
    assert 'href="/hr/nudges"' in dashboard and 'href="/hr/invitations"' in dashboard


def test_a_reminder_names_the_course_and_links_back_to_it(app, db, browser, hr, people, course):
    response = browser.post("/hr/nudges", {"learner": [people["nora"].id, people["ian"].id]})
    assert response.status_code == 303
    assert "2 reminders sent" in browser.get("/hr/nudges").get_data(as_text=True)
    mails = nudge_mails(app)
    assert sorted(m["To"] for m in mails) == ["ian@acme.example", "nora@acme.example"]
    ian_mail = next(m for m in mails if m["To"] == "ian@acme.example")
    body = text_of(ian_mail)
    assert course.title in body and "Harriet HR at Acme Corp" in body
    lesson = course.current_version.lessons[0]
    resume = next(link for link in links_in(ian_mail) if "/courses/" in link)
    assert path_of(resume) == f"/courses/{course.slug}/{lesson.module_slug}/{lesson.slug}"
    nora_mail = next(m for m in mails if m["To"] == "nora@acme.example")
    assert any(path_of(link) == f"/courses/{course.slug}" for link in links_in(nora_mail))
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.nudge"))
    assert sorted(audit.details["learners"]) == sorted([people["nora"].id, people["ian"].id])

    learner = app.test_client()
    log_in(learner, people["ian"])
    assert learner.get(path_of(resume)).status_code == 200


def test_a_second_reminder_within_7_days_is_skipped(app, db, browser, hr, people, org):
    browser.post("/hr/nudges", {"learner": [people["nora"].id]})
    browser.post("/hr/nudges", {"learner": [people["nora"].id]})
    assert "1 skipped: reminded in the last 7 days" in \
        browser.get("/hr/nudges").get_data(as_text=True)
    assert len(nudge_mails(app, to="nora@acme.example")) == 1

    six_days = nudges.nudge(db.session, org, hr, [people["nora"].id], NOW + timedelta(days=6))
    assert six_days == nudges.NudgeReport(sent=0, skipped_recent=1, skipped_opted_out=0)
    eight_days = nudges.nudge(db.session, org, hr, [people["nora"].id], NOW + timedelta(days=8))
    assert eight_days.sent == 1


def test_two_hr_people_at_once_send_one_reminder(db, make_user, org, people):
    first, second = make_user("hr", org=org), make_user("hr", org=org)
    report = nudges.nudge(db.session, org, first, [people["nora"].id], NOW)
    assert report.sent == 1
    # the second request read "never reminded" before the first one's row existed: the weekly
    # key still writes nothing
    nudges._nudge_one(db.session, org, second, people["nora"],
                      nudges._due_by_learner(
                          nudges.enrolment_activity(db.session, org, NOW), NOW)[people["nora"].id],
                      None, NOW)
    assert notification_count(db) == 1


def test_a_learner_who_turned_reminders_off_is_skipped_and_counted(app, db, browser, hr, people,
                                                                   org):
    report = nudges.nudge(db.session, org, hr, [people["otto"].id, people["nora"].id], NOW)
    db.session.commit()
    assert report == nudges.NudgeReport(sent=1, skipped_recent=0, skipped_opted_out=1)
    assert nudge_mails(app, to="otto@acme.example") == []


def test_learners_with_nothing_to_resume_are_skipped(db, hr, people, org):
    report = nudges.nudge(db.session, org, hr, [people["ada"].id, people["cat"].id], NOW)
    assert report == nudges.NudgeReport(sent=0, skipped_recent=0, skipped_opted_out=0,
                                        skipped_not_due=2)


def test_another_organisations_learner_is_a_404_and_nothing_is_sent(app, db, browser, hr,
                                                                    people):
    response = browser.post("/hr/nudges", {"learner": [people["nora"].id, people["olga"].id]})
    assert response.status_code == 404
    assert "Olga" not in response.get_data(as_text=True)
    assert notification_count(db) == 0 and nudge_mails(app) == []
    assert browser.post("/hr/nudges", {"learner": [999999]}).status_code == 404
    assert notification_count(db) == 0


def test_a_post_without_the_form_token_sends_nothing(app, db, client, hr, people):
    assert client.post("/hr/nudges", data={"learner": [people["nora"].id]}).status_code == 400
    assert notification_count(db) == 0


@pytest.mark.parametrize("ids", [["abc"], ["1e3"], ["-1"], ["1" * 20]])
def test_ids_that_are_not_ids_are_a_400(browser, hr, people, ids):
    assert browser.post("/hr/nudges", {"learner": ids}).status_code == 400


def test_nothing_ticked_goes_back_with_a_sentence(browser, hr, people):
    response = browser.post("/hr/nudges", {})
    assert response.status_code == 303
    assert "Choose at least one learner" in browser.get("/hr/nudges").get_data(as_text=True)


def test_learners_cannot_send_reminders(client, login_as, org, people):
    login_as("learner", org=org)
    assert client.get("/hr/nudges").status_code == 403


def test_the_unsubscribe_link_turns_reminders_off_in_one_click(app, db, browser, hr, people):
    browser.post("/hr/nudges", {"learner": [people["nora"].id]})
    (mail,) = nudge_mails(app, to="nora@acme.example")
    header = mail["List-Unsubscribe"]
    assert header and mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header.strip("<>")
    assert url in links_in(mail)
    mail_client = app.test_client()  # no session, no CSRF token: RFC 8058 one-click
    assert mail_client.post(path_of(url), data={"List-Unsubscribe": "One-Click"}).status_code == 200
    db.session.refresh(people["nora"])
    assert people["nora"].mail_nudges is False


def test_the_candidates_take_a_fixed_number_of_queries(db, make_user, course, org):
    def count() -> int:
        return len(statements_run(db, lambda: nudges.candidates(db.session, org, NOW)))

    learner = make_user(org=org)
    enrol(db, learner, course, NOW - timedelta(days=3))
    db.session.refresh(org)
    few = count()
    for _ in range(6):
        enrol(db, make_user(org=org), course, NOW - timedelta(days=30), lessons=1)
    db.session.refresh(org)
    assert count() == few == 2
