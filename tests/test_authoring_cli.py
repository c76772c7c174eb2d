"""`flask courses export`: the folder format back, byte for byte, from a version or the draft."""
from __future__ import annotations

import shutil

import pytest

from app.authoring import services
from app.courses.reader import content_hash, visible_files
from tests.factories import EXAMPLE_COURSE, import_example_course

LESSON = "01-foundations/01-origins.md"


def folder_files(folder) -> dict[str, bytes]:
    return {f.relative_to(folder).as_posix(): f.read_bytes() for f in visible_files(folder)}


@pytest.fixture
def course(db, app):
    app.config["COURSES_DIR"] = str(EXAMPLE_COURSE.parent)
    return import_example_course(db)


def test_export_writes_the_imported_course_back_byte_for_byte(course, runner, tmp_path):
    result = runner.invoke(args=["courses", "export", "example-course", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert folder_files(tmp_path / "example-course") == folder_files(EXAMPLE_COURSE)
    assert f"content hash {course.current_version.content_hash[:12]}" in result.output


def test_export_then_import_is_the_same_version(course, runner, tmp_path):
    runner.invoke(args=["courses", "export", "example-course", str(tmp_path)])
    again = runner.invoke(args=["courses", "import", str(tmp_path / "example-course")])
    assert again.exit_code == 0 and "unchanged (version 1 is current)" in again.output


def test_export_of_the_draft(course, db, runner, make_user, tmp_path):
    trainer = make_user("trainer")
    draft = services.start_draft(db.session, trainer, course, EXAMPLE_COURSE.parent)
    services.save_file(db.session, trainer, draft, LESSON, draft.files[LESSON] + "\nDraft only.\n",
                       services.file_revision(draft, LESSON))
    db.session.commit()
    target = tmp_path / "example-course"
    shutil.copytree(EXAMPLE_COURSE, target)
    result = runner.invoke(args=["courses", "export", "example-course", str(tmp_path), "--draft"])
    assert result.exit_code == 0 and "1 file(s) written or removed" in result.output
    assert (target / LESSON).read_text().endswith("Draft only.\n")
    assert content_hash(target) == draft.content_hash


def test_export_of_a_version_whose_files_are_gone_is_rebuilt_with_a_note(course, runner, app,
                                                                        tmp_path):
    app.config["COURSES_DIR"] = str(tmp_path / "elsewhere")
    result = runner.invoke(args=["courses", "export", "example-course", str(tmp_path / "out")])
    assert result.exit_code == 0 and "rebuilt from the published content" in result.output
    imported = runner.invoke(args=["courses", "validate", "--no-exam-checks", str(tmp_path / "out" / "example-course")])
    assert imported.exit_code == 0, imported.output


@pytest.mark.parametrize("args, message", [
    (["no-such-course"], "No course with the slug 'no-such-course'"),
    (["example-course", "--draft"], "has no studio draft"),
])
def test_export_errors(course, runner, tmp_path, args, message):
    result = runner.invoke(args=["courses", "export", *args[:1], str(tmp_path), *args[1:]])
    assert result.exit_code == 1 and message in result.output


def test_export_refuses_to_overwrite_a_folder_that_is_not_a_course(course, runner, tmp_path):
    (tmp_path / "example-course").mkdir()
    (tmp_path / "example-course" / "thesis.txt").write_text("precious")
    result = runner.invoke(args=["courses", "export", "example-course", str(tmp_path)])
    assert result.exit_code == 1 and "refusing to overwrite" in result.output
    assert (tmp_path / "example-course" / "thesis.txt").read_text() == "precious"


def test_export_of_a_course_never_published(db, runner, make_user, tmp_path):
    services.create_course(db.session, make_user("trainer"), slug="okr-101", title="OKR 101")
    db.session.commit()
    result = runner.invoke(args=["courses", "export", "okr-101", str(tmp_path)])
    assert result.exit_code == 1 and "not been published yet: use --draft" in result.output
    drafted = runner.invoke(args=["courses", "export", "okr-101", str(tmp_path), "--draft"])
    assert drafted.exit_code == 0 and (tmp_path / "okr-101" / "course.md").is_file()
