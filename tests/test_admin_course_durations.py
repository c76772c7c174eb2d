"""One duration per course, computed in one place and shown alike on every learner page; a
lesson's `minutes` may be left out and is then estimated from its words."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from app.courses import services
from app.courses.catalogue import Duration, duration, minutes_text
from app.courses.content import read_course
from app.courses.spec import WORDS_PER_MINUTE, reading_minutes
from tests.factories import EXAMPLE_COURSE

LESSON = Path("01-foundations") / "01-origins.md"


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.fixture
def course_dir(tmp_path) -> Path:
    target = tmp_path / "example-course"
    shutil.copytree(EXAMPLE_COURSE, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("words, minutes", [(0, 1), (1, 1), (WORDS_PER_MINUTE, 1),
                                            (WORDS_PER_MINUTE + 1, 2), (5 * WORDS_PER_MINUTE, 5)])
def test_reading_time_is_the_words_at_the_reading_pace_rounded_up(words, minutes):
    assert reading_minutes(" ".join(["word"] * words)) == minutes


def test_markdown_markers_are_not_words():
    body = "# Title\n\n- one\n- two\n\n| a | b |\n|---|---|\n> quote\n\n---\n"
    assert reading_minutes(body * WORDS_PER_MINUTE) == 6  # "Title one two a b quote": 6 words
    assert reading_minutes("- * | --- > #") == 1


@pytest.mark.parametrize("minutes, text", [(1, "1 min"), (45, "45 min"), (59, "59 min"),
                                           (60, "1 h"), (83, "1 h 25 min"), (232, "3 h 50 min"),
                                           (599, "10 h"), (1000, "16 h 30 min"), (1267, "21 h")])
def test_minutes_print_the_same_way_everywhere(minutes, text):
    assert minutes_text(minutes) == text


def test_a_course_duration_is_reading_plus_exercises():
    class Lesson:
        def __init__(self, minutes, exercise_minutes=0):
            self.minutes, self.exercise_minutes = minutes, exercise_minutes

    assert str(duration([Lesson(4), Lesson(4), Lesson(4), Lesson(4)])) == \
        "about 16 min of reading"
    both = duration([Lesson(10, 30), Lesson(10, 30)])
    assert both == Duration(20, 60, 2) and both.minutes == 80
    assert str(both) == "about 1 h 20 min (20 min reading + 1 h exercises)"
    assert duration(Lesson(6, 20)).parts == "6 min reading + 20 min exercise"
    assert duration(Lesson(6)).parts == "6 min reading"


def test_a_lesson_without_minutes_is_estimated_from_its_words(course_dir):
    edit(course_dir / LESSON, "minutes: 6\n", "")
    body = " ".join(["outcome"] * (2 * WORDS_PER_MINUTE + 10))
    (course_dir / LESSON).write_text((course_dir / LESSON).read_text() + "\n" + body + "\n")
    spec, problems = read_course(course_dir)
    assert problems == []
    origins = spec.modules[0].lessons[0]
    assert origins.slug == "origins" and origins.minutes == 3


@pytest.mark.parametrize("value, message", [
    ("0", "'minutes' must be between 1 and 600, got 0"),
    ("-5", "'minutes' must be between 1 and 600, got -5"),
    ("soon", "'minutes' must be a whole number, got 'soon'"),
    ("1.5", "'minutes' must be a whole number, got 1.5")])
def test_minutes_that_are_given_must_be_a_reading_time(course_dir, value, message):
    edit(course_dir / LESSON, "minutes: 6", f"minutes: {value}")
    spec, problems = read_course(course_dir)
    assert spec is None and [p.message for p in problems] == [message]


def test_the_catalogue_and_the_course_page_say_the_same_duration(db, client, login_as,
                                                                 course_dir):
    edit(course_dir / LESSON, "minutes: 6\n", "minutes: 6\nexercise_minutes: 20\n")
    edit(course_dir / "01-foundations" / "02-anatomy.md", "minutes: 8\n",
         "minutes: 8\nexercise_minutes: 45\n")
    course = services.import_course(db.session, course_dir).course
    db.session.commit()
    expected = "about 1 h 30 min (26 min reading + 1 h 5 min exercises)"
    assert expected in text_of(client.get("/courses"))
    assert expected in text_of(client.get(f"/courses/{course.slug}"))
    learner = login_as("learner")
    services.enroll(db.session, learner, course)
    db.session.commit()
    lesson = text_of(client.get(f"/courses/{course.slug}/foundations/origins"))
    assert "Module 1: Foundations · 6 min reading + 20 min exercise" in lesson
    assert "6 min reading + 20 min exercise" in text_of(client.get(f"/courses/{course.slug}"))
