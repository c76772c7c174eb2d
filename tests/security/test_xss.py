"""Markup sent in names, lesson Markdown and quiz text is shown as text and never runs;
spreadsheet formulas in CSV cells are neutralised."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.authoring.maintainers import add_maintainer
from app.certificates.services import live_certificate
from app.courses.services import import_course
from app.models import User
from app.quizzes import services as quizzes
from tests.mailbox import html_of, links_in, path_of, sent_mails
from tests.security.markup import active_content, assert_neutral
from tests.security.world import COURSE_SLUG, certify, course_with, study

NAME = '<script>alert("name")</script><img src=x onerror=alert(1)>'
NAME_AS_TEXT = "&lt;script&gt;alert("
PAYLOADS = """
<script>alert('lesson')</script>
<img src="x" onerror="alert('img')">
<svg onload=alert('svg')></svg>
<iframe src="https://evil.example/"></iframe>
<a href="javascript:alert('raw link')">raw link</a>
[markdown link](javascript:alert('md'))
![markdown image](javascript:alert('img'))
[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
</textarea><script>alert('editor')</script>
<base href="https://evil.example/">
<meta http-equiv="refresh" content="0;url=https://evil.example/">
"""
FORMULAS = ("=cmd|' /C calc'!A0", "+SUM(1+1)*cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "=HYPERLINK(\"https://evil.example\",\"Open\")")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- names ------------------------------------------------------------------------------------

@pytest.fixture
def marked_up_learner(app, db, browser, world) -> User:
    """A learner who registered with markup as their name, through the invitation link of
    organisation A, confirmed the address from the mail (which shows the name as text), and
    then earned the certificate."""
    token = world.hr_a.organisation.invite_token
    response = browser.post(f"/register?invite={token}", {
        "name": NAME, "email": "markup@example.com", "password": "Correct-Horse-42",
        "confirm": "Correct-Horse-42", "invite": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    response = browser.post("/login", {"email": "markup@example.com",
                                       "password": "Correct-Horse-42"})
    assert_neutral(browser.get(response.location, follow_redirects=True), NAME_AS_TEXT)
    mail = sent_mails(app, to="markup@example.com")[0]
    assert "<script>" not in html_of(mail) and NAME_AS_TEXT in html_of(mail)
    link = next(path_of(url) for url in links_in(mail) if "/verify-email/" in url)
    assert browser.post(link, {}, token_from=link).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "markup@example.com"))
    certify(db, user, world.course)
    return user


def test_a_name_with_markup_is_text_on_every_page_that_shows_it(client, login_as, world,
                                                                marked_up_learner, db):
    code = live_certificate(db.session, marked_up_learner, world.course).code
    pages = {
        marked_up_learner: ["/dashboard/learning", "/account", "/certificates",
                            f"/certificates/{code}"],
        world.admin: ["/admin/users", f"/admin/users/{marked_up_learner.id}",
                      "/admin/certificates", "/admin/audit", f"/certificates/{code}"],
        world.hr_a: ["/hr/", f"/hr/learners/{marked_up_learner.id}", "/hr/organisation"],
    }
    for user, paths in pages.items():
        login_as(user)
        for path in paths:
            assert_neutral(client.get(path), NAME_AS_TEXT)
    assert_neutral(client.get(f"/verify/{code}"), NAME_AS_TEXT)


@pytest.mark.renders_pdf
def test_a_name_with_markup_is_printed_as_text_on_the_certificate(world, marked_up_learner, db):
    from pypdf import PdfReader

    certificate = live_certificate(db.session, marked_up_learner, world.course)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(certificate.pdf)).pages)
    assert "alert(" in text and "onerror" in text, "the name was not printed as typed"


# --- lesson Markdown --------------------------------------------------------------------------

LESSON = f"""---
title: Origins
minutes: 6
---

# From MBO to OKRs

{PAYLOADS}
"""


@pytest.fixture
def marked_up_course(db, tmp_path):
    folder = course_with(tmp_path, {"01-foundations/01-origins.md": LESSON})
    course = import_course(db.session, folder).course
    db.session.commit()
    return course


def test_markup_in_a_lesson_never_reaches_the_learner_as_code(db, client, login_as, make_user,
                                                              marked_up_course):
    learner = login_as(make_user())
    study(db, learner, marked_up_course)
    assert_neutral(client.get(f"/courses/{COURSE_SLUG}/foundations/origins"), "&lt;script&gt;")


def test_markup_in_a_lesson_stays_text_in_the_studio(db, browser, client, login_as, make_user,
                                                     marked_up_course):
    trainer = login_as(make_user("trainer"))
    add_maintainer(db.session, None, marked_up_course, trainer.email, datetime.now(UTC))
    db.session.commit()
    response = browser.post(f"/studio/{COURSE_SLUG}/draft", {}, token_from=f"/studio/{COURSE_SLUG}")
    assert response.status_code == 302
    path = "01-foundations/01-origins.md"
    editor = client.get(f"/studio/{COURSE_SLUG}/edit/{path}")
    assert_neutral(editor, "&lt;/textarea&gt;&lt;script&gt;")
    preview = browser.post(f"/studio/{COURSE_SLUG}/preview/{path}", {"text": LESSON},
                           token_from=f"/studio/{COURSE_SLUG}/edit/{path}")
    assert preview.status_code == 200
    assert not active_content(preview.get_json()["html"])


# --- quiz text --------------------------------------------------------------------------------

QUIZ = """---
title: Foundations check
pass_mark: 75
feedback: after_submit
---

## <img src=x onerror=alert('stem')> Which statement describes an objective? {#objective-definition}
<script>alert('body')</script> [more](javascript:alert('body link'))

- [ ] <script>alert('option')</script>
- [x] A qualitative description <img src=x onerror=alert('option')>

> <svg onload=alert('explanation')></svg> [why](javascript:alert('explanation'))
"""


def test_markup_in_quiz_text_never_runs(db, client, browser, login_as, make_user, tmp_path):
    folder = course_with(tmp_path, {"01-foundations/quiz.md": QUIZ})
    course = import_course(db.session, folder).course
    db.session.commit()
    learner = login_as(make_user())
    study(db, learner, course, quizzes_too=False)
    attempt = quizzes.start_attempt(db.session, learner, course, "foundations", datetime.now(UTC))
    db.session.commit()
    assert_neutral(client.get(f"/attempts/{attempt.id}"), "&lt;script&gt;")
    submitted = browser.post(f"/attempts/{attempt.id}/submit",
                             _form_answer(client, attempt.id),
                             token_from=f"/attempts/{attempt.id}")
    assert submitted.status_code == 303
    assert_neutral(client.get(f"/attempts/{attempt.id}/result"), "&lt;script&gt;")
    login_as(make_user("trainer"))
    assert_neutral(client.get(f"/courses/{COURSE_SLUG}/quiz/foundations/stats"))


def _form_answer(client, attempt_id: int) -> dict:
    """An answer to every question (its last option), as the attempt page names the fields."""
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    fields = dict(re.findall(r'name="(answer-[^"]*)" value="([^"]+)"', html))
    assert fields, "the attempt page has no answer fields"
    return fields


# --- CSV cells --------------------------------------------------------------------------------

def csv_cells(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def assert_no_formula(rows: list[list[str]]) -> None:
    live = [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]
    assert not live, f"cells a spreadsheet would run as formulas: {live}"


def test_the_hr_export_neutralises_formulas_in_names(client, login_as, make_user, world):
    for n, formula in enumerate(FORMULAS):
        make_user(org=world.hr_a.organisation, name=formula, email=f"formula{n}@example.com")
    login_as(world.hr_a)
    rows = csv_cells(client.get("/hr/export.csv"))
    assert_no_formula(rows)
    names = {row[0] for row in rows}
    assert {"'" + formula for formula in FORMULAS} <= names, names


def test_the_bulk_check_neutralises_formulas_in_its_report(browser, client, login_as, world):
    login_as(world.hr_a)
    sheet = io.StringIO()
    writer = csv.writer(sheet)
    writer.writerow(["code", "employee", "note"])
    writer.writerow([world.certificate_a.code, "Avery", "ok"])
    writer.writerows([formula, formula, "x"] for formula in FORMULAS)
    upload = (io.BytesIO(sheet.getvalue().encode()), "codes.csv")
    page = assert_neutral(browser.post("/hr/verify/bulk", {"codes": upload},
                                       token_from="/hr/verify/bulk",
                                       content_type="multipart/form-data"))
    kept = re.search(r'name="results" value="([^"]+)"', page).group(1)
    response = browser.post("/hr/verify/bulk/results.csv", {"results": kept},
                            token_from="/hr/verify/bulk")
    rows = csv_cells(response)
    assert_no_formula(rows)
    assert any(world.certificate_a.code in row for row in rows)
    assert len(rows) == 1 + 1 + len(FORMULAS)


def test_the_checker_sees_what_would_run():
    page = ('<p onclick="x()">a</p><a href=" JavaScript:alert(1)">b</a><script>1</script>'
            '<iframe src="/"></iframe><img src="data:text/html,x"><base href="/">'
            '<script src="/static/js/studio.js"></script><img src="data:image/png;base64,AA">')
    assert len(active_content(page)) == 6
