"""The weekly HR digest: its three sections, who receives it, once a week, and its cost."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.courses import services as course_services
from app.hr import digest
from app.hr.tasks import weekly_digest
from app.jobs import job_queue, jobs
from tests.factories import meet_rule, statements_run
from tests.mailbox import html_of, links_in, path_of, sent_mails, text_of
from tests.hr_fixtures import course, org  # noqa: F401  (fixtures)

NOW = datetime.now(UTC)


@pytest.fixture
def seeded(db, make_user, course, org, make_org):
    """Acme: HR who takes digests, HR who turned them off, a new certificate, a stuck learner,
    a certificate expiring in 20 days, an active learner. Quiet Ltd: HR and nothing to report."""
    harriet = make_user("hr", org=org, name="Harriet HR", email="harriet@acme.example")
    hugo = make_user("hr", org=org, name="Hugo HR", email="hugo@acme.example")
    hugo.mail_digests = False
    nadia = make_user(org=org, name="Nadia New")
    meet_rule(db, nadia, course, NOW - timedelta(days=2))
    sam = make_user(org=org, name="Sam Stuck")
    course_services.enroll(db.session, sam, course, NOW - timedelta(days=30))
    eve = make_user(org=org, name="Eve Expiring")
    meet_rule(db, eve, course, NOW - timedelta(days=730 - 20))
    alex = make_user(org=org, name="Alex Active")
    course_services.enroll(db.session, alex, course, NOW - timedelta(days=3))
    quiet = make_org("Quiet Ltd")
    make_user("hr", org=quiet, email="quinn@quiet.example")
    db.session.commit()
    return {"harriet": harriet, "hugo": hugo, "course": course}


def digests(app, to: str | None = None):
    return [m for m in sent_mails(app, to=to) if "this week:" in m["Subject"]]


def run_job(app) -> None:
    """Enqueue the periodic job by name and let the queue run it, as the consumer would."""
    job_queue(app).enqueue("hr.weekly_digest")
    job_queue(app).run_pending()


def test_the_job_is_declared_for_monday_mornings():
    spec = jobs.specs["hr.weekly_digest"]
    assert spec.function is weekly_digest
    assert spec.schedule == {"minute": "0", "hour": "7", "day_of_week": "1"}


def test_the_digest_has_its_three_sections(app, seeded):
    run_job(app)
    (mail,) = digests(app, to="harriet@acme.example")
    assert mail["Subject"].strip() == ("Acme Corp this week: 1 new certificate, 1 learner stuck, "
                               "1 expiring soon")
    text = text_of(mail)
    assert "New certificates (last 7 days): 1" in text and "Nadia New" in text
    assert "Learners stuck (no activity for 14 days): 1" in text and "Sam Stuck" in text
    assert "Certificates expiring in the next 60 days: 1" in text and "Eve Expiring" in text
    assert "Alex Active" not in text
    assert seeded["course"].title in text
    paths = [path_of(link) for link in links_in(mail)]
    assert "/hr/" in paths and "/hr/?status=expiring" in paths and "/hr/nudges" in paths
    assert "Nadia New" in html_of(mail)


def test_hr_who_turned_digests_off_and_quiet_organisations_get_none(app, seeded):
    run_job(app)
    assert digests(app, to="hugo@acme.example") == []
    assert digests(app, to="quinn@quiet.example") == []
    assert len(digests(app)) == 1


def test_running_twice_in_a_week_sends_one(app, db, seeded):
    run_job(app)
    run_job(app)
    assert len(digests(app, to="harriet@acme.example")) == 1
    second = digest.send_weekly_digests(db.session, NOW)
    assert second.mails == 0 and second.organisations == 1


def test_next_week_sends_again(app, db, seeded):
    assert digest.send_weekly_digests(db.session, NOW - timedelta(days=7)).mails == 1
    db.session.commit()
    run_job(app)
    assert len(digests(app, to="harriet@acme.example")) == 2


def test_the_unsubscribe_link_turns_digests_off_in_one_click(app, db, seeded):
    run_job(app)
    (mail,) = digests(app, to="harriet@acme.example")
    url = mail["List-Unsubscribe"].strip("<>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    response = app.test_client().post(path_of(url), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.refresh(seeded["harriet"])
    assert seeded["harriet"].mail_digests is False
    assert digest.send_weekly_digests(db.session, NOW + timedelta(days=7)).mails == 0


def test_a_recipient_who_left_hr_meanwhile_gets_nothing(app, db, seeded):
    digest.send_weekly_digests(db.session, NOW)
    db.session.commit()
    seeded["harriet"].role_grants.clear()
    db.session.commit()
    assert digests(app) == []


def test_each_section_lists_ten_names_and_counts_all(app, db, make_user, course, org):
    make_user("hr", org=org, email="harriet@acme.example")
    for n in range(12):
        learner = make_user(org=org, name=f"Stuck Learner {n:02d}")
        course_services.enroll(db.session, learner, course, NOW - timedelta(days=20))
    db.session.commit()
    facts = digest.digest_facts(db.session, org, NOW)
    assert facts.stuck_count == 12 and len(facts.stuck_learner_ids) == 10
    digest.send_weekly_digests(db.session, NOW)
    db.session.commit()
    text = text_of(digests(app)[0])
    assert text.count("- Stuck Learner") == 10 and "and 2 more." in text


def test_the_facts_take_a_fixed_number_of_queries(db, make_user, course, org):
    def count() -> int:
        db.session.refresh(org)
        return len(statements_run(db, lambda: digest.digest_facts(db.session, org, NOW)))

    first = make_user(org=org)
    meet_rule(db, first, course, NOW - timedelta(days=1))
    few = count()
    for n in range(5):
        learner = make_user(org=org)
        course_services.enroll(db.session, learner, course, NOW - timedelta(days=20))
        if n % 2:
            meet_rule(db, learner, course, NOW - timedelta(days=3))
    db.session.commit()
    assert count() == few == 5
