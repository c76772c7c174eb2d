"""Earning the certificate: the final exam's result page celebrates a valid certificate (and only
a valid one), the dashboard and the course page say "Certified", the LinkedIn link is the
holder's alone, and a course with a capstone says what happens next."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.capstones import submissions
from app.certificates import services
from app.courses.earned import next_course
from app.models import QuizAttempt
from app.models.quizzes import FINAL_EXAM_KEY
from tests.capstone_fixtures import CAPSTONE_COURSE_TITLE, capstone_course  # noqa: F401
from tests.factories import import_example_course, meet_rule, ready_for_exam, take_quiz

COURSE_TITLE = "OKR Essentials"


def now() -> datetime:
    return datetime.now(UTC)


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def words(response) -> str:
    """The page's text without its tags."""
    return re.sub(r"<[^>]+>", "", page_text(response))


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def holder(db, make_user, course):
    user = make_user(name="Morgan Holder")
    meet_rule(db, user, course, now())
    return user


@pytest.fixture
def certificate(db, holder, course):
    return services.live_certificate(db.session, holder, course)


def exam_attempt(db, user, course) -> QuizAttempt:
    return db.session.scalar(select(QuizAttempt).where(
        QuizAttempt.user_id == user.id, QuizAttempt.course_id == course.id,
        QuizAttempt.quiz_key == FINAL_EXAM_KEY).order_by(QuizAttempt.id.desc()).limit(1))


def result_page(client, db, user, course) -> str:
    response = client.get(f"/attempts/{exam_attempt(db, user, course).id}/result")
    assert response.status_code == 200
    return page_text(response)


# --- the result page ----------------------------------------------------------------------------

def test_the_result_page_celebrates_a_valid_certificate(app, client, db, login_as, holder,
                                                        course, certificate):
    login_as(holder)
    text = result_page(client, db, holder, course)
    assert f"You are certified in {COURSE_TITLE}" in text
    assert f"Valid until {certificate.expires_at.day} " in text
    assert f'src="/certificates/{certificate.code}/preview.png"' in text
    assert f'href="/certificates/{certificate.code}/certificate.pdf"' in text
    assert f'href="/certificates/{certificate.code}/linkedin"' in text
    share = f'{app.config["PUBLIC_BASE_URL"]}/verify/{certificate.code}'
    assert f'value="{share}"' in text and f'href="{share}"' in text
    assert 'data-copy="share-link" hidden>Copy link</button>' in text
    assert "/static/js/earned" in text and "your certificates page" in text


def test_the_share_link_is_the_one_the_certificate_signs(app, client, db, login_as, holder,
                                                         course, certificate):
    login_as(holder)
    text = result_page(client, db, holder, course)
    facts = services.certificate_facts(db.session, certificate, "OKR Academy")
    assert f'value="{facts.payload.verify_url}"' in text


def test_the_result_page_suggests_the_next_course(client, db, login_as, holder, course,
                                                  capstone_course):  # noqa: F811
    login_as(holder)
    text = result_page(client, db, holder, course)
    assert "Up next" in text and CAPSTONE_COURSE_TITLE in text
    assert f'href="/courses/{capstone_course.slug}"' in text


def test_no_next_course_when_every_other_course_is_certified(db, holder, course):
    assert next_course(db.session, holder.id, course.id, now()) is None


def test_a_certified_course_is_not_suggested(db, make_user, holder, course,
                                             capstone_course):  # noqa: F811
    other = make_user()
    meet_rule(db, other, capstone_course, now())
    assert next_course(db.session, holder.id, course.id, now()).id == capstone_course.id
    assert next_course(db.session, other.id, capstone_course.id, now()).id == course.id
    assert next_course(db.session, holder.id, capstone_course.id, now()) is None


