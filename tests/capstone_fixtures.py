"""A course with a capstone (the example course plus a brief and rubric), learners who are
ready for it, and a trainer who maintains the course."""
from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest

from app.courses.services import import_course
from app.models import CourseMaintainer
from tests.factories import EXAMPLE_COURSE, QUIZ_TIME, ready_for_exam

CAPSTONE = """---
title: "Capstone: your team's OKRs"
minutes: 120
pass_mark: 70
---

Write your team's OKRs for next quarter and a one-page note to your manager.

# Rubric

## Objectives point the way {#objectives minimum=3}
Qualitative, inspiring, tied to the strategy.

- **Exemplary** (4): Every objective is qualitative, inspiring and tied to the strategy.
- **Proficient** (3): Objectives are clear; one is a task in disguise.
- **Developing** (1): Objectives are lists of work.
- **Missing** (0): No objectives.

## Key results measure outcomes {#key-results}
- **Exemplary** (4): Every key result has a baseline, a target and a date.
- **Proficient** (3): Most key results measure outcomes.
- **Developing** (1): Key results are mostly activities.
- **Missing** (0): No key results.

## The note explains why {#note}
- **Clear** (2): The note links the OKRs to the strategy.
- **Unclear** (0): The note does not.
"""
#: points that pass (9 of 10 with every minimum met) and that fail on the minimum alone
PASSING = {"objectives": 4, "key-results": 3, "note": 2}
BELOW_MINIMUM = {"objectives": 1, "key-results": 4, "note": 2}
COMMENTS = {"objectives": "Strong and tied to the plan.", "key-results": "Baselines are there.",
            "note": "Reads well."}


CAPSTONE_COURSE_TITLE = "Team OKRs in Practice"


def write_capstone_course(folder: Path) -> Path:
    """The example course with `capstone: capstone.md`, written under `folder`."""
    target = folder / "capstone-course"
    shutil.copytree(EXAMPLE_COURSE, target)
    course_md = target / "course.md"
    text = course_md.read_text().replace("title: OKR Essentials", f"title: {CAPSTONE_COURSE_TITLE}")
    course_md.write_text(text.replace("sequential: true\n", "sequential: true\ncapstone: capstone.md\n", 1))
    (target / "capstone.md").write_text(CAPSTONE)
    return target


@pytest.fixture
def capstone_course(db, tmp_path):
    result = import_course(db.session, write_capstone_course(tmp_path))
    db.session.commit()
    return result.course


@pytest.fixture
def ready_learner(db, make_user, capstone_course):
    """A learner whose lessons and module quizzes are done: the capstone is open."""
    user = make_user(name="Robin Ready")
    ready_for_exam(db, user, capstone_course, QUIZ_TIME)
    return user


@pytest.fixture
def trainer(db, make_user, capstone_course):
    user = make_user("trainer", name="Tess Trainer")
    db.session.add(CourseMaintainer(course_id=capstone_course.id, user_id=user.id))
    db.session.commit()
    return user


def office_file(main_part: str, *, macros: bool = False) -> bytes:
    """A minimal OOXML package with the given main part (and a VBA project if `macros`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        kind = "macroEnabled" if macros else "main"
        package.writestr("[Content_Types].xml", f'<Types><Override ContentType="{kind}"/></Types>')
        package.writestr(main_part, "<document/>")
        if macros:
            package.writestr("word/vbaProject.bin", b"\x00" * 16)
    return buffer.getvalue()


PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
