"""The editor's live preview and quick checks for one file, through the learner's pipeline.

Quizzes go through the quiz parser itself, so their problems are exactly the validator's.
Lessons, modules and course settings get the front matter checks of the course reader; links to
assets are checked when the draft is saved or published (they need the whole folder).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from app.authoring.dialect import numeric_answer
from app.authoring.folder import FileKind
from app.courses.assets import asset_reference
from app.courses.frontmatter import Problem, Reporter, Settings, read_front_matter
from app.courses.locales import translation_locale
from app.courses.markdown import render_inline_markdown, render_markdown
from app.courses.reader import COURSE_SETTINGS, FINAL_EXAM_KEY, LESSON_SETTINGS, MODULE_SETTINGS
from app.courses.capstone_spec import parse_capstone
from app.courses.quiz_parser import parse_quiz
from app.courses.quiz_spec import QuestionSpec
from app.courses.spec import reading_minutes

LinkResolver = Callable[[str], "str | None"]
QUIZ_KINDS = ("quiz", "exam")


@dataclass(frozen=True)
class Preview:
    """What the editor shows beside the text: problems with lines, and the rendered file."""

    kind: FileKind
    problems: tuple[Problem, ...]
    title: str = ""
    minutes: int | None = None
    html: str = ""
    questions: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        """The shape the editor's script reads."""
        return {"problems": [{"line": p.line, "message": p.message} for p in self.problems],
                "title": self.title, "minutes": self.minutes}


def depth_of(kind: FileKind) -> int:
    """How deep a file sits in the course folder (course.md and the exam at the top)."""
    return 0 if kind in ("course", "exam", "capstone", "other") else 1


@lru_cache(maxsize=512)
def draft_link_resolver(assets_url: str, depth: int) -> LinkResolver:
    """Relative asset links of a draft file, pointed at the studio's draft asset URL.

    Cached: the Markdown renderer's cache counts the resolver by identity.
    """
    def resolve(href: str) -> str | None:
        path = asset_reference(href, depth=depth)
        return f"{assets_url.rstrip('/')}/{path}" if path else None

    return resolve


def preview_file(kind: FileKind, path: str, text: str, links: LinkResolver | None) -> Preview:
    """Check and render one draft file."""
    if kind in QUIZ_KINDS:
        return _preview_quiz(kind, path, text, links)
    if kind == "capstone":
        return _preview_capstone(path, text, links)
    report = Reporter(path)
    front = read_front_matter(text, report)
    title, minutes = _check_settings(kind, front, report)
    if kind == "lesson" and front.readable and not front.body.strip():
        report.add(front.body_line, "the lesson has no content")
    locale = translation_locale(path.rsplit("/", 1)[-1]) or "en"
    html = render_markdown(front.body, link_resolver=links, locale=locale)
    return Preview(kind, tuple(sorted(report.problems, key=lambda p: p.line)), title, minutes, html)


def _check_settings(kind: FileKind, front, report: Reporter) -> tuple[str, int | None]:
    """The reader's front matter checks for the kind of file; returns (title, minutes)."""
    allowed = {"course": COURSE_SETTINGS, "module": MODULE_SETTINGS,
               "lesson": LESSON_SETTINGS}.get(kind)
    if allowed is None:
        return "", None
    settings = Settings(front, report, allowed)
    title = settings.text("title", required=True)
    if kind == "course":
        settings.integer("validity_months", default=24, minimum=1, maximum=1200)
        settings.boolean("sequential", default=True)
        settings.text("certificate_template", default="default")
        settings.text("final_exam")
        settings.text("capstone")
    if kind == "lesson":
        settings.integer("exercise_minutes", default=0, minimum=0, maximum=600)
        return title, settings.integer("minutes", default=0, minimum=1, maximum=600) \
            or reading_minutes(front.body)
    return title, None


def _preview_capstone(path: str, text: str, links: LinkResolver | None) -> Preview:
    """Parse the brief and rubric; render them as the learner reads them."""
    spec, problems = parse_capstone(text, path=path)
    front = read_front_matter(text, Reporter(path))
    html = render_markdown(front.body, link_resolver=links)
    if spec is None:
        return Preview("capstone", tuple(problems), html=html)
    return Preview("capstone", (), spec.title, spec.minutes, html)


def _preview_quiz(kind: FileKind, path: str, text: str, links: LinkResolver | None) -> Preview:
    """Parse with the quiz parser; render the questions when it passes."""
    key = FINAL_EXAM_KEY if kind == "exam" else "quiz"
    spec, problems = parse_quiz(text, key=key, path=path)
    if spec is None:
        return Preview(kind, tuple(problems))
    sections = {s.id: s.title for s in spec.sections}
    questions = tuple(_question_view(q, sections, links) for q in spec.questions)
    return Preview(kind, (), spec.title, spec.time_limit_minutes or None, "", questions)


def _question_view(question: QuestionSpec, sections: dict[str, str],
                   links: LinkResolver | None) -> dict[str, Any]:
    """One question, rendered, with its answer key (the trainer's view)."""
    return {
        "id": question.id,
        "kind": question.kind.replace("_", "/"),
        "section": sections.get(question.section_id or "", ""),
        "stem_html": render_inline_markdown(question.stem_md, link_resolver=links),
        "body_html": render_markdown(question.body_md, link_resolver=links)
        if question.body_md else "",
        "options": [(render_inline_markdown(o.text_md, link_resolver=links), o.correct)
                    for o in question.options],
        "answer": numeric_answer(question.answer, question.tolerance)[2:]
        if question.kind == "numeric" and question.answer is not None else "",
        "explanation_html": render_markdown(question.explanation_md, link_resolver=links)
        if question.explanation_md else "",
    }
