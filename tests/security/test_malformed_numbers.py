"""Malformed numbers anywhere in a URL or a form get a 4xx, never a 5xx.

Before: `?v=99999999999999999999999999` on assets, the same in `/attempts/<id>`,
`/hr/learners/<id>`, `/admin/users/<id>`, `?page=`, a 5,000-digit answer position and a studio
revision of `²` all answered 500. The routes are taken from the app's own URL map, so a new
route is fuzzed without anyone remembering to add it here.
"""
from __future__ import annotations

import re

import pytest
from werkzeug.exceptions import NotFound

from app.courses import services as course_services
from app.models.quizzes import FINAL_EXAM_KEY
from app.quizzes import services as quiz_services
from tests.conftest import log_in
from tests.factories import QUIZ_TIME, import_example_course

HOSTILE_NUMBERS = ("99999999999999999999999999", "9" * 5000, "-1", "--1", "-99999999999999999999",
                   "²", "٣", "1e9", "0x10", "NaN", "", " 1", "1.5", "\u0661\u0662")
QUERY_NAMES = ("page", "v", "per_page", "revision", "attempt", "status", "q")
#: endpoints whose URLs need values other than numbers
SAMPLE_VALUES = {"slug": "example-course", "module_slug": "foundations",
                 "lesson_slug": "origins", "quiz_key": "foundations",
                 "code": "OKR-7K3M-Q9TB-X2HD-4FRW-9", "path": "01-foundations/01-origins.md",
                 "filename": "app.css"}


@pytest.fixture
def everyone(app, db, make_user, client):
    """The example course, and a logged-in user who holds every role."""
    course = import_example_course(db)
    user = make_user("admin")
    for role in ("trainer", "hr"):
        from app.auth import services as accounts

        accounts.grant_role(db.session, None, user, role)
    course_services.enroll(db.session, user, course, QUIZ_TIME)
    db.session.commit()
    log_in(client, user)
    return user, course


def get_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and rule.endpoint != "static"]


def fill(rule, number: str) -> str | None:
    """The rule's URL with `number` in every numeric part and samples elsewhere."""
    url = rule.rule
    for converter, name in re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", rule.rule):
        value = number if converter == "int" else SAMPLE_VALUES.get(name, "x")
        url = re.sub(rf"<[^>]*\b{name}>", value, url, count=1)
    return url


def test_every_get_route_answers_hostile_numbers_without_a_5xx(app, client, everyone):
    failures = []
    for rule in get_rules(app):
        for number in HOSTILE_NUMBERS:
            url = fill(rule, number)
            query = "&".join(f"{name}={number}" for name in QUERY_NAMES)
            for target in (url, f"{url}?{query}"):
                status = client.get(target).status_code
                if status >= 500:
                    failures.append((target[:120], status))
    assert failures == [], "\n".join(f"{status} {url}" for url, status in failures)


def test_hostile_answer_positions_are_refused(app, db, client, everyone):
    user, course = everyone
    attempt = quiz_services.start_attempt(db.session, user, course, "foundations", QUIZ_TIME)
    db.session.commit()
    token = _token(client, f"/attempts/{attempt.id}")
    question = attempt.snapshot["questions"][0]["id"]
    for number in HOSTILE_NUMBERS:
        for action in ("save", "submit"):
            response = client.post(f"/attempts/{attempt.id}/{action}",
                                   data={"csrf_token": token, f"q-{question}": number,
                                         question: number})
            assert response.status_code < 500, (action, number[:20], response.status_code)


def test_hostile_studio_revisions_are_refused(app, db, client, everyone):
    _, course = everyone
    token = _token(client, "/studio/example-course")
    client.post("/studio/example-course/draft", data={"csrf_token": token})
    path = "/studio/example-course/edit/01-foundations/module.md"
    for number in HOSTILE_NUMBERS:
        for field in ("revision", "seen_revision", "draft_revision"):
            response = client.post(path, data={"csrf_token": token, "text": "# x\n",
                                               field: number})
            assert response.status_code < 500, (field, number[:20], response.status_code)
        response = client.post("/studio/example-course/publish",
                               data={"csrf_token": token, "revision": number})
        assert response.status_code < 500, ("publish", number[:20], response.status_code)


def test_non_ascii_digits_in_a_path_are_not_ids(app):
    adapter = app.url_map.bind("localhost")
    for path in ("/admin/users/٣", "/attempts/١٢", "/hr/learners/²"):
        with pytest.raises(NotFound):
            adapter.match(path)
    assert adapter.match("/admin/users/3") == ("admin.user_detail", {"user_id": 3})


def test_the_final_exam_key_and_huge_attempt_ids_are_not_found(client, everyone):
    assert client.get(f"/attempts/{'9' * 30}").status_code == 404
    assert client.get(f"/courses/example-course/quiz/{FINAL_EXAM_KEY}").status_code < 500


def _token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


POST_NUMBERS = ("99999999999999999999999999", "9" * 5000, "-99999999999999999999", "²", "٣",
                "1e9")


def test_every_form_answers_hostile_numbers_in_every_field_without_a_5xx(app, client,
                                                                         everyone):
    """Every POST route, with each field its page offers (and the usual number names) set to a
    hostile number; the session stays logged in as a user with every role."""
    fallback = _token(client, "/account")
    client.post("/studio/example-course/draft", data={"csrf_token": fallback})  # a draft to edit
    failures = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint == "auth.logout":
            continue
        url = fill(rule, "1")
        page = client.get(url) if "GET" in rule.methods else None
        html = page.get_data(as_text=True) if page is not None and page.status_code == 200 \
            else ""
        names = set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html))
        names |= {"revision", "page", "action", "number", "attempt", "version", "position"}
        names.discard("csrf_token")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        for number in POST_NUMBERS:
            data = {name: number for name in names}
            data["csrf_token"] = token.group(1) if token else fallback
            status = client.post(url, data=data).status_code
            if status >= 500:
                failures.append(f"{status} POST {url} ({number[:12]})")
    assert failures == [], "\n".join(failures)


def test_page_links_ignore_url_building_names_in_the_query(app, client, everyone, make_user):
    for n in range(30):  # more than one page of users, so the page links are drawn
        make_user("learner")
    for query in ("_method=POST", "endpoint=x", "_external=1", "_anchor=x", "_scheme=ftp",
                  "q=&role=&page=1&page=2"):
        response = client.get(f"/admin/users?{query}")
        assert response.status_code == 200, query
        links = re.findall(r'href="([^"]*page=[^"]*)"', response.get_data(as_text=True))
        assert links and all(link.startswith("/admin/users?") for link in links), links
