"""`flask courses validate`: every problem of a course folder (or a folder of courses) at once."""
from __future__ import annotations

from pathlib import Path

from app.courses.content import find_course_folders, read_course
from app.courses.exam_checks import quiz_problems, quiz_statistics, true_false_problem
from app.courses.frontmatter import Problem, Reporter, read_front_matter
from app.courses.reader import COURSE_FILE
from app.courses.spec import CourseSpec

__all__ = ["Problem", "validate_course", "validate_courses_root"]


def validate_course(path: Path, *, exam_checks: bool = False) -> list[Problem]:
    """Every problem in one course folder, as `course-folder/file:line: message` problems;
    with `exam_checks`, also the quizzes' answer-key cues and the exam's size and skill mix."""
    spec, problems = read_course(Path(path))
    if spec is not None and exam_checks:
        problems += exam_check_problems(Path(path), spec)
    return problems


def exam_check_problems(folder: Path, spec: CourseSpec) -> list[Problem]:
    """The exam checker's findings for a course that reads without problems."""
    quizzes = [(_module_quiz_path(folder, module.slug), module.quiz, False)
               for module in spec.modules if module.quiz]
    if spec.final_exam:
        quizzes.append((f"{folder.name}/{_final_exam_file(folder)}", spec.final_exam, True))
    problems, true_keys, false_keys = [], 0, 0
    for path, quiz, final in quizzes:
        stats = quiz_statistics(quiz)
        true_keys, false_keys = true_keys + stats.true_keys, false_keys + stats.false_keys
        problems += [Problem(path, 0, text) for text in quiz_problems(quiz, stats, final_exam=final)]
    balance = true_false_problem(true_keys, false_keys)
    return problems + ([Problem(folder.name, 0, balance)] if balance else [])


def _module_quiz_path(folder: Path, slug: str) -> str:
    module = next((d.name for d in sorted(folder.iterdir())
                   if d.is_dir() and d.name.split("-", 1)[-1] == slug), slug)
    return f"{folder.name}/{module}/quiz.md"


def _final_exam_file(folder: Path) -> str:
    front = read_front_matter((folder / COURSE_FILE).read_text(encoding="utf-8"), Reporter(""))
    return str(front.data.get("final_exam") or "final-exam.md")


def validate_courses_root(path: Path, *, exam_checks: bool = False) -> list[Problem]:
    """Every problem under `path`: one course folder (it holds course.md) or a folder of courses."""
    path = Path(path)
    if not path.is_dir():
        return [Problem(path.name, 0, "not a folder")]
    folders = find_course_folders(path)
    if not folders:
        return [Problem(path.name, 0, "no course folders found (a course folder holds course.md)")]
    problems: list[Problem] = []
    for folder in folders:
        problems += validate_course(folder, exam_checks=exam_checks)
    return problems
