"""What the course files say: the lesson order and the answer keys (never read from the page)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from playwright.sync_api import Locator, Page

from app.courses.quiz_parser import parse_quiz


def normalised(text: str) -> str:
    """Letters and digits only, lower case: Markdown source and rendered text compare equal."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


@dataclass(frozen=True)
class ModuleFiles:
    """A module folder: its slug, its lesson titles in order, whether it has a quiz."""

    slug: str
    title: str
    lessons: tuple[str, ...]
    has_quiz: bool


def _numbered(folder: Path, pattern: str) -> list[Path]:
    return sorted(p for p in folder.glob(pattern) if re.match(r"\d+-", p.name))


def _title(path: Path) -> str:
    """The `title` of a Markdown file's front matter."""
    front_matter = path.read_text(encoding="utf-8").split("---", 2)[1]
    return yaml.safe_load(front_matter)["title"]


def course_modules(course_dir: Path) -> list[ModuleFiles]:
    """The modules and lessons in the order the numeric prefixes give."""
    return [
        ModuleFiles(slug=re.sub(r"^\d+-", "", folder.name), title=_title(folder / "module.md"),
                    lessons=tuple(_title(lesson) for lesson in _numbered(folder, "*.md")),
                    has_quiz=(folder / "quiz.md").exists())
        for folder in _numbered(course_dir, "*/")
    ]


@dataclass(frozen=True)
class KeyedQuestion:
    """A question as the file states it: its stem, and its right and wrong options or number."""

    stem: str
    kind: str
    right: frozenset[str]
    wrong: tuple[str, ...]
    answer: float | None


def answer_key(quiz_file: Path, key: str) -> dict[str, KeyedQuestion]:
    """The quiz file's questions by normalised stem."""
    spec, problems = parse_quiz(quiz_file.read_text(encoding="utf-8"), key=key,
                                path=str(quiz_file))
    assert spec is not None and not problems, f"{quiz_file} does not parse: {problems}"
    questions = {}
    for question in spec.questions:
        right = frozenset(normalised(o.text_md) for o in question.options if o.correct)
        wrong = tuple(normalised(o.text_md) for o in question.options if not o.correct)
        questions[normalised(question.stem_md)] = KeyedQuestion(
            normalised(question.stem_md), question.kind, right, wrong, question.answer)
    return questions


def _question_for(fieldset: Locator, key: dict[str, KeyedQuestion]) -> KeyedQuestion:
    stem = fieldset.locator("legend").inner_text()
    stem = re.sub(r"^\s*\d+\.\s*", "", stem)
    found = key.get(normalised(stem))
    assert found is not None, f"the question {stem!r} on the page is not in the quiz file"
    return found


def answer_attempt(page: Page, key: dict[str, KeyedQuestion], *, correctly: bool) -> int:
    """Answer every question on the attempt page, all right or all wrong; returns how many."""
    questions = page.locator("fieldset.quiz-question")
    for index in range(questions.count()):
        fieldset = questions.nth(index)
        question = _question_for(fieldset, key)
        if question.kind == "numeric":
            value = question.answer if correctly else question.answer + 100
            fieldset.locator("input[type=number]").fill(f"{value:g}")
            continue
        wanted = question.right if correctly else {question.wrong[0]}
        for option in fieldset.locator("label.quiz-option").all():
            box = option.locator("input")
            if normalised(option.inner_text()) in wanted:
                box.check()
            elif box.get_attribute("type") == "checkbox":
                box.uncheck()
    return questions.count()
