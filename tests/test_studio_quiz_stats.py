"""Quiz statistics pages: the studio's (maintainers), HR's (their organisation only) and the
quiz's own page, over each learner's first submitted attempt."""
from __future__ import annotations

from datetime import UTC, datetime
from html import unescape

import pytest

from app.authoring import services as studio
from app.courses import services as course_services
from app.quizzes import item_stats
from tests.factories import import_example_course, take_quiz

SLUG = "example-course"
STUDIO_STATS = f"/studio/courses/{SLUG}/quiz-stats"
HR_STATS = "/hr/quiz-stats"


@pytest.fixture
def course(db):
    return import_example_course(db)


def took_foundations(db, user, course, *, right: bool, again: bool = False) -> None:
    """Enrol, read the first module and take its quiz (right or wrong); `again`: a failed first
    attempt is followed by a second one with the key."""
    course_services.enroll(db.session, user, course)
    for lesson in course.current_version.lessons:
        if lesson.module_slug == "foundations":
            course_services.complete_lesson(db.session, user, course, "foundations", lesson.slug)
    db.session.commit()
    take_quiz(db, user, course, "foundations", datetime.now(UTC), right=right)
    if again and not right:
        take_quiz(db, user, course, "foundations", datetime.now(UTC), right=True)


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


# --- the studio -------------------------------------------------------------------------------


def test_maintainers_see_each_question_with_its_choices(db, client, login_as, make_user, course):
    for right in (True, False, False):
        took_foundations(db, make_user(), course, right=right, again=True)
    stats = item_stats.quiz_item_statistics(db.session, course, "foundations")
    assert stats.learners == 3  # the second attempts are not counted
    assert {item.right for item in stats.items} == {1}
    trainer = login_as("trainer")
    studio.add_maintainer(db.session, None, course, trainer.email, datetime.now(UTC))
    db.session.commit()
    response = client.get(STUDIO_STATS)
    html = page(response)
    assert response.status_code == 200
    assert "Foundations check" in html and "Key results check" in html
    assert "3 learners (first attempts)" in html  # the second attempts are not counted
    assert "#objective-definition" in html and "A qualitative, inspiring description" in html
    assert 'class="table studio-choices cards-on-phone"' in html
    assert 'data-label="Chosen"' in html and "Right answer" in html
    assert "first submitted attempt" in html


def test_the_course_page_links_to_the_statistics(db, client, login_as, course):
    trainer = login_as("trainer")
    studio.add_maintainer(db.session, None, course, trainer.email, datetime.now(UTC))
    db.session.commit()
    assert STUDIO_STATS in page(client.get(f"/studio/{SLUG}"))


def test_other_trainers_learners_and_visitors_are_refused(client, login_as, course):
    response = client.get(STUDIO_STATS)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as("learner")
    assert client.get(STUDIO_STATS).status_code == 403
    login_as("trainer")
    assert client.get(STUDIO_STATS).status_code == 403
    login_as("admin")
    assert client.get(STUDIO_STATS).status_code == 200
    assert client.get("/studio/courses/no-such-course/quiz-stats").status_code == 404


def test_a_course_never_published_has_no_quiz_to_show(db, client, login_as):
    admin = login_as("admin")
    studio.create_course(db.session, admin, slug="fresh-course", title="Fresh", summary="",
                         now=datetime.now(UTC))
    db.session.commit()
    response = client.get("/studio/courses/fresh-course/quiz-stats")
    assert response.status_code == 200 and "no published quiz yet" in page(response)


# --- HR ---------------------------------------------------------------------------------------


@pytest.fixture
def acme(make_org):
    return make_org("Acme")


def test_hr_sees_only_their_organisations_learners(db, client, login_as, make_user, make_org,
                                                   course, acme):
    globex = make_org("Globex")
    for _ in range(item_stats_min_learners()):
        took_foundations(db, make_user(org=acme), course, right=True)
    for _ in range(3):
        took_foundations(db, make_user(org=globex), course, right=False)
    took_foundations(db, make_user(), course, right=False)
    login_as("hr", org=acme)
    html = page(client.get(HR_STATS))
    assert "OKR Essentials" in html and "Only your organisation's learners are counted" in html
    assert f"{item_stats_min_learners()} learners (first attempts)" in html
    # every Acme learner answered right: no one chose a wrong option
    stats = item_stats.course_item_statistics(db.session, course, acme.id)
    foundations = stats[0]
    assert all(item.share_right == 1.0 for item in foundations.items)
    assert "Globex" not in html


def test_hr_sees_no_figures_under_the_minimum_of_learners(db, client, login_as, make_user,
                                                          course, acme):
    took_foundations(db, make_user(org=acme), course, right=True)
    login_as("hr", org=acme)
    html = page(client.get(HR_STATS))
    assert "1 learner so far" in html and "#objective-definition" not in html


def test_hr_with_no_attempts_yet(client, login_as, course, acme):
    login_as("hr", org=acme)
    response = client.get(HR_STATS)
    assert response.status_code == 200 and "has submitted a quiz yet" in page(response)


def test_hr_course_choice_must_be_one_their_learners_took(db, client, login_as, make_user,
                                                          course, acme):
    took_foundations(db, make_user(org=acme), course, right=True)
    login_as("hr", org=acme)
    assert client.get(f"{HR_STATS}?course={SLUG}").status_code == 200
    assert client.get(f"{HR_STATS}?course=other-course").status_code == 404
    assert client.get(f"{HR_STATS}?course={'x' * 5000}").status_code == 404


def test_hr_pages_are_for_hr_in_an_organisation(client, login_as, course, acme):
    response = client.get(HR_STATS)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as("trainer")
    assert client.get(HR_STATS).status_code == 403
    login_as("hr")
    assert client.get(HR_STATS).status_code == 404


def test_the_hr_navigation_links_to_the_statistics(client, login_as, acme):
    login_as("hr", org=acme)
    assert HR_STATS in page(client.get("/hr/"))


def item_stats_min_learners() -> int:
    from app.hr.quiz_stats_routes import MIN_LEARNERS_SHOWN

    return MIN_LEARNERS_SHOWN


# --- the quiz's own statistics page -------------------------------------------------------------


def test_the_quiz_page_shows_the_item_analysis_hardest_first(db, client, login_as, make_user,
                                                             course):
    took_foundations(db, make_user(), course, right=True)
    took_foundations(db, make_user(), course, right=False)
    login_as("trainer")
    html = page(client.get(f"/courses/{SLUG}/quiz/foundations/stats"))
    assert "Discrimination" in html and "No answer" in html
    assert "Pass rate" in html and "50.0% (1 of 2)" in html
