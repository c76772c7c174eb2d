"""Parse the quiz dialect (module quizzes and final exams) into a `QuizSpec`, reporting problems."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.courses.frontmatter import Problem, Reporter, Settings, is_slug, read_front_matter
from app.courses.quiz_questions import RawQuestion, SourceLine, build_question
from app.courses.quiz_spec import (
    FEEDBACK_MODES,
    SCORING_RULES,
    OptionSpec,
    QuestionSpec,
    QuizSpec,
    SectionSpec,
    quiz_from_dict,
    quiz_to_dict,
)

__all__ = [
    "OptionSpec", "QuestionSpec", "QuizSpec", "SectionSpec", "QUIZ_SETTINGS",
    "parse_quiz", "quiz_from_dict", "quiz_to_dict",
]

QUIZ_SETTINGS: tuple[str, ...] = (
    "title", "pass_mark", "max_attempts", "cooldown_minutes", "time_limit_minutes",
    "draw", "shuffle", "feedback", "scoring", "section_pass_mark",
)
DEFAULT_PASS_MARK = 80

_HEADING_RE = re.compile(r"^(#{1,2})(?:[ \t]+(.*?))?[ \t]*$")
_ID_RE = re.compile(r"^(.*?)[ \t]*\{#([^{}]*)\}$")
#: skills a question may be tagged with after its id: `{#id .application}`
SKILL_CLASSES = (".application", ".recall", ".attribution")
#: classes a question heading may carry after its id: `{#id .multiple .application}`
QUESTION_CLASSES = (".multiple", *SKILL_CLASSES)
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@dataclass
class _Pool:
    sections: list[SectionSpec] = field(default_factory=list)
    raw_questions: list[RawQuestion] = field(default_factory=list)


def parse_quiz(text: str, *, key: str, path: str = "quiz.md") -> tuple[QuizSpec | None, list[Problem]]:
    """Parse a quiz file; returns the spec, or None and every problem found (with lines)."""
    report = Reporter(path)
    front = read_front_matter(text, report)
    settings = Settings(front, report, QUIZ_SETTINGS)
    pool = _split_pool(_scan_lines(front.body, front.body_line), report)
    questions = [q for q in (build_question(raw, report) for raw in pool.raw_questions) if q]
    if not pool.raw_questions:
        report.add(front.body_line, "the quiz has no questions: start each one with "
                                    "`## Question text {#question-id}`")
    spec = QuizSpec(
        key=key,
        title=settings.text("title", required=True),
        pass_mark=settings.number("pass_mark", default=DEFAULT_PASS_MARK, minimum=0, maximum=100),
        max_attempts=settings.integer("max_attempts", default=0),
        cooldown_minutes=settings.integer("cooldown_minutes", default=0),
        time_limit_minutes=settings.integer("time_limit_minutes", default=0),
        draw=_read_draw(settings, pool),
        shuffle=settings.boolean("shuffle", default=True),
        feedback=settings.choice("feedback", FEEDBACK_MODES, default="after_submit"),
        scoring=settings.choice("scoring", SCORING_RULES, default="all_or_nothing"),
        section_pass_mark=_read_section_pass_mark(settings, pool),
        sections=tuple(pool.sections),
        questions=tuple(questions),
    )
    problems = sorted(report.problems, key=lambda problem: problem.line)
    return (None, problems) if problems else (spec, [])


def _scan_lines(body: str, first_line: int) -> list[SourceLine]:
    """Number the body's lines and mark those inside fenced code blocks."""
    scanned: list[SourceLine] = []
    fence: str | None = None
    for offset, text in enumerate(body.splitlines()):
        marker = _FENCE_RE.match(text)
        if fence is None and marker:
            fence = marker.group(1)
            scanned.append(SourceLine(first_line + offset, text, True))
            continue
        inside = fence is not None
        if fence and marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence) \
                and not text.strip().lstrip(fence[0]):
            fence = None
        scanned.append(SourceLine(first_line + offset, text, inside))
    return scanned


def _split_pool(lines: list[SourceLine], report: Reporter) -> _Pool:
    """Group lines into sections and raw questions by their headings."""
    pool = _Pool()
    seen_questions: dict[str, int] = {}
    seen_sections: dict[str, int] = {}
    current: RawQuestion | None = None
    section_id: str | None = None
    stray_reported = False
    for line in lines:
        heading = None if line.in_fence else _HEADING_RE.match(line.text)
        if heading and len(heading.group(1)) == 1:
            current, stray_reported = None, False
            section_id = _open_section(heading.group(2) or "", line.number, pool, seen_sections, report)
        elif heading:
            stray_reported = False
            current = _open_question(heading.group(2) or "", line.number, section_id, seen_questions, report)
            if current.id:
                pool.raw_questions.append(current)
        elif current is not None:
            current.lines.append(line)
        elif line.text.strip() and not stray_reported:
            stray_reported = True
            report.add(line.number, "text outside a question: each question starts with a "
                                    "`## Question text {#question-id}` heading")
    _check_sections_used(pool, seen_sections, report)
    return pool


def _split_id(heading: str) -> tuple[str, str | None]:
    """Split `Title {#id}` into its text and id (None when there is no `{#id}`); the id keeps
    any classes after it (`{#id .multiple}`), which :func:`_split_classes` takes apart."""
    match = _ID_RE.match(heading.strip())
    if not match:
        return heading.strip(), None
    return match.group(1).strip(), match.group(2).strip()


