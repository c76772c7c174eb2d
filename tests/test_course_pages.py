"""Learner pages: catalogue, course page, enrolment, lessons, completion, assets and dashboard."""
from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

import pytest

from app.courses import services
from app.courses.content import load_course
from app.courses.routes import _served_type
from tests.factories import EXAMPLE_COURSE, import_example_course

LESSON = "/courses/example-course/foundations/origins"
SECOND = "/courses/example-course/foundations/anatomy"
LOCKED = "/courses/example-course/writing-key-results/measurable"


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def learner(login_as, course):
    """A logged-in learner, not enrolled yet."""
    return login_as("learner")


@pytest.fixture
def enrolled(db, learner, course):
    """A logged-in learner enrolled in the example course."""
    services.enroll(db.session, learner, course)
    db.session.commit()
    return learner


def page(response) -> str:
    return response.get_data(as_text=True)


def assert_no_inline_code(html: str) -> None:
    """Pages satisfy `script-src 'self'; style-src 'self'`: no inline script, style or handlers."""
    assert not re.search(r"<script(?![^>]*\ssrc=)", html) and "<style" not in html
    assert not re.search(r"\sstyle=", html) and not re.search(r"\son[a-z]+=", html)


# --- catalogue and course page ------------------------------------------------------------


def test_catalogue_lists_published_courses(client, course):
    response = client.get("/courses")
    assert response.status_code == 200
    html = page(response)
    assert "OKR Essentials" in html and "2 modules · 4 lessons · about 26 min of reading" in html
    assert_no_inline_code(html)


def test_catalogue_hides_archived_courses(client, db, course):
    course.status = "archived"
    db.session.commit()
    assert "OKR Essentials" not in page(client.get("/courses"))
    assert client.get("/courses/example-course").status_code == 404


def test_catalogue_empty(client, db):
    assert "No course is published yet" in page(client.get("/courses"))


def test_course_page_for_visitors_invites_to_log_in(client, course):
    html = page(client.get("/courses/example-course"))
    assert "Log in to enrol" in html and "Course outline" in html
    assert "Module 1: Foundations" in html and "Origins" in html and "6 min" in html
    assert LESSON not in html  # lessons are not links before enrolment
    assert_no_inline_code(html)


def test_course_page_offers_enrolment_then_start_then_continue(browser, db, learner, course):
    html = page(browser.get("/courses/example-course"))
    assert "Enrol in this course" in html
    response = browser.post("/courses/example-course/enrol")
    assert response.status_code == 302 and response.location.endswith("/courses/example-course")
    html = page(browser.get("/courses/example-course"))
    assert "You are enrolled in OKR Essentials" in html and "Start the course" in html
    assert 'value="0"' in html and "0% complete" in html
    browser.get(SECOND)
    html = page(browser.get("/courses/example-course"))
    assert "Continue where you left off" in html and f'href="{SECOND}"' in html


def test_unknown_course_is_404(client, course):
    assert client.get("/courses/no-such-course").status_code == 404


# --- enrolment ----------------------------------------------------------------------------


def test_enrol_needs_login(browser, course):
    response = browser.post("/courses/example-course/enrol", token_from="/login")
    assert response.status_code == 302 and "/login" in response.location


def test_enrol_without_csrf_token_is_refused(client, learner, course, db):
    response = client.post("/courses/example-course/enrol", data={})
    assert response.status_code == 400
    assert services.find_enrollment(db.session, learner, course) is None


def test_enrol_twice_is_harmless(browser, learner, course, db):
    browser.post("/courses/example-course/enrol")
    response = browser.post("/courses/example-course/enrol", token_from="/courses/example-course")
    assert response.status_code == 302
    assert services.find_enrollment(db.session, learner, course) is not None


def test_enrol_in_unknown_course_is_404(browser, learner, course):
    response = browser.post("/courses/nope/enrol", token_from="/courses")
    assert response.status_code == 404


# --- lesson page --------------------------------------------------------------------------


