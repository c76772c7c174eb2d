"""Re-importing `courses/` never reverts a version a trainer published in the studio.

Before: restarting `make run` re-imported the course folders over a studio-published version,
and learners lost the trainer's edit.
"""
from __future__ import annotations

import shutil

import pytest

from app.authoring import services as studio
from tests.factories import EXAMPLE_COURSE, import_example_course

LESSON = "01-foundations/01-origins.md"


@pytest.fixture
def published(db, make_user):
    """The example course with a trainer's edit published from the studio (version 2)."""
    course = import_example_course(db)
    trainer = make_user("trainer")
    draft = studio.start_draft(db.session, trainer, course, EXAMPLE_COURSE.parent)
    db.session.commit()
    studio.save_file(db.session, trainer, draft, LESSON,
                     draft.files[LESSON] + "\nThe trainer's closing paragraph.\n",
                     draft.file_revisions.get(LESSON, 0))
    studio.publish_draft(db.session, trainer, draft, draft.revision)
    db.session.commit()
    assert course.current_version.number == 2 and course.current_version.source == "studio"
    return course


@pytest.fixture
def edited_folder(tmp_path):
    """The course folder with an edit of its own, so its content differs from version 2."""
    root = tmp_path / "courses"
    shutil.copytree(EXAMPLE_COURSE, root / EXAMPLE_COURSE.name)
    lesson = root / EXAMPLE_COURSE.name / LESSON
    lesson.write_text(lesson.read_text() + "\nA folder edit.\n")
    return root


def test_the_import_leaves_a_studio_version_alone_and_says_why(db, published, edited_folder,
                                                                runner):
    result = runner.invoke(args=["courses", "import", str(edited_folder)])
    assert result.exit_code == 0, result.output
    assert "example-course: left alone: version 2 was published in the studio" in result.output
    db.session.expire_all()
    assert published.current_version.number == 2
    assert "The trainer's closing paragraph." in _lesson_html(published)


def test_force_replaces_it(db, published, edited_folder, runner):
    result = runner.invoke(args=["courses", "import", "--force", str(edited_folder)])
    assert result.exit_code == 0, result.output
    assert "example-course: updated to version 3" in result.output
    db.session.expire_all()
    assert published.current_version.number == 3 and published.current_version.source == "import"


def test_a_second_studio_publish_still_replaces_the_first(db, published, make_user):
    trainer = make_user("trainer")
    draft = studio.start_draft(db.session, trainer, published, EXAMPLE_COURSE.parent)
    studio.save_file(db.session, trainer, draft, LESSON, draft.files[LESSON] + "\nAgain.\n",
                     draft.file_revisions.get(LESSON, 0))
    result = studio.publish_draft(db.session, trainer, draft, draft.revision)
    db.session.commit()
    assert result.status == "updated" and published.current_version.number == 3


def _lesson_html(course) -> str:
    lesson = next(lesson for lesson in course.current_version.lessons
                  if lesson.slug == "origins")
    return lesson.html
