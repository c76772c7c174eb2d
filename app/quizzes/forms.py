"""The attempt form: questions as the page shows them, and the posted form read back as answers.

Options are posted by their position on the page ("1", "2", ...), not by their id in the quiz
file: ids follow file order, and authors often write the right answer first, so sending them
to the browser would hint at the key once options are shuffled.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from app.courses.markdown import render_inline_markdown, render_markdown

FIELD_PREFIX = "answer-"
LinkResolver = Callable[[str], "str | None"] | None


@dataclass(frozen=True)
class OptionView:
    """One option as shown: its position token, its HTML and whether it is ticked."""

    token: str
    html: Markup
    checked: bool


@dataclass(frozen=True)
class QuestionView:
    """One question as shown on the attempt page (never with its key)."""

    id: str
    number: int
    kind: str
    section_id: str | None
    stem_html: Markup
    body_html: Markup
    options: tuple[OptionView, ...]
    value: str

    @property
    def field(self) -> str:
        """The form field name of this question."""
        return FIELD_PREFIX + self.id

    @property
    def input_type(self) -> str:
        """radio, checkbox or number."""
        return {"multiple": "checkbox", "numeric": "number"}.get(self.kind, "radio")

    @property
    def answered(self) -> bool:
        """True when an option is ticked or a number is filled in."""
        return self.value != "" or any(option.checked for option in self.options)


@dataclass(frozen=True)
class SectionView:
    """A titled group of questions (None title for a quiz without sections)."""

    id: str | None
    title: str | None
    questions: tuple[QuestionView, ...]


def inline_html(text: str, links: LinkResolver = None) -> Markup:
    """One line of quiz Markdown (a stem or an option) as safe HTML."""
    return Markup(render_inline_markdown(text, link_resolver=links))  # nosec B704: nh3-sanitised


def block_html(text: str, links: LinkResolver = None) -> Markup:
    """Quiz Markdown blocks (a stem's body, an explanation) as safe HTML."""
    html = render_markdown(text, link_resolver=links) if text else ""
    return Markup(html)  # nosec B704: output of the nh3-sanitised pipeline


def question_views(public: Mapping[str, Any], answers: Mapping[str, Any],
                   links: LinkResolver = None) -> list[SectionView]:
    """The attempt's questions grouped by section, with the given answers ticked or filled in."""
    questions = [_question_view(number, q, answers.get(q["id"]), links)
                 for number, q in enumerate(public["questions"], start=1)]
    return _by_section(public, questions)


def all_questions(sections: list[SectionView]) -> list[QuestionView]:
    """The questions of every section, in page order (for the navigator and the count)."""
    return [question for section in sections for question in section.questions]


def _by_section(snapshot: Mapping[str, Any], questions: list) -> list[SectionView]:
    """Questions grouped under the snapshot's sections (one untitled group without sections)."""
    if not snapshot.get("sections"):
        return [SectionView(None, None, tuple(questions))]
    return [SectionView(s["id"], s["title"], tuple(q for q in questions if q.section_id == s["id"]))
            for s in snapshot["sections"]]


def _question_view(number: int, question: Mapping[str, Any], given: Any,
                   links: LinkResolver) -> QuestionView:
    """One question with its options in the attempt's order."""
    chosen = set(given) if isinstance(given, list) else {given}
    options = tuple(
        OptionView(str(position), inline_html(option["text_md"], links), option["id"] in chosen)
        for position, option in enumerate(question["options"], start=1)
    )
    return QuestionView(
        id=question["id"], number=number, kind=question["kind"],
        section_id=question.get("section_id"),
        stem_html=inline_html(question["stem_md"], links),
        body_html=block_html(question["body_md"], links),
        options=options,
        value=str(given) if question["kind"] == "numeric" and given is not None else "",
    )


@dataclass(frozen=True)
class FeedbackOption:
    """An option on the result page: whether the learner chose it and whether it was right."""

    html: Markup
    chosen: bool
    correct: bool


@dataclass(frozen=True)
class FeedbackView:
    """One graded question on the result page (shown only when the quiz's feedback allows)."""

    id: str
    number: int
    kind: str
    section_id: str | None
    stem_html: Markup
    body_html: Markup
    correct: bool
    credit: float
    options: tuple[FeedbackOption, ...]
    given: str | None
    expected: str | None
    explanation_html: Markup


def feedback_views(snapshot: Mapping[str, Any], result: Mapping[str, Any],
                   links: LinkResolver = None) -> list[SectionView]:
    """The graded questions, right or wrong, with the key and the explanation."""
    outcomes = {r["question_id"]: r for r in result.get("per_question", [])}
    views = [_feedback_view(number, q, outcomes.get(q["id"], {}), links)
             for number, q in enumerate(snapshot["questions"], start=1)]
    return _by_section(snapshot, views)


def _feedback_view(number: int, question: Mapping[str, Any], outcome: Mapping[str, Any],
                   links: LinkResolver) -> FeedbackView:
    """One question's feedback."""
    given = outcome.get("given")
    chosen = set(given) if isinstance(given, list) else {given}
    numeric = question["kind"] == "numeric"
    expected = None
    if numeric:
        tolerance = question.get("tolerance") or 0
        expected = f"{question['answer']:g}" + (f" ± {tolerance:g}" if tolerance else "")
    return FeedbackView(
        id=question["id"], number=number, kind=question["kind"],
        section_id=question.get("section_id"),
        stem_html=inline_html(question["stem_md"], links),
        body_html=block_html(question["body_md"], links),
        correct=bool(outcome.get("correct")), credit=float(outcome.get("credit") or 0),
        options=tuple(FeedbackOption(inline_html(o["text_md"], links), o["id"] in chosen,
                                     bool(o["correct"])) for o in question["options"]),
        given=str(given) if numeric and given is not None else None,
        expected=expected,
        explanation_html=block_html(question.get("explanation_md") or "", links),
    )


def answers_from_form(public: Mapping[str, Any],
                      form: MultiDict) -> tuple[dict[str, Any], list[str]]:
    """Posted fields back to answers by option id; sentences for tokens that are no option."""
    questions = {q["id"]: q for q in public["questions"]}
    answers: dict[str, Any] = {}
    errors: list[str] = []
    for name in form:
        if not name.startswith(FIELD_PREFIX):
            continue
        question_id = name.removeprefix(FIELD_PREFIX)
        values = [v for v in form.getlist(name) if v != ""]
        question = questions.get(question_id)
        if question is None or question["kind"] == "numeric":
            # Unknown questions and numbers go to the grader's own validation as posted.
            answers[question_id] = values if len(values) > 1 else (values[0] if values else "")
            continue
        option_ids = [_option_id(question, token, errors) for token in values]
        if question["kind"] == "multiple":
            answers[question_id] = option_ids
        else:
            answers[question_id] = option_ids if len(option_ids) > 1 else \
                (option_ids[0] if option_ids else "")
    return answers, errors


def _option_id(question: Mapping[str, Any], token: str, errors: list[str]) -> str:
    """The option id at a page position; records a sentence when there is no such position."""
    options = question["options"]
    if token.isascii() and token.isdigit() and 1 <= int(token) <= len(options):
        return options[int(token) - 1]["id"]
    errors.append(_l("'%(option)s' is not an option of question '%(question)s'.", option=token,
                     question=question["id"]))
    return token
