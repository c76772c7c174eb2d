"""The capstone pages, used as a learner and a trainer would, and as an attacker would."""
from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
from sqlalchemy import func, select

from app.models import CapstoneFile, CapstoneSubmission, Certificate
from app.models.quizzes import FINAL_EXAM_KEY
from tests.capstone_fixtures import (  # noqa: F401  (fixtures)
    COMMENTS, PASSING, PDF, capstone_course, office_file, ready_learner, trainer,
)
from tests.conftest import log_in
from tests.factories import take_quiz

SCHEMA = Path(__file__).parent / "fixtures" / "ob3" / "ob_v3p0_achievementcredential_schema.json"
PAGE = "/courses/capstone-course/capstone"


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def hand_in(browser, text="## Our OKRs\n\n**Objective**: delight", files=()):
    data = {"text": text, "submit": "Hand in my work",
            "files": [(io.BytesIO(body), name) for name, body in files]}
    return browser.post(PAGE, data, content_type="multipart/form-data")


def test_the_learner_reads_the_brief_previews_and_hands_in(db, client, browser, ready_learner):
    log_in(client, ready_learner)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Write your team's OKRs" in page and "Objectives point the way" in page
    assert "at least 3 needed" in page
    preview = browser.post(PAGE, {"text": "**bold** <script>x()</script>", "preview": "Preview"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "<strong>bold</strong>" in html
    assert "<script>x()" not in html and count(db, CapstoneSubmission) == 0
    done = hand_in(browser, files=[("plan.pdf", PDF), ("okrs.xlsx", office_file("xl/workbook.xml"))])
    assert done.status_code == 303
    submission = db.session.scalar(select(CapstoneSubmission))
    assert submission.text_md.startswith("## Our OKRs") and len(submission.files) == 2
    page = client.get(PAGE).get_data(as_text=True)
    assert "Waiting for a score" in page and "Hand in your work" not in page
    download = client.get(f"/capstone-files/{submission.files[0].id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in download.headers["Content-Security-Policy"]


def test_a_hostile_file_is_refused_and_the_text_is_kept(db, client, browser, ready_learner):
    log_in(client, ready_learner)
    response = hand_in(browser, text="My careful plan", files=[("plan.pdf", b"MZ\x90\x00")])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "plan.pdf is not a PDF document." in page and "My careful plan" in page
    assert count(db, CapstoneSubmission) == 0 and count(db, CapstoneFile) == 0


def test_an_oversized_request_is_refused_with_413(db, client, browser, ready_learner):
    log_in(client, ready_learner)
    files = [(f"p{n}.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024)) for n in range(4)]
    response = hand_in(browser, files=files)
    assert response.status_code == 413 and count(db, CapstoneSubmission) == 0


def test_other_people_see_neither_the_work_nor_its_files(db, client, browser, make_user,
                                                        ready_learner, trainer):
    log_in(client, ready_learner)
    hand_in(browser, files=[("plan.pdf", PDF)])
    submission = db.session.scalar(select(CapstoneSubmission))
    log_in(client, make_user())
    assert client.get(f"/capstone-files/{submission.files[0].id}").status_code == 404
    assert client.get("/studio/grading").status_code == 403
    assert client.get(f"/studio/grading/{submission.id}").status_code == 403
    log_in(client, make_user("trainer"))  # a trainer of other courses
    assert client.get(f"/studio/grading/{submission.id}").status_code == 404
    assert client.get(f"/capstone-files/{submission.files[0].id}").status_code == 404
    assert "Robin Ready" not in client.get("/studio/grading").get_data(as_text=True)


def score_form(submission_id: int, points: dict) -> dict:
    data = {f"level-{key}": str(value) for key, value in points.items()}
    data |= {f"comment-{key}": text for key, text in COMMENTS.items()}
    return data | {"comment": "Well argued.", "submit": "Save the score"}


def test_a_trainer_claims_scores_and_the_learner_sees_the_rubric_and_certificate(
        db, client, browser, ready_learner, trainer, capstone_course):
    take_quiz(db, ready_learner, capstone_course, FINAL_EXAM_KEY)
    log_in(client, ready_learner)
    hand_in(browser)
    submission = db.session.scalar(select(CapstoneSubmission))
    log_in(client, trainer)
    assert "Robin Ready" in client.get("/studio/grading").get_data(as_text=True)
    url = f"/studio/grading/{submission.id}"
    assert browser.post(f"{url}/claim", token_from=url).status_code == 303
    missing = browser.post(url, score_form(submission.id, {"objectives": 4}))
    assert missing.status_code == 400 and "Choose a level for" in missing.get_data(as_text=True)
    for hostile in ("\u0664", "\u00b2", "4" * 40, "-4", "4.0"):  # Arabic 4, superscript 2, huge
        odd = browser.post(url, score_form(submission.id, PASSING | {"objectives": hostile}))
        assert odd.status_code == 400, hostile
        assert "Choose a level for “Objectives point the way”" in odd.get_data(as_text=True)
    assert db.session.scalar(select(CapstoneSubmission.status)) == "submitted"
    assert browser.post(url, score_form(submission.id, PASSING)).status_code == 303
    log_in(client, ready_learner)
    page = client.get(PAGE).get_data(as_text=True)
    assert "9 of 10 points" in page and "Strong and tied to the plan." in page
    assert "Well argued." in page and "is-reached" in page
    certificate = db.session.scalar(select(Certificate))
    verify = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "capstone work assessed by a trainer" in verify
    badge = client.get(f"/certificates/{certificate.code}/badge.json").get_json()
    results = badge["credentialSubject"]["result"]
    assert [r["resultDescription"].rsplit("#", 1)[1] for r in results] == ["final-exam",
                                                                          "capstone"]
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft201909Validator(
        schema, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)
    assert [error.message for error in validator.iter_errors(badge)] == []
