"""Writing converted GIFT questions in our quiz dialect, checked by the quiz parser itself.

Each question gets a stable id from its name (unique in the quiz it joins) and is written with
the dialect writer. The quiz parser then reads every written question in one pass, and a question
it refuses is reported and left out, never written. One pass is enough because no question can
reach into the next: a line of question text that the dialect would read as a heading, or a code
block left open, is refused before the parser sees it.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.authoring.dialect import front_matter, question_markdown
from app.authoring.gift_questions import GiftQuestion
from app.authoring.gift_syntax import GiftProblem
from app.courses.frontmatter import is_slug
from app.courses.quiz_parser import DEFAULT_PASS_MARK, parse_quiz
from app.courses.quiz_spec import OptionSpec, QuestionSpec

#: the same rules as the quiz parser's: `#`/`##` headings, and fences of 3+ backticks or tildes
_HEADING_RE = re.compile(r"^#{1,2}(?:[ \t]|$)")
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CHECK_FRONT_MATTER = front_matter({"title": "check"})


@dataclass(frozen=True)
class GiftConversion:
    """The result of converting a GIFT file."""

    markdown: str
    questions_markdown: str
    converted: int
    problems: tuple[GiftProblem, ...]

    @property
    def errors(self) -> tuple[GiftProblem, ...]:
        """Questions that were not converted, and syntax errors."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[GiftProblem, ...]:
        """Questions converted with a simplification."""
        return tuple(p for p in self.problems if p.severity == "warning")


class QuestionIds:
    """Question ids from names (else `question-N`), unique among those already taken."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken = set(taken or ())
        # the next suffix worth trying per base: every smaller one is taken already
        self._next_suffix: dict[str, int] = {}

    def assign(self, question: GiftQuestion, number: int) -> str:
        """A slug from the question's name, `-2`, `-3`... added until it is free."""
        base = re.sub(r"[^a-z0-9]+", "-", question.title.lower()).strip("-")[:60].strip("-")
        base = base if is_slug(base) else f"question-{number}"
        candidate = base
        if candidate in self.taken:
            suffix = self._next_suffix.get(base, 2)
            while (candidate := f"{base}-{suffix}") in self.taken:
                suffix += 1
            self._next_suffix[base] = suffix + 1
        self.taken.add(candidate)
        return candidate


def question_spec(question: GiftQuestion, question_id: str) -> QuestionSpec:
    """The `QuestionSpec` the dialect writer needs."""
    options = tuple(OptionSpec(chr(ord("a") + i) if i < 26 else f"o{i}", text, correct)
                    for i, (text, correct) in enumerate(question.options))
    # `{#` in a heading reads as the start of a question id; `{\#` shows the same characters.
    return QuestionSpec(
        id=question_id, section_id=None, kind=question.kind,
        stem_md=question.stem.replace("{#", "{\\#"), body_md=question.body,
        options=options, answer=float(question.answer) if question.answer is not None else None,
        tolerance=float(question.tolerance), explanation_md=question.explanation,
        line=question.line)


def write_conversion(title: str, questions: list[tuple[GiftQuestion, QuestionSpec]],
                     problems: list[GiftProblem]) -> GiftConversion:
    """The quiz file around the questions the quiz parser accepts; the others are reported."""
    written = _readable(questions, problems)
    specs = [spec for spec, _ in written]
    body = "\n".join(markdown for _, markdown in written)
    settings = {"title": title, "pass_mark": DEFAULT_PASS_MARK, "shuffle": True,
                "feedback": "after_submit",
                "scoring": "partial" if any(s.kind == "multiple" for s in specs) else None}
    markdown = front_matter(settings) + "\n" + body if specs else ""
    ordered = tuple(sorted(problems, key=lambda p: (p.line, p.severity != "error")))
    return GiftConversion(markdown, body, len(specs), ordered)


def _readable(questions: list[tuple[GiftQuestion, QuestionSpec]],
              problems: list[GiftProblem]) -> list[tuple[QuestionSpec, str]]:
    """(spec, markdown) of each question the quiz parser reads without a problem."""
    candidates: list[tuple[GiftQuestion, QuestionSpec, str]] = []
    for question, spec in questions:
        refusal = _text_refusal(spec.body_md)
        if refusal:
            problems.append(GiftProblem(question.line, _l("not imported: %(reason)s",
                                                          reason=refusal)))
        else:
            candidates.append((question, spec, question_markdown(spec)))
    if not candidates:
        return []
    starts, line = [], _CHECK_FRONT_MATTER.count("\n") + 2
    for _, _, markdown in candidates:
        starts.append(line)
        line += markdown.count("\n") + 1
    text = _CHECK_FRONT_MATTER + "\n" + "\n".join(markdown for _, _, markdown in candidates)
    _, found = parse_quiz(text, key="check")
    refused: dict[int, str] = {}
    for problem in found:  # sorted by line: the first problem of each question is kept
        refused.setdefault(max(bisect_right(starts, problem.line) - 1, 0), problem.message)
    for index, message in refused.items():
        problems.append(GiftProblem(candidates[index][0].line, _l("not imported: %(reason)s",
                                                                  reason=message)))
    return [(spec, markdown) for index, (_, spec, markdown) in enumerate(candidates)
            if index not in refused]


def _text_refusal(body: str) -> LazyString | None:
    """Why lines of question text would change how the quiz around them reads, if they do."""
    fence: str | None = None
    for line in body.split("\n"):
        marker = _FENCE_RE.match(line)
        if fence is None and marker:
            fence = marker.group(1)
        elif fence is not None:
            closes = marker and marker.group(1)[0] == fence[0] and \
                len(marker.group(1)) >= len(fence) and not line.strip().lstrip(fence[0])
            fence = None if closes else fence
        elif _HEADING_RE.match(line):
            return _l("the line '%(line)s' of the question text would start a new question or "
                      "section in a quiz: rephrase it without a leading #", line=line[:40])
    if fence is not None:
        return _l("the question text opens a code block (%(fence)s) that it does not close",
                  fence=fence)
    return None
