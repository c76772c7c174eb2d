"""The course loader: folder to frozen dataclasses, content hash, JSON round trip."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.courses.content import (
    FINAL_EXAM_KEY,
    AssetSpec,
    CourseInvalid,
    CourseSpec,
    asset_reference,
    content_hash,
    course_from_dict,
    course_to_dict,
    find_course_folders,
    load_course,
)

FIXTURES = Path(__file__).parents[1] / "fixtures"
EXAMPLE = FIXTURES / "courses" / "example-course"


@pytest.fixture()
def course() -> CourseSpec:
    return load_course(EXAMPLE)


@pytest.fixture()
def course_copy(tmp_path: Path) -> Path:
    target = tmp_path / "example-course"
    shutil.copytree(EXAMPLE, target)
    return target


def test_course_settings(course: CourseSpec) -> None:
    assert course.slug == "example-course"
    assert course.title == "OKR Essentials"
    assert course.summary.startswith("A short course")
    assert "**Objectives and Key Results**" in course.description_md
    assert (course.validity_months, course.certificate_template, course.sequential) == (24, "default", True)


def test_modules_and_lessons_in_prefix_order(course: CourseSpec) -> None:
    assert [(m.position, m.slug) for m in course.modules] == [(1, "foundations"), (2, "writing-key-results")]
    foundations = course.modules[0]
    assert foundations.title == "Foundations"
    assert foundations.summary == "What an OKR is and where the method comes from."
    assert foundations.intro_md.strip().startswith("Start here")
    assert [(lesson.position, lesson.slug, lesson.minutes) for lesson in foundations.lessons] == [
        (1, "origins", 6), (2, "anatomy", 8)]
    assert foundations.lessons[0].title == "Origins"
    assert foundations.lessons[0].body_md.lstrip().startswith("# From MBO to OKRs")


def test_quizzes_are_keyed_by_module_slug_and_final_exam(course: CourseSpec) -> None:
    assert [m.quiz.key for m in course.modules if m.quiz] == ["foundations", "writing-key-results"]
    assert course.final_exam is not None and course.final_exam.key == FINAL_EXAM_KEY == "final-exam"
    assert course.final_exam.draw == {"foundations": 2, "key-results": 1}


def test_assets_are_loaded_with_type_and_hash(course: CourseSpec) -> None:
    (asset,) = course.assets
    data = (EXAMPLE / "assets" / "okr-cycle.svg").read_bytes()
    assert (asset.path, asset.content_type, asset.data) == ("okr-cycle.svg", "image/svg+xml", data)
    assert len(asset.sha256) == 64


def test_round_trip_through_json_is_identical(course: CourseSpec) -> None:
    data = course_to_dict(course)
    stored = json.loads(json.dumps(data))
    assert stored == data
    assert "data" not in stored["assets"][0]
    assert course_from_dict(stored) == course


def test_content_hash_is_stable_and_tracks_every_byte(course_copy: Path) -> None:
    first = load_course(course_copy).content_hash
    assert first == content_hash(course_copy) == load_course(course_copy).content_hash
    lesson = course_copy / "01-foundations" / "02-anatomy.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    assert load_course(course_copy).content_hash != first


def test_content_hash_tracks_renames(course_copy: Path) -> None:
    first = content_hash(course_copy)
    (course_copy / "assets" / "okr-cycle.svg").rename(course_copy / "assets" / "cycle.svg")
    assert content_hash(course_copy) != first


def test_content_hash_ignores_hidden_files(course_copy: Path) -> None:
    first = content_hash(course_copy)
    (course_copy / ".DS_Store").write_bytes(b"\0")
    (course_copy / "assets" / ".thumbs").write_bytes(b"\0")
    assert content_hash(course_copy) == first
    assert load_course(course_copy).content_hash == first


def test_content_hash_does_not_depend_on_the_folder_location(tmp_path: Path, course_copy: Path) -> None:
    elsewhere = tmp_path / "other" / "example-course"
    shutil.copytree(course_copy, elsewhere)
    assert content_hash(elsewhere) == content_hash(course_copy)


def test_load_course_raises_with_every_problem(course_copy: Path) -> None:
    (course_copy / "01-foundations" / "01-origins.md").write_text("no front matter", encoding="utf-8")
    (course_copy / "02-writing-key-results" / "module.md").unlink()
    with pytest.raises(CourseInvalid) as caught:
        load_course(course_copy)
    messages = [str(p) for p in caught.value.problems]
    assert messages == [
        "example-course/01-foundations/01-origins.md:1: missing front matter: the file must start "
        "with a `---` line, then YAML settings, then a closing `---` line",
        "example-course/02-writing-key-results/module.md:0: missing module.md (front matter: title, summary)",
    ]
    assert str(caught.value) == "\n".join(messages)


def test_hidden_files_are_not_content(course_copy: Path) -> None:
    (course_copy / "01-foundations" / ".notes.md").write_text("scratch", encoding="utf-8")
    (course_copy / ".git").mkdir()
    (course_copy / ".git" / "HEAD").write_text("ref", encoding="utf-8")
    assert load_course(course_copy) == load_course(EXAMPLE)


def test_a_course_without_final_exam_or_quizzes(course_copy: Path) -> None:
    (course_copy / "final-exam.md").unlink()
    (course_copy / "01-foundations" / "quiz.md").unlink()
    course_md = course_copy / "course.md"
    course_md.write_text(course_md.read_text(encoding="utf-8").replace("final_exam: final-exam.md\n", ""),
                         encoding="utf-8")
    spec = load_course(course_copy)
    assert spec.final_exam is None and spec.modules[0].quiz is None


def test_defaults_for_optional_course_settings(course_copy: Path) -> None:
    (course_copy / "course.md").write_text(
        "---\ntitle: Minimal\nfinal_exam: final-exam.md\n---\n", encoding="utf-8")
    spec = load_course(course_copy)
    assert (spec.summary, spec.validity_months, spec.certificate_template, spec.sequential) == (
        "", 24, "classic", True)
    assert (spec.achievement, spec.signatory) == ("", None)


@pytest.mark.parametrize(("href", "depth", "expected"), [
    ("../assets/okr-cycle.svg", 1, "okr-cycle.svg"),
    ("assets/diagrams/a.png", 0, "diagrams/a.png"),
    ("./../assets/x.svg#part", 1, "x.svg"),
    ("../assets/x.svg", 0, None),
    ("../01-foundations/01-origins.md", 1, None),
    ("https://example.com/a.png", 1, None),
    ("#anchor", 1, None),
    ("/assets/x.svg", 1, None),
])
def test_asset_reference(href: str, depth: int, expected: str | None) -> None:
    assert asset_reference(href, depth=depth) == expected


def test_find_course_folders(tmp_path: Path) -> None:
    assert find_course_folders(EXAMPLE) == [EXAMPLE]
    assert find_course_folders(EXAMPLE.parent) == [EXAMPLE]
    (tmp_path / "b-course").mkdir()
    (tmp_path / "a-course").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "README.md").write_text("guide", encoding="utf-8")
    assert find_course_folders(tmp_path) == [tmp_path / "a-course", tmp_path / "b-course"]


def test_asset_equality_ignores_bytes_but_not_hash() -> None:
    assert AssetSpec("a.svg", "image/svg+xml", b"<svg/>", "1") == AssetSpec("a.svg", "image/svg+xml", b"", "1")
    assert AssetSpec("a.svg", "image/svg+xml", b"", "1") != AssetSpec("a.svg", "image/svg+xml", b"", "2")