@pytest.mark.parametrize("change, said", [
    ("revoke", "was revoked on"),
    ("suspend", "is suspended while it is reviewed"),
])
def test_a_revoked_or_suspended_certificate_is_never_celebrated(
        client, db, login_as, make_user, holder, course, certificate, change, said):
    getattr(services, change)(db.session, make_user("admin"), certificate.code,
                              "Checked by the team", now())
    db.session.commit()
    login_as(holder)
    text = result_page(client, db, holder, course)
    assert said in text
    assert "You are certified" not in text and "Congratulations" not in text
    assert "/preview.png" not in text and "/linkedin" not in text and "Copy link" not in text


def test_an_expired_certificate_is_not_celebrated(client, db, login_as, holder, course,
                                                  certificate):
    certificate.expires_at = now() - timedelta(days=1)
    db.session.commit()
    login_as(holder)
    text = result_page(client, db, holder, course)
    assert "expired on" in text and "You are certified" not in text


def test_a_module_quiz_result_celebrates_nothing(client, db, login_as, holder, course):
    login_as(holder)
    attempt = db.session.scalar(select(QuizAttempt).where(
        QuizAttempt.user_id == holder.id, QuizAttempt.quiz_key == "foundations"))
    text = page_text(client.get(f"/attempts/{attempt.id}/result"))
    assert "You passed this quiz." in text and "You are certified" not in text


def test_a_capstone_course_says_what_happens_next(client, db, login_as, make_user,
                                                  capstone_course):  # noqa: F811
    learner = make_user()
    ready_for_exam(db, learner, capstone_course, now())
    take_quiz(db, learner, capstone_course, FINAL_EXAM_KEY, now())
    assert services.live_certificate(db.session, learner, capstone_course) is None
    login_as(learner)
    text = result_page(client, db, learner, capstone_course)
    assert "Pass the capstone" in text and "When a trainer scores your capstone" in text
    assert f'href="/courses/{capstone_course.slug}/capstone"' in text
    assert "You are certified" not in text and "/preview.png" not in text


def test_a_handed_in_capstone_is_waiting_for_its_score(client, db, login_as, make_user,
                                                      capstone_course):  # noqa: F811
    learner = make_user()
    ready_for_exam(db, learner, capstone_course, now())
    take_quiz(db, learner, capstone_course, FINAL_EXAM_KEY, now())
    submissions.submit(db.session, learner, capstone_course, "## Our OKRs", [], now())
    db.session.commit()
    login_as(learner)
    text = result_page(client, db, learner, capstone_course)
    assert "Your capstone is waiting for a trainer's score" in text
    assert "See your capstone" in text and "You are certified" not in text


def test_another_learners_exam_result_is_not_found(client, db, login_as, holder, course):
    login_as("learner")
    response = client.get(f"/attempts/{exam_attempt(db, holder, course).id}/result")
    assert response.status_code == 404


# --- the dashboard and the course page --------------------------------------------------------

def test_the_dashboard_says_certified_with_a_link(client, login_as, holder, certificate):
    login_as(holder)
    response = client.get("/dashboard/learning")
    text = page_text(response)
    valid_until = certificate.expires_at.strftime("%B %Y")
    assert re.search(rf"Certified · valid until \d+ {valid_until}", words(response))
    assert f'href="/certificates/{certificate.code}"' in text
    assert "All lessons completed" not in text


def test_the_dashboard_without_a_certificate_says_the_lessons_are_done(db, client, login_as,
                                                                       course):
    learner = login_as("learner")
    ready_for_exam(db, learner, course, now())
    text = page_text(client.get("/dashboard/learning"))
    assert "All lessons completed" in text and "Certified" not in text


def test_the_course_page_says_certified_and_suggests_the_next_course(
        client, login_as, holder, course, certificate, capstone_course):  # noqa: F811
    login_as(holder)
    response = client.get(f"/courses/{course.slug}")
    text = page_text(response)
    assert "Certified · valid until" in words(response)
    assert f'href="/certificates/{certificate.code}">View your certificate' in text
    assert f'Up next: <a href="/courses/{capstone_course.slug}">' in text