def _split_classes(attributes: str) -> tuple[str, list[str]]:
    """`id .multiple` → ("id", [".multiple"])."""
    first, *classes = attributes.split() or [""]
    return first, classes


def _open_section(heading: str, line: int, pool: _Pool, seen: dict[str, int],
                  report: Reporter) -> str | None:
    """Start a section from a `# Title {#id}` heading."""
    title, section_id = _split_id(heading)
    if not title:
        report.add(line, "section heading has no title")
    if not section_id:
        report.add(line, "section heading needs an id: `# Section title {#section-id}`")
        return None
    if not is_slug(section_id):
        report.add(line, f"section id '{section_id}' may use only lowercase letters, digits and hyphens")
    if section_id in seen:
        report.add(line, f"section id '{section_id}' is used twice (first on line {seen[section_id]})")
        return section_id
    seen[section_id] = line
    pool.sections.append(SectionSpec(section_id, title))
    return section_id


def _open_question(heading: str, line: int, section_id: str | None, seen: dict[str, int],
                   report: Reporter) -> RawQuestion:
    """Start a question from a `## Question text {#id}` heading (id "" when it has none)."""
    stem, attributes = _split_id(heading)
    question_id, classes = _split_classes(attributes or "")
    if not stem:
        report.add(line, "question heading has no text")
    for unknown in [name for name in classes if name not in QUESTION_CLASSES]:
        report.add(line, f"unknown question class '{unknown}': use `.multiple` (checkboxes even "
                         "with one correct option) or one skill: `.application`, `.recall`, "
                         "`.attribution`")
    skills = [name[1:] for name in classes if name in SKILL_CLASSES]
    if len(skills) > 1:
        report.add(line, f"a question has one skill, not {len(skills)}: "
                         + ", ".join(f"`.{skill}`" for skill in skills))
    if not question_id:
        report.add(line, "question has no id: end the heading with `{#question-id}`")
        return RawQuestion("", stem, line, section_id)
    if not is_slug(question_id):
        report.add(line, f"question id '{question_id}' may use only lowercase letters, digits and hyphens")
    if question_id in seen:
        report.add(line, f"question id '{question_id}' is used twice (first on line {seen[question_id]})")
    else:
        seen[question_id] = line
    return RawQuestion(question_id, stem, line, section_id, multiple=".multiple" in classes,
                       skill=skills[0] if len(skills) == 1 else None)


def _check_sections_used(pool: _Pool, seen: dict[str, int], report: Reporter) -> None:
    """Report questions placed before the first section, and sections without questions."""
    if not pool.sections:
        return
    used = {q.section_id for q in pool.raw_questions}
    for section in pool.sections:
        if section.id not in used:
            report.add(seen[section.id], f"section '{section.id}' has no questions")
    first_section_line = min(seen.values())
    for question in pool.raw_questions:
        if question.section_id is None and question.line < first_section_line:
            report.add(question.line, f"question '{question.id}' comes before the first section: "
                                      "when a quiz has sections, every question belongs to one")


def _read_draw(settings: Settings, pool: _Pool) -> int | dict[str, int] | None:
    """`draw`: a total, or a mapping of section id to count (a stratified draw)."""
    value = settings.raw("draw")
    if value is None:
        return None
    if isinstance(value, dict):
        return _read_stratified_draw(settings, pool, value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        settings.error("draw", f"'draw' must be a whole number of 1 or more, or a mapping of "
                               f"section id to count, got {value!r}")
        return None
    total = len(pool.raw_questions)
    if pool.raw_questions and value > total:
        settings.error("draw", f"'draw' asks for {value} questions but the quiz has only {total}")
        return None
    return value


def _read_stratified_draw(settings: Settings, pool: _Pool, value: dict) -> dict[str, int] | None:
    """A per-section draw: every section named, every count within that section's pool."""
    if not pool.sections:
        settings.error("draw", "'draw' is a mapping of section ids but the quiz has no "
                               "`# Section title {#section-id}` headings")
        return None
    sizes = {s.id: sum(q.section_id == s.id for q in pool.raw_questions) for s in pool.sections}
    draw: dict[str, int] = {}
    named = {str(section_id) for section_id in value}
    for section_id, count in value.items():
        section_id = str(section_id)
        if section_id not in sizes:
            settings.error("draw", f"'draw' names section '{section_id}', which does not exist "
                                   f"(sections: {', '.join(sizes)})")
        elif isinstance(count, bool) or not isinstance(count, int) or count < 1:
            settings.error("draw", f"'draw' for section '{section_id}' must be a whole number of 1 "
                                   f"or more, got {count!r}")
        elif count > sizes[section_id]:
            settings.error("draw", f"'draw' asks for {count} questions from section '{section_id}' "
                                   f"but it has only {sizes[section_id]}")
        else:
            draw[section_id] = count
    for section_id in (s for s in sizes if s not in named):
        settings.error("draw", f"'draw' has no count for section '{section_id}'")
    return draw if len(draw) == len(sizes) else None


def _read_section_pass_mark(settings: Settings, pool: _Pool) -> float | None:
    """`section_pass_mark`: a floor (percent) for every section; needs sections."""
    value = settings.number("section_pass_mark", default=None, minimum=0, maximum=100)
    if value is not None and not pool.sections:
        settings.error("section_pass_mark", "'section_pass_mark' needs sections "
                                            "(`# Section title {#section-id}` headings)")
        return None
    return value
