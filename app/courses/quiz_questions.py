"""Build one quiz question from its lines: stem, options or numeric answer, explanation."""
from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

from app.courses.frontmatter import Reporter
from app.courses.quiz_spec import OptionSpec, QuestionKind, QuestionSpec, parse_number

OPTION_RE = re.compile(r"^[-*+][ \t]+\[([ xX])\](?:[ \t]+(.*?))?[ \t]*$")
NUMERIC_RE = re.compile(r"^=(?!=)[ \t]*(?P<value>.+?)[ \t]*(?:(?:±|\+/-|\+-)[ \t]*(?P<tol>.+?))?[ \t]*$")
_QUOTE_RE = re.compile(r"^ {0,3}> ?(.*)$")


@dataclass(frozen=True)
class SourceLine:
    """A line of the quiz body with its file line number."""

    number: int
    text: str
    in_fence: bool


@dataclass
class RawQuestion:
    """A question heading and the lines under it, before interpretation."""

    id: str
    stem: str
    line: int
    section_id: str | None
    #: `{#id .multiple}`: multiple response (checkboxes) even with one correct option
    multiple: bool = False
    #: `{#id .application}`: the skill the question asks for
    skill: str | None = None
    lines: list[SourceLine] = field(default_factory=list)


@dataclass
class _Answers:
    """What follows a question's stem: options or a numeric answer, then the explanation."""

    options: list[tuple[int, bool, str]] = field(default_factory=list)
    numeric: list[SourceLine] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)


def build_question(raw: RawQuestion, report: Reporter) -> QuestionSpec | None:
    """Turn a question's lines into a `QuestionSpec`; None when it has problems."""
    before = len(report.problems)
    body, answers = _read_question_lines(raw, report)
    answer, tolerance = _read_numeric(raw, answers, report)
    options = tuple(
        OptionSpec(_option_id(i), text, correct) for i, (_, correct, text) in enumerate(answers.options)
    )
    kind = _question_kind(raw, options, answers, report)
    if kind is None or len(report.problems) > before:
        return None
    return QuestionSpec(
        id=raw.id, section_id=raw.section_id, kind=kind, stem_md=raw.stem,
        body_md="\n".join(body).strip("\n"), options=options,
        answer=answer, tolerance=tolerance,
        explanation_md="\n".join(answers.explanation).strip("\n"), line=raw.line,
        skill=raw.skill,
    )


def _read_question_lines(raw: RawQuestion, report: Reporter) -> tuple[list[str], _Answers]:
    """Walk the lines after the heading: stem body, then options/answer, then the explanation."""
    body: list[str] = []
    answers = _Answers()
    phase = "body"
    for line in raw.lines:
        option = None if line.in_fence else OPTION_RE.match(line.text)
        numeric = None if line.in_fence or option else NUMERIC_RE.match(line.text)
        quote = None if line.in_fence else _QUOTE_RE.match(line.text)
        if phase == "body" and not (option or numeric):
            body.append(line.text)
            continue
        if phase != "explanation" and option:
            answers.options.append((line.number, option.group(1) != " ", (option.group(2) or "").strip()))
        elif phase != "explanation" and numeric:
            answers.numeric.append(line)
        elif not line.text.strip():
            if phase == "explanation":
                answers.explanation.append("")
            continue
        elif quote:
            answers.explanation.append(quote.group(1))
            phase = "explanation"
            continue
        elif phase == "answers" and answers.options and line.text.startswith("  "):
            number, correct, text = answers.options[-1]
            answers.options[-1] = (number, correct, f"{text} {line.text.strip()}")
        else:
            where = "after the explanation" if phase == "explanation" else "after the options"
            report.add(line.number, f"unexpected text {where} of question '{raw.id}': "
                                    "the explanation is a `> ` blockquote after the options")
        phase = "answers" if phase == "body" else phase
    return body, answers


def _read_numeric(raw: RawQuestion, answers: _Answers, report: Reporter) -> tuple[float | None, float]:
    """Read the `= value ± tolerance` line of a numeric question."""
    if not answers.numeric:
        return None, 0.0
    line = answers.numeric[0]
    if answers.options:
        report.add(line.number, f"question '{raw.id}' mixes options with a numeric `= value` answer")
    for extra in answers.numeric[1:]:
        report.add(extra.number, f"question '{raw.id}' has more than one `= value` answer")
    match = NUMERIC_RE.match(line.text)
    if match is None:  # lines reach here only after matching NUMERIC_RE; keep the guard anyway
        report.add(line.number, f"question '{raw.id}' has an unreadable `= value` answer")
        return None, 0.0
    value = parse_number(match.group("value"))
    if value is None:
        report.add(line.number, f"numeric answer '{match.group('value')}' is not a number "
                                "(write it like `= 0.75 ± 0.01`)")
        return None, 0.0
    tolerance = parse_number(match.group("tol")) if match.group("tol") else 0
    if tolerance is None or tolerance < 0:
        report.add(line.number, f"tolerance '{match.group('tol')}' must be a number of 0 or more")
        return float(value), 0.0
    return float(value), float(tolerance)


def _question_kind(raw: RawQuestion, options: tuple[OptionSpec, ...], answers: _Answers,
                   report: Reporter) -> QuestionKind | None:
    """single, multiple, true_false or numeric, from the options; problems are reported."""
    if answers.numeric:
        if raw.multiple:
            report.add(raw.line, f"numeric question '{raw.id}' cannot be `.multiple`")
        return "numeric"
    if not options:
        report.add(raw.line, f"question '{raw.id}' has no options (`- [ ] text`, `- [x] text`) "
                             "and no numeric answer (`= value`)")
        return None
    _check_options(raw, answers, report)
    correct = sum(option.correct for option in options)
    if len(options) < 2:
        report.add(raw.line, f"question '{raw.id}' needs at least 2 options")
    if correct == 0:
        report.add(raw.line, f"question '{raw.id}' has no correct option: mark it with `- [x]`")
    if {option.text_md.casefold() for option in options} == {"true", "false"} and len(options) == 2:
        if correct != 1:
            report.add(raw.line, f"true/false question '{raw.id}' needs exactly one correct option")
        if raw.multiple:
            report.add(raw.line, f"true/false question '{raw.id}' cannot be `.multiple`")
        return "true_false"
    return "multiple" if correct > 1 or raw.multiple else "single"


def _check_options(raw: RawQuestion, answers: _Answers, report: Reporter) -> None:
    """Options must have text and differ from each other."""
    seen: dict[str, int] = {}
    for number, _, text in answers.options:
        if not text:
            report.add(number, f"empty option in question '{raw.id}'")
        elif text.casefold() in seen:
            report.add(number, f"option '{text}' appears twice in question '{raw.id}' "
                               f"(first on line {seen[text.casefold()]})")
        else:
            seen[text.casefold()] = number


def _option_id(index: int) -> str:
    """File-order option ids: a, b, ..., z, aa, ab, ..."""
    letters = string.ascii_lowercase
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = letters[rest] + name
    return name
