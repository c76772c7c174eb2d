"""The parsed quiz: frozen dataclasses and their JSON form."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Literal

QuestionKind = Literal["single", "multiple", "true_false", "numeric"]
Feedback = Literal["after_submit", "after_pass", "never"]
Scoring = Literal["all_or_nothing", "partial"]

FEEDBACK_MODES: tuple[str, ...] = ("after_submit", "after_pass", "never")
SCORING_RULES: tuple[str, ...] = ("all_or_nothing", "partial")


@dataclass(frozen=True)
class OptionSpec:
    """One answer option; `id` follows file order ("a", "b", ...) and says nothing of the key."""

    id: str
    text_md: str
    correct: bool


@dataclass(frozen=True)
class SectionSpec:
    """A group of questions (the final exam has one per module)."""

    id: str
    title: str


@dataclass(frozen=True)
class QuestionSpec:
    """One question: its stem, options or numeric answer, and the feedback explanation."""

    id: str
    section_id: str | None
    kind: QuestionKind
    stem_md: str
    body_md: str
    options: tuple[OptionSpec, ...]
    answer: float | None
    tolerance: float
    explanation_md: str
    line: int
    #: what the question asks of the candidate: "application", "recall" or "attribution"
    #: (`{#id .application}`); None when the author did not say
    skill: str | None = None


@dataclass(frozen=True)
class QuizSpec:
    """A module quiz or a final exam: settings, sections and the question pool."""

    key: str
    title: str
    pass_mark: float
    max_attempts: int
    cooldown_minutes: int
    time_limit_minutes: int
    draw: int | dict[str, int] | None
    shuffle: bool
    feedback: Feedback
    scoring: Scoring
    section_pass_mark: float | None
    sections: tuple[SectionSpec, ...]
    questions: tuple[QuestionSpec, ...]

    @property
    def drawn_count(self) -> int:
        """How many questions one attempt gets."""
        if isinstance(self.draw, dict):
            return sum(self.draw.values())
        return self.draw if self.draw is not None else len(self.questions)


def quiz_to_dict(spec: QuizSpec) -> dict[str, Any]:
    """The quiz as plain JSON-serialisable data."""
    # Through JSON once, so the result equals what a JSON column gives back (lists, not tuples).
    return json.loads(json.dumps(asdict(spec)))


def quiz_from_dict(data: dict[str, Any]) -> QuizSpec:
    """Rebuild a quiz from `quiz_to_dict` output."""
    draw = data.get("draw")
    return QuizSpec(
        key=data["key"],
        title=data["title"],
        pass_mark=data["pass_mark"],
        max_attempts=data["max_attempts"],
        cooldown_minutes=data["cooldown_minutes"],
        time_limit_minutes=data["time_limit_minutes"],
        draw=dict(draw) if isinstance(draw, dict) else draw,
        shuffle=data["shuffle"],
        feedback=data["feedback"],
        scoring=data["scoring"],
        section_pass_mark=data.get("section_pass_mark"),
        sections=tuple(SectionSpec(**s) for s in data["sections"]),
        questions=tuple(_question_from_dict(q) for q in data["questions"]),
    )


def _question_from_dict(data: dict[str, Any]) -> QuestionSpec:
    """Rebuild one question."""
    options = tuple(OptionSpec(**o) for o in data["options"])
    return QuestionSpec(**{**data, "options": options})


_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def parse_number(text: str) -> Decimal | None:
    """Read a number as people type it ("0.75", "0,75", " -3 "); None when it is not one."""
    cleaned = text.strip().replace("\u2212", "-").replace("\u00a0", "").replace(" ", "")
    if "," in cleaned and "." not in cleaned and cleaned.count(",") == 1:
        cleaned = cleaned.replace(",", ".")
    if not _NUMBER_RE.match(cleaned):
        return None
    return Decimal(cleaned)