def test_lesson_page_happy_path(client, enrolled, course):
    response = client.get(LESSON)
    assert response.status_code == 200
    html = page(response)
    article = html.split('<article class="prose"', 1)[1].split("</article>", 1)[0]
    assert "From MBO to OKRs" in article and 'class="callout callout-note"' in article
    assert 'src="/courses/example-course/assets/okr-cycle.svg?v=1"' in article
    assert f'href="{LESSON}" aria-current="page"' in html
    assert "Mark as complete" in html and f'href="{SECOND}" rel="next"' in html
    assert 'href="/static/css/highlight.' in html
    assert_no_inline_code(html)


def test_lesson_page_links_the_module_quiz(client, enrolled, course):
    html = page(client.get(LESSON))
    assert 'href="/courses/example-course/quiz/foundations"' in html
    assert "Module quiz" in html


def test_lesson_page_records_the_last_view(client, enrolled, course, db):
    client.get(SECOND)
    enrollment = services.find_enrollment(db.session, enrolled, course)
    assert (enrollment.last_module_slug, enrollment.last_lesson_slug) == ("foundations", "anatomy")


def test_lesson_needs_login(client, course):
    response = client.get(LESSON)
    assert response.status_code == 302 and "/login" in response.location


def test_lesson_of_a_course_not_enrolled_is_403_with_an_enrol_button(client, learner, course):
    response = client.get(LESSON)
    assert response.status_code == 403
    html = page(response)
    assert "Enrol to read this lesson" in html
    assert 'action="/courses/example-course/enrol"' in html and "csrf_token" in html
    assert "From MBO to OKRs" not in html


def test_locked_lesson_is_403_with_the_reason(client, enrolled, course):
    response = client.get(LOCKED)
    assert response.status_code == 403
    html = page(response)
    assert "This lesson is locked" in html
    assert "Complete the lessons of Module 1: Foundations first." in html


@pytest.mark.parametrize("path", [
    "/courses/example-course/foundations/nope",
    "/courses/example-course/nope/origins",
    "/courses/nope/foundations/origins",
    "/courses/example-course/writing-key-results/origins",
])
def test_unknown_lesson_is_404(client, enrolled, course, path):
    assert client.get(path).status_code == 404


# --- mark as complete ---------------------------------------------------------------------


def test_mark_complete_moves_to_the_next_lesson(browser, enrolled, course, db):
    response = browser.post(f"{LESSON}/complete", token_from=LESSON)
    assert response.status_code == 302 and response.location.endswith(SECOND)
    html = page(browser.get(LESSON))
    assert "Completed on" in html and "Mark as complete" not in html
    assert services.course_progress(db.session, enrolled, course).completed == 1


def test_completing_a_module_leads_to_its_quiz(browser, enrolled, course):
    browser.post(f"{LESSON}/complete", token_from=LESSON)
    response = browser.post(f"{SECOND}/complete", token_from=SECOND)
    assert response.status_code == 302
    assert response.location.endswith("/courses/example-course/quiz/foundations")


def test_mark_complete_bad_input(client, browser, enrolled, course):
    assert client.post(f"{LESSON}/complete", data={}).status_code == 400
    assert browser.post(f"{LOCKED}/complete", token_from=LESSON).status_code == 403
    assert browser.post("/courses/example-course/foundations/nope/complete",
                        token_from=LESSON).status_code == 404
    assert browser.post("/courses/nope/foundations/origins/complete",
                        token_from=LESSON).status_code == 404


def test_mark_complete_when_not_enrolled_is_403(browser, learner, course):
    assert browser.post(f"{LESSON}/complete", token_from="/courses").status_code == 403


# --- XSS: lesson content is inert ---------------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">raw link</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#115;cript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "![x](javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<iframe src="https://evil.example"></iframe>',
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    "<details open ontoggle=alert(1)>",
    '<object data="x.swf"></object><embed src="x.swf">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '[x](#" onmouseover="alert(1))',
    '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    "> [!NOTE]\n> <script>alert(1)</script>",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    '<form action="https://evil.example"><input name="password"></form>',
    "<base href=\"https://evil.example/\">",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
]

