"""`flask courses validate|import`: thin wrappers on the course loader and the import service."""
from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.courses import services
from app.courses.content import CourseInvalid
from app.courses.exam_checks import describe, quiz_problems, quiz_statistics
from app.courses.quiz_parser import parse_quiz
from app.courses.validation import validate_courses_root
from app.extensions import db

courses_group = AppGroup("courses", help="Validate and import Markdown courses.")


def _root(path: str | None) -> Path:
    """PATH, or the configured courses folder."""
    return Path(path) if path else Path(current_app.config["COURSES_DIR"])


def _report_problems(problems) -> None:
    """Print every problem as `path:line: message` and exit 1."""
    for problem in problems:
        click.echo(str(problem), err=True)
    noun = "problem" if len(problems) == 1 else "problems"
    raise click.ClickException(f"{len(problems)} {noun} found; nothing was imported.")


@courses_group.command("validate")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.option("--no-exam-checks", is_flag=True,
              help="Skip the answer-key cue, size and skill-mix targets of the quizzes.")
def validate(path: str | None, no_exam_checks: bool) -> None:
    """List every problem in a course folder or every course under PATH (default COURSES_DIR)."""
    root = _root(path)
    problems = validate_courses_root(root, exam_checks=not no_exam_checks)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        click.echo(f"{len(problems)} {noun} found.", err=True)
        raise SystemExit(1)
    click.echo(f"{root}: no problems found.")


@courses_group.command("import")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.option("--force", is_flag=True,
              help="Replace versions that trainers published in the studio too.")
def import_courses(path: str | None, force: bool) -> None:
    """Import a course folder (or every course under PATH; default COURSES_DIR), all or nothing.

    A course whose current version was published in the studio is left alone unless --force
    is given: the folder would otherwise revert the trainer's edit.
    """
    root = _root(path)
    if not root.is_dir():
        raise click.ClickException(f"{root} is not a folder.")
    started = time.perf_counter()
    try:
        results = services.import_courses(db.session, root, replace_studio=force)
    except CourseInvalid as error:
        db.session.rollback()
        _report_problems(error.problems)
    db.session.commit()
    for result in results:
        click.echo(_describe(result))
    if not results:
        click.echo(f"No course folders in {root}.")
    click.echo(f"Done in {time.perf_counter() - started:.2f} s.")


def _describe(result: services.ImportResult) -> str:
    """One line per course: what the import did."""
    slug, number = result.course.slug, result.version.number
    lessons = len(result.version.lessons)
    if result.status == "unchanged":
        return f"{slug}: unchanged (version {number} is current)"
    if result.status == "kept":
        return (f"{slug}: left alone: version {number} was published in the studio and differs "
                "from the folder (export it with `flask courses export`, or import with --force "
                "to replace it)")
    if result.status == "created":
        return f"{slug}: created version {number} ({lessons} lessons)"
    return f"{slug}: updated to version {number} ({lessons} lessons; earlier versions kept)"



@courses_group.command("exam-stats")
@click.argument("quiz_file", type=click.Path(dir_okay=False, exists=True))
@click.option("--final", is_flag=True, help="Hold the file to the final exam's targets too.")
def exam_stats(quiz_file: str, final: bool) -> None:
    """Print the answer-key cues of one quiz file and the targets it misses."""
    path = Path(quiz_file)
    final = final or path.name == "final-exam.md"
    spec, problems = parse_quiz(path.read_text(encoding="utf-8"), key=path.stem, path=str(path))
    if spec is None:
        for problem in problems:
            click.echo(str(problem))
        raise SystemExit(1)
    stats = quiz_statistics(spec)
    for line in describe(spec, stats):
        click.echo(line)
    missed = quiz_problems(spec, stats, final_exam=final)
    for text in missed:
        click.echo(f"MISSED: {text}")
    if missed:
        raise SystemExit(1)