def test_a_suspended_certificate_is_shown_as_suspended(db, client, login_as, make_user, holder,
                                                       course, certificate):
    services.suspend(db.session, make_user("admin"), certificate.code, "Checked", now())
    db.session.commit()
    login_as(holder)
    for path in ("/dashboard/learning", f"/courses/{course.slug}"):
        text = page_text(client.get(path))
        assert "Certificate suspended while it is reviewed" in text, path
        assert "Certified ·" not in text, path


def test_a_revoked_certificate_leaves_no_certified_line(db, client, login_as, make_user, holder,
                                                        course, certificate):
    services.revoke(db.session, make_user("admin"), certificate.code, "Issued in error", now())
    db.session.commit()
    login_as(holder)
    assert "Certified" not in page_text(client.get("/dashboard/learning"))
    assert "Certified" not in page_text(client.get(f"/courses/{course.slug}"))


def test_visitors_see_the_course_page_without_a_certificate(client, course):
    response = client.get(f"/courses/{course.slug}")
    assert response.status_code == 200 and "Certified" not in page_text(response)


# --- adding to LinkedIn -------------------------------------------------------------------------

def test_the_holder_is_sent_to_linkedin_prefilled(app, client, login_as, holder, certificate):
    login_as(holder)
    response = client.get(f"/certificates/{certificate.code}/linkedin")
    assert response.status_code == 303
    target = urlsplit(response.location)
    assert target.netloc == "www.linkedin.com"
    query = parse_qs(target.query)
    assert query["certId"] == [certificate.code] and query["name"] == [COURSE_TITLE]
    assert query["certUrl"] == [f'{app.config["PUBLIC_BASE_URL"]}/verify/{certificate.code}']


@pytest.mark.parametrize("who", ["learner", "admin"])
def test_linkedin_is_offered_to_the_holder_only(client, login_as, certificate, who):
    login_as(who)
    assert client.get(f"/certificates/{certificate.code}/linkedin").status_code == 404


def test_linkedin_needs_an_account(client, certificate):
    response = client.get(f"/certificates/{certificate.code}/linkedin")
    assert response.status_code == 302 and "/login" in response.location


def test_linkedin_for_an_unknown_code_is_not_found(client, login_as, holder):
    login_as(holder)
    assert client.get("/certificates/NOT-A-CODE/linkedin").status_code == 404


@pytest.mark.parametrize("change, status", [("revoke", 410), ("suspend", 409), ("expire", 409)])
def test_linkedin_refuses_a_certificate_that_is_not_valid(db, client, login_as, make_user,
                                                          holder, certificate, change, status):
    if change == "expire":
        certificate.expires_at = now() - timedelta(days=1)
    else:
        getattr(services, change)(db.session, make_user("admin"), certificate.code, "Checked",
                                  now())
    db.session.commit()
    login_as(holder)
    response = client.get(f"/certificates/{certificate.code}/linkedin")
    assert response.status_code == status
    assert "linkedin.com" not in (response.location or "")


# --- the certificate pages ----------------------------------------------------------------------

def test_the_certificate_page_has_the_copy_button(client, login_as, holder, certificate):
    login_as(holder)
    text = page_text(client.get(f"/certificates/{certificate.code}"))
    assert 'data-copy="share-link" hidden>Copy link</button>' in text
    assert "/static/js/earned" in text and f"/verify/{certificate.code}" in text


def test_my_certificates_shows_no_preview_of_a_revoked_certificate(db, client, login_as,
                                                                   make_user, holder,
                                                                   certificate):
    services.revoke(db.session, make_user("admin"), certificate.code, "Issued in error", now())
    db.session.commit()
    login_as(holder)
    text = page_text(client.get("/certificates"))
    assert certificate.code in text and "/preview.png" not in text
