"""Course folders into the database: new, unchanged, changed, broken; and the CLI around it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.courses import services
from app.courses.content import CourseInvalid, course_from_dict
from app.models import AuditEvent, Course, CourseAsset, CourseVersion, VersionLesson, VersionModule
from app.courses.quiz_spec import quiz_from_dict
from tests.factories import EXAMPLE_COURSE, FIXTURES, import_example_course

BROKEN_COURSE = FIXTURES / "broken" / "many-problems"


@pytest.fixture
def course_dir(tmp_path) -> Path:
    """A writable copy of the example course, under a folder of courses."""
    target = tmp_path / "courses" / "example-course"
    shutil.copytree(EXAMPLE_COURSE, target)
    return target


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new), encoding="utf-8")


def test_new_course_is_created_with_rendered_lessons_assets_and_quizzes(db):
    result = services.import_course(db.session, EXAMPLE_COURSE)
    db.session.commit()
    assert result.status == "created"
    course, version = result.course, result.version
    assert course.slug == "example-course" and course.title == "OKR Essentials"
    assert course.current_version_id == version.id and version.number == 1
    assert [m.slug for m in version.modules] == ["foundations", "writing-key-results"]
    assert [(le.module_slug, le.slug) for le in version.lessons] == [
        ("foundations", "origins"), ("foundations", "anatomy"),
        ("writing-key-results", "measurable"), ("writing-key-results", "scoring")]
    origins = version.lessons[0]
    assert origins.minutes == 6 and "<h1" in origins.html
    assert 'src="/courses/example-course/assets/okr-cycle.svg?v=1"' in origins.html
    assert 'class="callout callout-note"' in origins.html
    assert "<strong>Objectives and Key Results</strong>" in version.description_html
    asset = db.session.scalar(select(CourseAsset).where(CourseAsset.version_id == version.id))
    assert asset.path == "okr-cycle.svg" and asset.content_type == "image/svg+xml"
    assert asset.data.startswith(b"<svg") or b"<svg" in asset.data[:200]


def test_stored_specs_rebuild_the_quizzes_and_the_course(db):
    version = services.import_course(db.session, EXAMPLE_COURSE).version
    db.session.commit()
    db.session.expire_all()
    quiz = quiz_from_dict(version.modules[0].quiz)
    assert quiz.key == "foundations" and quiz.pass_mark == 75 and len(quiz.questions) == 4
    exam = quiz_from_dict(version.final_exam)
    assert exam.key == "final-exam" and exam.questions
    spec = course_from_dict(version.spec)
    assert spec.content_hash == version.content_hash
    assert [m.slug for m in spec.modules] == ["foundations", "writing-key-results"]


def test_same_content_again_is_unchanged(db):
    first = services.import_course(db.session, EXAMPLE_COURSE)
    db.session.commit()
    again = services.import_course(db.session, EXAMPLE_COURSE)
    db.session.commit()
    assert again.status == "unchanged" and again.version.id == first.version.id
    assert count(db, CourseVersion) == 1 and count(db, VersionLesson) == 4


def test_changed_content_makes_a_new_current_version_and_keeps_the_old(db, course_dir):
    services.import_course(db.session, course_dir)
    db.session.commit()
    edit(course_dir / "01-foundations" / "02-anatomy.md", "minutes: 8", "minutes: 9")
    (course_dir / "02-writing-key-results" / "02-scoring.md").unlink()
    result = services.import_course(db.session, course_dir)
    db.session.commit()
    assert result.status == "updated" and result.version.number == 2
    course = db.session.scalar(select(Course))
    assert course.current_version.number == 2
    assert [v.number for v in course.versions] == [1, 2]
    old, new = course.versions
    assert len(old.lessons) == 4 and len(new.lessons) == 3
    assert next(le for le in new.lessons if le.slug == "anatomy").minutes == 9
    assert "?v=2" in new.lessons[0].html and "?v=1" in old.lessons[0].html
    assert count(db, CourseAsset) == 2
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["course.created", "course.updated"]


def test_actor_is_recorded(db, make_user):
    trainer = make_user("trainer")
    version = services.import_course(db.session, EXAMPLE_COURSE, actor=trainer).version
    db.session.commit()
    assert version.created_by_id == trainer.id


def test_broken_course_raises_every_problem_and_changes_nothing(db):
    with pytest.raises(CourseInvalid) as caught:
        services.import_course(db.session, BROKEN_COURSE)
    assert len(caught.value.problems) > 5
    assert all(p.path.startswith("many-problems") for p in caught.value.problems)
    db.session.commit()
    assert count(db, Course) == 0 and count(db, CourseVersion) == 0


def test_broken_new_content_keeps_the_current_version(db, course_dir):
    services.import_course(db.session, course_dir)
    db.session.commit()
    edit(course_dir / "01-foundations" / "01-origins.md", "title: Origins", "titel: Origins")
    with pytest.raises(CourseInvalid) as caught:
        services.import_course(db.session, course_dir)
    assert any("01-origins.md" in str(p) for p in caught.value.problems)
    db.session.commit()
    assert count(db, CourseVersion) == 1


def test_import_courses_is_all_or_nothing(db, course_dir):
    shutil.copytree(BROKEN_COURSE, course_dir.parent / "many-problems")
    with pytest.raises(CourseInvalid):
        services.import_courses(db.session, course_dir.parent)
    db.session.commit()
    assert count(db, Course) == 0
    shutil.rmtree(course_dir.parent / "many-problems")
    results = services.import_courses(db.session, course_dir.parent)
    assert [r.status for r in results] == ["created"]


def test_module_without_quiz_is_stored_without_one(db, course_dir):
    (course_dir / "02-writing-key-results" / "quiz.md").unlink()
    course = services.import_course(db.session, course_dir).course
    db.session.commit()
    outline = services.course_outline(db.session, course)
    assert [m.has_quiz for m in outline] == [True, False]
    module = db.session.scalar(
        select(VersionModule).where(VersionModule.slug == "writing-key-results"))
    assert module.quiz is None


def test_link_resolver_maps_asset_links_of_each_depth():
    module_links = services.link_resolver("c", 3, services.MODULE_DEPTH)
    course_links = services.link_resolver("c", 3, services.COURSE_DEPTH)
    assert module_links("../assets/a b.svg") == "/courses/c/assets/a b.svg?v=3"
    assert course_links("assets/x/y.png") == "/courses/c/assets/x/y.png?v=3"
    assert module_links("https://example.com") is None
    assert module_links("other.md") is None
    assert services.link_resolver("c", 3, 1) is module_links


def test_factory_helper_imports_the_example_course(db):
    course = import_example_course(db)
    assert course.id and course.current_version.number == 1


# --- the CLI ------------------------------------------------------------------------------


def test_cli_validate_good_course(runner):
    result = runner.invoke(args=["courses", "validate", "--no-exam-checks", str(EXAMPLE_COURSE)])
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


def test_cli_validate_lists_every_problem_and_exits_1(runner):
    result = runner.invoke(args=["courses", "validate", str(BROKEN_COURSE)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("many-problems/")]
    assert len(lines) > 5
    assert all(line.count(":") >= 2 for line in lines)


def test_cli_import_default_folder_is_idempotent_and_versioned(app, runner, db, course_dir):
    app.config["COURSES_DIR"] = str(course_dir.parent)
    result = runner.invoke(args=["courses", "import"])
    assert result.exit_code == 0, result.output
    assert "example-course: created version 1 (4 lessons)" in result.output
    result = runner.invoke(args=["courses", "import"])
    assert "example-course: unchanged (version 1 is current)" in result.output
    edit(course_dir / "course.md", "short course", "brief course")
    result = runner.invoke(args=["courses", "import", str(course_dir)])
    assert result.exit_code == 0, result.output
    assert "example-course: updated to version 2" in result.output
    assert count(db, CourseVersion) == 2


def test_cli_import_broken_course_imports_nothing(runner, db, course_dir):
    shutil.copytree(BROKEN_COURSE, course_dir.parent / "many-problems")
    result = runner.invoke(args=["courses", "import", str(course_dir.parent)])
    assert result.exit_code == 1
    assert "many-problems/" in result.output and "nothing was imported" in result.output
    assert count(db, Course) == 0


def test_cli_import_missing_folder(runner, tmp_path):
    result = runner.invoke(args=["courses", "import", str(tmp_path / "nope")])
    assert result.exit_code != 0 and "not a folder" in result.output
