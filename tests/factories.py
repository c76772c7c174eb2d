"""Helpers other test modules reuse to set up course content."""
from __future__ import annotations

from pathlib import Path

from app.courses.services import import_course
from app.models import Course

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE_COURSE = FIXTURES / "courses" / "example-course"


def import_example_course(db) -> Course:
    """Import tests/fixtures/courses/example-course (committed) and return its Course."""
    result = import_course(db.session, EXAMPLE_COURSE)
    db.session.commit()
    return result.course
