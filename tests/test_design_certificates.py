"""A certificate worth showing: signatory, achievement line and study time recorded at issuance,
the public thumbnail of a valid certificate, the verify page's line, and the administrators'
template previews."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.certificates import services as certificates
from app.certificates.codes import parse_code
from app.certificates.design import (
    SAMPLE_CODE, Signatory, academy_signatory, study_time, what_it_certifies,
)
from app.certificates.extension import issuer_for
from app.courses.importer import import_course
from app.models import Certificate
from tests.factories import EXAMPLE_COURSE, import_example_course, meet_rule

TEMPLATES = Path(__file__).resolve().parents[1] / "certificates"
SIGNATURE = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 40">'
             b'<path d="M5 30 C 30 5, 60 5, 95 30" fill="none" stroke="#123"/></svg>')
needs_pdftoppm = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                    reason="pictures are drawn with poppler's pdftoppm")


@pytest.mark.parametrize(("minutes", "expected"), [
    (0, None), (3, "About 5 minutes of study"), (16, "About 15 minutes of study"),
    (60, "About 1 hour of study"), (89, "About 1 hour of study"),
    (90, "About 2 hours of study"), (370, "About 6 hours of study"),
    (1194, "About 20 hours of study"),
])
def test_study_time_is_rounded_the_way_people_say_it(minutes, expected):
    assert study_time(minutes) == expected


def test_what_it_certifies_joins_the_achievement_and_the_study_time():
    assert what_it_certifies("Can write OKRs.", 370) == "Can write OKRs. About 6 hours of study."
    assert what_it_certifies("Can write OKRs", 60) == "Can write OKRs. About 1 hour of study."
    assert what_it_certifies("", 370) == "About 6 hours of study."
    assert what_it_certifies("Can write OKRs.", 0) == "Can write OKRs."


def test_the_academy_signatory_is_shipped_with_a_plain_signature_drawing():
    signatory = academy_signatory(TEMPLATES)
    assert (signatory.name, signatory.title) == ("Dr. Amara Okafor", "Academy Director")
    assert signatory.image_url.startswith("data:image/svg+xml;base64,")


def test_the_sample_code_never_verifies():
    assert not parse_code(SAMPLE_CODE).ok


# --- issuance records what the document prints -------------------------------------------------

@pytest.fixture
def captured(app):
    """The facts each issuance renders, in order."""
    seen, issuer = [], issuer_for(app)
    render = issuer.render_and_sign

    def capture(facts, template=None):
        seen.append((facts, template))
        return render(facts, template)

    issuer.render_and_sign = capture
    return seen


def signed_course(db, tmp_path: Path):
    folder = tmp_path / "example-course"
    shutil.copytree(EXAMPLE_COURSE, folder)
    (folder / "assets" / "okafor.svg").write_bytes(SIGNATURE)
    course_md = folder / "course.md"
    course_md.write_text(course_md.read_text(encoding="utf-8").replace(
        "certificate_template: default\n",
        "certificate_template: modern\nachievement: Can write and score outcome key results.\n"
        "signatory: {name: Ada Lovelace, title: Head of Learning, "
        "signature: assets/okafor.svg}\n"), encoding="utf-8")
    course = import_course(db.session, folder).course
    db.session.commit()
    return course


def test_issuance_prints_the_course_signatory_achievement_and_study_time(
        db, make_user, tmp_path, captured):
    course = signed_course(db, tmp_path)
    version = course.current_version
    assert (version.achievement, version.signatory) == (
        "Can write and score outcome key results.",
        {"name": "Ada Lovelace", "title": "Head of Learning", "signature": "okafor.svg"})
    meet_rule(db, make_user(name="Grace Hopper"), course)
    (facts, template), = captured
    minutes = sum(lesson.minutes + lesson.exercise_minutes for lesson in version.lessons)
    assert template == "modern"
    assert (facts.achievement, facts.study_minutes) == (version.achievement, minutes)
    assert facts.signatory == Signatory("Ada Lovelace", "Head of Learning", SIGNATURE,
                                        "image/svg+xml")


def test_a_course_without_settings_prints_its_summary_and_the_academy_signatory(
        db, make_user, captured):
    course = import_example_course(db)
    meet_rule(db, make_user(), course)
    (facts, template), = captured
    assert template == "default"  # the classic design's former name, still honoured
    assert facts.achievement == course.current_version.summary
    assert facts.signatory == academy_signatory(TEMPLATES)


# --- the verify page and the public thumbnail ------------------------------------------------

@pytest.fixture
def issue(db, make_user):
    course = import_example_course(db)

    def make(issued_at: datetime | None = None) -> Certificate:
        user = make_user(name="Grace Hopper")
        meet_rule(db, user, course, issued_at or datetime.now(UTC) - timedelta(days=1))
        return certificates.live_certificate(db.session, user, course)
    return make


def test_the_verify_page_says_what_a_valid_certificate_certifies_and_pictures_it(client, issue):
    certificate = issue()
    html = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "What it certifies" in html
    assert "A short course on objectives, key results and how to score them." in html
    assert f'src="/certificates/{certificate.code}/thumbnail.png"' in html


@needs_pdftoppm
def test_the_thumbnail_of_a_valid_certificate_is_public(client, issue):
    certificate = issue()
    response = client.get(f"/certificates/{certificate.code}/thumbnail.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")
    assert response.headers["Cache-Control"] == "no-cache"
    again = client.get(f"/certificates/{certificate.code}/thumbnail.png",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("change", ["revoke", "suspend", "expire"])
def test_a_certificate_that_is_not_valid_is_not_pictured(db, client, issue, change):
    if change == "expire":
        certificate = issue(datetime.now(UTC) - timedelta(days=800))
    else:
        certificate = issue()
        getattr(certificates, change)(db.session, None, certificate.code, "Checked.",
                                      datetime.now(UTC))
        db.session.commit()
    html = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "thumbnail.png" not in html
    assert client.get(f"/certificates/{certificate.code}/thumbnail.png").status_code == 404


def test_an_unknown_or_junk_code_has_no_thumbnail(client):
    assert client.get("/certificates/OKR-7K3M-Q9TB-X2HD-4FRW-9/thumbnail.png").status_code == 404
    assert client.get("/certificates/not-a-code/thumbnail.png").status_code == 404


# --- administrators' template previews ---------------------------------------------------------

def test_only_administrators_see_the_template_previews(client, login_as):
    assert client.get("/admin/certificates/templates").status_code == 302
    login_as("learner")
    assert client.get("/admin/certificates/templates").status_code == 403
    assert client.get("/admin/certificates/templates/classic/sample.pdf").status_code == 403


def test_the_template_page_lists_both_designs(client, login_as):
    login_as("admin")
    html = client.get("/admin/certificates/templates").get_data(as_text=True)
    for name in ("classic", "modern"):
        assert f"/admin/certificates/templates/{name}/sample.pdf" in html
        assert f"certificate_template: {name}" in html


@pytest.mark.parametrize("name", ["missing", "..", "Classic", "signatory.yaml"])
def test_an_unknown_template_is_a_404(client, login_as, name):
    login_as("admin")
    assert client.get(f"/admin/certificates/templates/{name}/sample.png").status_code == 404
    assert client.get(f"/admin/certificates/templates/{name}/sample.pdf").status_code == 404


def test_a_broken_template_is_named_not_a_server_error(app, client, login_as, tmp_path):
    shutil.copytree(TEMPLATES, tmp_path / "certificates")
    (tmp_path / "certificates" / "broken").mkdir()
    (tmp_path / "certificates" / "broken" / "certificate.html").write_text("{{ no_such_value }}")
    issuer = issuer_for(app)
    issuer.settings = replace(issuer.settings, templates_dir=tmp_path / "certificates")
    login_as("admin")
    response = client.get("/admin/certificates/templates/broken/sample.pdf")
    assert response.status_code == 422
    assert "no_such_value" in response.get_data(as_text=True)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "sample.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.mark.renders_pdf
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
@pytest.mark.parametrize("name", ["classic", "modern"])
def test_a_sample_is_marked_unsigned_and_never_verifiable(client, login_as, tmp_path, name):
    login_as("admin")
    response = client.get(f"/admin/certificates/templates/{name}/sample.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert b"/ByteRange" not in response.data  # no PAdES signature
    text = pdf_text(response.data, tmp_path)
    for expected in ("SAMPLE", SAMPLE_CODE, "Alex Example", "Dr. Amara Okafor",
                     "About 6 hours of study"):
        assert expected in text
