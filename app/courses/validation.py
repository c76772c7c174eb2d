"""`flask courses validate`: every problem of a course folder (or a folder of courses) at once."""
from __future__ import annotations

from pathlib import Path

from app.courses.content import find_course_folders, read_course
from app.courses.frontmatter import Problem

__all__ = ["Problem", "validate_course", "validate_courses_root"]


def validate_course(path: Path) -> list[Problem]:
    """Every problem in one course folder, as `course-folder/file:line: message` problems."""
    _, problems = read_course(Path(path))
    return problems


def validate_courses_root(path: Path) -> list[Problem]:
    """Every problem under `path`: one course folder (it holds course.md) or a folder of courses."""
    path = Path(path)
    if not path.is_dir():
        return [Problem(path.name, 0, "not a folder")]
    folders = find_course_folders(path)
    if not folders:
        return [Problem(path.name, 0, "no course folders found (a course folder holds course.md)")]
    problems: list[Problem] = []
    for folder in folders:
        problems += validate_course(folder)
    return problems