BANNED_TAGS = {"script", "style", "iframe", "object", "embed", "form", "input", "base", "meta",
               "svg", "math", "link"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data"}


class _ActiveContent(HTMLParser):
    """Collects anything in a fragment that a browser could execute or that restyles the page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in BANNED_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") or name == "style":
                self.found.append(f"{tag}[{name}]")
            if name in URL_ATTRIBUTES and re.match(r"^\s*(javascript|vbscript|data):", value):
                self.found.append(f"{tag}[{name}={value[:30]}]")


def active_content(html: str) -> list[str]:
    parser = _ActiveContent()
    parser.feed(html)
    return parser.found


def _lesson_article(client) -> str:
    html = page(client.get(LESSON))
    return html.split('<article class="prose"', 1)[1].split("</article>", 1)[0]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_are_inert_on_the_lesson_page(db, login_as, client, payload):
    spec = load_course(EXAMPLE_COURSE)
    module = spec.modules[0]
    lesson = dataclasses.replace(module.lessons[0], body_md=f"Before.\n\n{payload}\n\nAfter.\n")
    module = dataclasses.replace(module, lessons=(lesson, *module.lessons[1:]))
    spec = dataclasses.replace(spec, modules=(module, *spec.modules[1:]), content_hash="x" * 64)
    course = services.import_spec(db.session, spec).course
    user = login_as("learner")
    services.enroll(db.session, user, course)
    db.session.commit()
    article = _lesson_article(client)
    assert "Before." in article and "After." in article
    assert active_content(article) == []


def test_active_content_detector_detects(db):
    assert active_content('<img src=x onerror="a()"><script></script><a href="javascript:x">')


# --- assets -------------------------------------------------------------------------------


def test_asset_is_served_from_the_database_with_safe_headers(client, course):
    response = client.get("/courses/example-course/assets/okr-cycle.svg?v=1")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml" and response.data.startswith(b"<svg")
    assert response.headers["Content-Security-Policy"] == \
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    again = client.get("/courses/example-course/assets/okr-cycle.svg?v=1",
                       headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_asset_without_version_is_the_current_one_briefly_cached(client, course):
    response = client.get("/courses/example-course/assets/okr-cycle.svg")
    assert response.status_code == 200 and "max-age=300" in response.headers["Cache-Control"]


@pytest.mark.parametrize("path", [
    "/courses/example-course/assets/missing.svg",
    "/courses/example-course/assets/okr-cycle.svg?v=2",
    "/courses/example-course/assets/okr-cycle.svg?v=abc",
    "/courses/example-course/assets/../course.md",
    "/courses/nope/assets/okr-cycle.svg",
])
def test_bad_asset_requests_are_404(client, course, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(("stored", "served"), [
    ("image/png", "image/png"),
    ("image/svg+xml", "image/svg+xml"),
    ("text/html", "application/octet-stream"),
    ("application/xhtml+xml", "application/octet-stream"),
    ("text/javascript", "application/octet-stream"),
    ("application/pdf", "application/pdf"),
])
def test_course_files_are_never_served_as_active_documents(stored, served):
    assert _served_type(stored) == served


# --- dashboard ----------------------------------------------------------------------------


def test_dashboard_needs_login(client):
    response = client.get("/dashboard/learning")
    assert response.status_code == 302 and "/login" in response.location


def test_dashboard_empty_points_to_the_catalogue(client, learner):
    html = page(client.get("/dashboard/learning"))
    assert "You are not enrolled in a course yet" in html and 'href="/courses"' in html


def test_dashboard_lists_enrolled_courses_with_progress(browser, enrolled, course):
    browser.post(f"{LESSON}/complete", token_from=LESSON)
    response = browser.get("/dashboard/learning")
    assert response.status_code == 200
    html = page(response)
    assert "OKR Essentials" in html and "25% complete" in html and "1 of 4 lessons" in html
    assert "Next: Anatomy of an OKR" in html and f'href="{SECOND}"' in html
    assert_no_inline_code(html)


def test_main_dashboard_redirects_to_learning(client, learner):
    response = client.get("/dashboard")
    assert response.status_code == 302 and response.location.endswith("/dashboard/learning")
