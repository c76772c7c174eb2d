"""course.md's certificate settings: the achievement line and the signatory, checked at import."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.courses.content import course_from_dict, course_to_dict, load_course
from app.courses.spec import SignatorySpec
from app.courses.validation import validate_course

EXAMPLE = Path(__file__).parents[1] / "fixtures" / "courses" / "example-course"
SIGNATURE_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 40">'
                 b'<path d="M5 30 C 30 5, 60 5, 95 30" fill="none" stroke="#123"/></svg>')
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture()
def course(tmp_path: Path) -> Path:
    target = tmp_path / "okr-course"
    shutil.copytree(EXAMPLE, target)
    (target / "assets" / "signature.svg").write_bytes(SIGNATURE_SVG)
    return target


def set_front_matter(course: Path, lines: str) -> None:
    path = course / "course.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("sequential: true\n", f"sequential: true\n{lines}", 1),
                    encoding="utf-8")


def problems(course: Path) -> list[str]:
    return [str(problem) for problem in validate_course(course)]


def test_achievement_and_signatory_are_read_and_kept_through_the_stored_spec(course):
    set_front_matter(course, "achievement: Can write outcome key results.\n"
                             "signatory: {name: Dr. Amara Okafor, title: Academy Director, "
                             "signature: assets/signature.svg}\n")
    spec = load_course(course)
    assert spec.achievement == "Can write outcome key results."
    assert spec.signatory == SignatorySpec("Dr. Amara Okafor", "Academy Director", "signature.svg")
    assert course_from_dict(course_to_dict(spec)) == spec


def test_a_png_signature_is_accepted(course):
    (course / "assets" / "signature.png").write_bytes(PNG)
    set_front_matter(course, "signatory: {name: A. Person, title: Dean, "
                             "signature: assets/signature.png}\n")
    assert load_course(course).signatory.signature == "signature.png"


@pytest.mark.parametrize(("lines", "message"), [
    ("achievement: " + "x" * 161 + "\n",
     "'achievement' is 161 characters long: keep it to 160 so it fits on the certificate"),
    ("signatory: Dr. Amara Okafor\n",
     "'signatory' must give name, title and signature, such as {name: Dr. Amara Okafor, "
     "title: Academy Director, signature: assets/signature.svg}"),
    ("signatory: {name: A, title: B, signature: assets/signature.svg, seal: x}\n",
     "'signatory' has no setting 'seal' (it takes name, title, signature)"),
    ("signatory: {title: Dean, signature: assets/signature.svg}\n",
     "'signatory' needs a name (text)"),
    ("signatory: {name: A, title: Dean}\n",
     "'signatory' needs a signature: an SVG or PNG in the course's assets/ folder, such as "
     "assets/signature.svg"),
    ("signatory: {name: A, title: Dean, signature: assets/missing.svg}\n",
     "the signature 'assets/missing.svg' is not a file in the course's assets/ folder"),
    ("signatory: {name: A, title: Dean, signature: ../signature.svg}\n",
     "the signature '../signature.svg' is not a file in the course's assets/ folder"),
    ("signatory: {name: A, title: Dean, signature: assets/okr-cycle.txt}\n",
     "the signature 'assets/okr-cycle.txt' must be an SVG or PNG image"),
    ("signatory: {name: A, title: Dean, signature: assets/fake.png}\n",
     "the signature 'assets/fake.png' is not a PNG image"),
    ("signatory: {name: " + "N" * 61 + ", title: Dean, signature: assets/signature.svg}\n",
     "the signatory's name is 61 characters long: keep it to 60"),
])
def test_bad_certificate_settings_are_reported_on_their_line(course, lines, message):
    (course / "assets" / "okr-cycle.txt").write_text("not an image")
    (course / "assets" / "fake.png").write_bytes(b"GIF89a")
    set_front_matter(course, lines)
    assert f"okr-course/course.md:8: {message}" in problems(course)


def test_an_unsafe_signature_svg_is_refused_like_any_asset(course):
    (course / "assets" / "signature.svg").write_bytes(
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    set_front_matter(course, "signatory: {name: A, title: Dean, "
                             "signature: assets/signature.svg}\n")
    assert any(p.startswith("okr-course/assets/signature.svg:0:") for p in problems(course))


def test_the_shipped_courses_name_a_signatory_and_an_achievement():
    for folder in sorted((Path(__file__).parents[2] / "courses").glob("*/course.md")):
        spec = load_course(folder.parent)
        assert spec.signatory is not None and spec.achievement, folder.parent.name
        assert spec.certificate_template == "classic"
