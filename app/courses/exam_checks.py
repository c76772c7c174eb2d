"""The exam checker: cues a test-wise candidate could use, and an exam's size and skill mix.

A quiz can be passed without knowing the subject when its answer key has a shape: the right
option is the longest, is written first, or is the only one without "always". These functions
measure that shape on a parsed quiz (:func:`quiz_statistics`) and compare it with the targets a
certification exam must hold (:func:`quiz_problems`, :func:`course_problems`). They take the
parsed course and return plain data; `flask courses validate` runs them on every course.
"""
from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field

from app.courses.quiz_spec import QuestionSpec, QuizSpec

#: the targets (share of items, 0–1)
KEY_LONGEST_MAX = 0.30
KEY_POSITION_MAX = 0.40
CORRECT_FIRST_MAX = 0.40
WORDING_GAP_MAX = 0.10
APPLICATION_MIN = 0.60
ATTRIBUTION_MAX = 0.10
SECTION_DRAW_MIN = 8
BANK_TO_DRAW_MIN = 2.5
TRUE_SHARE_RANGE = (0.40, 0.60)

ABSOLUTE_WORDS = re.compile(r"\b(always|never|all|none|only|every|must|cannot|can't|completely|"
                            r"entirely|guaranteed?)\b", re.IGNORECASE)
HEDGED_WORDS = re.compile(r"\b(usually|often|may|might|can|typically|generally|some|sometimes|"
                          r"likely|tends?)\b", re.IGNORECASE)
_SIMULATED_ATTEMPTS = 2000
_SIMULATED_KNOWLEDGE = 0.60


@dataclass(frozen=True)
class QuizStatistics:
    """The shape of a quiz's answer key (counts; shares are computed by the properties)."""

    single_choice: int = 0
    key_longest: int = 0
    key_longest_or_tied: int = 0
    key_length_ratio: float = 0.0
    key_positions: dict[int, int] = field(default_factory=dict)
    multiple_response: int = 0
    correct_first: int = 0
    true_keys: int = 0
    false_keys: int = 0
    keys: int = 0
    distractors: int = 0
    absolute_keys: int = 0
    absolute_distractors: int = 0
    hedged_keys: int = 0
    hedged_distractors: int = 0
    skills: dict[str, int] = field(default_factory=dict)
    questions: int = 0

    @property
    def key_longest_share(self) -> float:
        return _share(self.key_longest, self.single_choice)

    @property
    def top_position_share(self) -> float:
        return _share(max(self.key_positions.values(), default=0), self.single_choice)

    @property
    def correct_first_share(self) -> float:
        return _share(self.correct_first, self.multiple_response)

    @property
    def absolute_gap(self) -> float:
        return abs(_share(self.absolute_keys, self.keys)
                   - _share(self.absolute_distractors, self.distractors))

    @property
    def hedged_gap(self) -> float:
        return abs(_share(self.hedged_keys, self.keys)
                   - _share(self.hedged_distractors, self.distractors))

    def skill_share(self, skill: str) -> float:
        return _share(self.skills.get(skill, 0), self.questions)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _is_choice(question: QuestionSpec) -> bool:
    return question.kind in ("single", "multiple")


def quiz_statistics(spec: QuizSpec) -> QuizStatistics:
    """Measure the cues of one quiz file."""
    counts: Counter[str] = Counter()
    positions: Counter[int] = Counter()
    ratios: list[float] = []
    for question in spec.questions:
        counts["questions"] += 1
        if question.skill:
            counts[f"skill:{question.skill}"] += 1
        if question.kind == "true_false":
            key = next(option.text_md for option in question.options if option.correct)
            counts["true_keys" if key.strip().lower() == "true" else "false_keys"] += 1
            continue
        if not _is_choice(question):
            continue
        _count_wording(question, counts)
        if question.kind == "single":
            _count_single(question, counts, positions, ratios)
        else:
            counts["multiple_response"] += 1
            flags = [option.correct for option in question.options]
            right = sum(flags)
            counts["correct_first"] += all(flags[:right])
    skills = {name.split(":", 1)[1]: n for name, n in counts.items() if name.startswith("skill:")}
    return QuizStatistics(
        single_choice=counts["single"], key_longest=counts["longest"],
        key_longest_or_tied=counts["longest_or_tied"],
        key_length_ratio=sum(ratios) / len(ratios) if ratios else 0.0,
        key_positions=dict(sorted(positions.items())),
        multiple_response=counts["multiple_response"], correct_first=counts["correct_first"],
        true_keys=counts["true_keys"], false_keys=counts["false_keys"],
        keys=counts["keys"], distractors=counts["distractors"],
        absolute_keys=counts["absolute_keys"], absolute_distractors=counts["absolute_distractors"],
        hedged_keys=counts["hedged_keys"], hedged_distractors=counts["hedged_distractors"],
        skills=skills, questions=counts["questions"])


def _count_single(question: QuestionSpec, counts: Counter[str], positions: Counter[int],
                  ratios: list[float]) -> None:
    counts["single"] += 1
    index = next(i for i, option in enumerate(question.options) if option.correct)
    positions[index + 1] += 1
    key = len(question.options[index].text_md)
    others = [len(o.text_md) for i, o in enumerate(question.options) if i != index]
    counts["longest"] += key > max(others)
    counts["longest_or_tied"] += key >= max(others)
    ratios.append(key / (sum(others) / len(others)) if sum(others) else 1.0)


def _count_wording(question: QuestionSpec, counts: Counter[str]) -> None:
    for option in question.options:
        role = "keys" if option.correct else "distractors"
        counts[role] += 1
        counts[f"absolute_{role}"] += bool(ABSOLUTE_WORDS.search(option.text_md))
        counts[f"hedged_{role}"] += bool(HEDGED_WORDS.search(option.text_md))


def quiz_problems(spec: QuizSpec, stats: QuizStatistics, *, final_exam: bool) -> list[str]:
    """Targets the quiz misses, as sentences (empty when it holds them all)."""
    problems = []
    if stats.single_choice and stats.key_longest_share > KEY_LONGEST_MAX:
        problems.append(f"the key is the strictly longest option in {stats.key_longest} of "
                        f"{stats.single_choice} single-choice questions "
                        f"({stats.key_longest_share:.0%}; at most {KEY_LONGEST_MAX:.0%})")
    if stats.single_choice >= 5 and stats.top_position_share > KEY_POSITION_MAX:
        position, count = max(stats.key_positions.items(), key=lambda item: item[1])
        problems.append(f"option {position} is the key in {count} of {stats.single_choice} "
                        f"single-choice questions ({stats.top_position_share:.0%}; "
                        f"at most {KEY_POSITION_MAX:.0%} in any position)")
    if stats.multiple_response >= 3 and stats.correct_first_share > CORRECT_FIRST_MAX:
        problems.append(f"{stats.correct_first} of {stats.multiple_response} multiple-response "
                        f"questions list their correct options first "
                        f"({stats.correct_first_share:.0%}; at most {CORRECT_FIRST_MAX:.0%})")
    for label, gap in (("absolute", stats.absolute_gap), ("hedged", stats.hedged_gap)):
        if stats.keys >= 10 and gap > WORDING_GAP_MAX:
            problems.append(f"{label} wording is {gap:.0%} points more common in one of keys and "
                            f"distractors than in the other (at most {WORDING_GAP_MAX:.0%})")
    if final_exam:
        problems += _exam_problems(spec, stats)
    return problems


def _exam_problems(spec: QuizSpec, stats: QuizStatistics) -> list[str]:
    problems = []
    untagged = stats.questions - sum(stats.skills.values())
    if untagged:
        problems.append(f"{untagged} questions carry no skill: tag each `.application`, "
                        "`.recall` or `.attribution`")
    if stats.skill_share("application") < APPLICATION_MIN:
        problems.append(f"{stats.skill_share('application'):.0%} of the questions are "
                        f"application items (at least {APPLICATION_MIN:.0%})")
    if stats.skill_share("attribution") > ATTRIBUTION_MAX:
        problems.append(f"{stats.skill_share('attribution'):.0%} of the questions are "
                        f"attribution items (at most {ATTRIBUTION_MAX:.0%})")
    written = Counter(question.section_id for question in spec.questions)
    draws = spec.draw if isinstance(spec.draw, dict) else {None: spec.drawn_count}
    for section, drawn in draws.items():
        name = f"section '{section}'" if section else "the exam"
        if spec.section_pass_mark is not None and drawn < SECTION_DRAW_MIN:
            problems.append(f"{name} draws {drawn} questions: a section floor needs at least "
                            f"{SECTION_DRAW_MIN}")
        bank = written[section] if section else len(spec.questions)
        if bank < BANK_TO_DRAW_MIN * drawn:
            problems.append(f"{name} has {bank} questions for a draw of {drawn} "
                            f"(at least {BANK_TO_DRAW_MIN} times the draw)")
    return problems


def true_false_problem(true_keys: int, false_keys: int) -> str | None:
    """The course's true/false keys out of balance, as a sentence; None when balanced."""
    total = true_keys + false_keys
    low, high = TRUE_SHARE_RANGE
    if total < 2 or low <= true_keys / total <= high or abs(true_keys - false_keys) <= 1:
        return None
    return (f"{true_keys} true/false keys are True and {false_keys} False across the course's "
            f"quizzes (between {low:.0%} and {high:.0%} True)")


def simulated_pass_rate(spec: QuizSpec, *, knowledge: float = _SIMULATED_KNOWLEDGE,
                        seed: int = 0, blind: bool = False) -> float:
    """How often a candidate who knows `knowledge` of the items and otherwise picks the
    longest option (the options longer than average, in multiple response) passes; with
    `blind`, one who guesses at random instead (the baseline the cue is measured against)."""
    rng = random.Random(seed)  # nosec B311: a reproducible simulation, not a secret
    if isinstance(spec.draw, dict):
        pools = [([q for q in spec.questions if q.section_id == section], drawn)
                 for section, drawn in spec.draw.items()]
    else:
        pools = [(list(spec.questions), spec.drawn_count)]
    passes = 0
    for _ in range(_SIMULATED_ATTEMPTS):
        scores = []
        for questions, drawn in pools:
            picked = rng.sample(questions, min(drawn, len(questions)))
            scores.append((sum(rng.random() < knowledge or _guess_right(q, rng, blind)
                               for q in picked),
                           len(picked)))
        passes += _passes(spec, scores)
    return passes / _SIMULATED_ATTEMPTS


def _guess_right(question: QuestionSpec, rng: random.Random, blind: bool = False) -> bool:
    options = question.options
    if question.kind == "true_false":
        return rng.random() < 0.5
    if blind and question.kind == "single":
        return rng.choice(options).correct
    if blind and question.kind == "multiple":
        return all((rng.random() < 0.5) == o.correct for o in options)
    if question.kind == "single":
        longest = max(len(o.text_md) for o in options)
        return rng.choice([o for o in options if len(o.text_md) == longest]).correct
    if question.kind == "multiple":
        mean = sum(len(o.text_md) for o in options) / len(options)
        return all((len(o.text_md) > mean) == o.correct for o in options)
    return False


def _passes(spec: QuizSpec, section_scores: list[tuple[int, int]]) -> bool:
    right = sum(r for r, _ in section_scores)
    total = sum(n for _, n in section_scores)
    if not total or 100 * right / total < spec.pass_mark:
        return False
    floor = spec.section_pass_mark
    return floor is None or all(100 * r / n >= floor for r, n in section_scores if n)


def describe(spec: QuizSpec, stats: QuizStatistics) -> list[str]:
    """The statistics as lines a person reads (`flask courses exam-stats`)."""
    positions = ", ".join(f"{p}: {n}" for p, n in stats.key_positions.items()) or "none"
    skills = ", ".join(f"{name} {n} ({stats.skill_share(name):.0%})"
                       for name, n in sorted(stats.skills.items())) or "none tagged"
    sections = Counter(question.section_id for question in spec.questions)
    draw = spec.draw if isinstance(spec.draw, dict) else {}
    return [
        f"questions: {stats.questions}; drawn per attempt: {spec.drawn_count}",
        *(f"  section {section}: {sections[section]} written, {drawn} drawn"
          for section, drawn in draw.items()),
        f"single choice: {stats.single_choice}; key strictly longest: {stats.key_longest} "
        f"({stats.key_longest_share:.0%}), longest or tied: {stats.key_longest_or_tied}; "
        f"key length / mean distractor length: {stats.key_length_ratio:.2f}",
        f"key positions: {positions} (top position {stats.top_position_share:.0%})",
        f"multiple response: {stats.multiple_response}; correct options first: "
        f"{stats.correct_first} ({stats.correct_first_share:.0%})",
        f"true/false keys: {stats.true_keys} True, {stats.false_keys} False",
        f"absolute wording: keys {_share(stats.absolute_keys, stats.keys):.0%}, distractors "
        f"{_share(stats.absolute_distractors, stats.distractors):.0%}; hedged wording: keys "
        f"{_share(stats.hedged_keys, stats.keys):.0%}, distractors "
        f"{_share(stats.hedged_distractors, stats.distractors):.0%}",
        f"skills: {skills}",
        f"a candidate who knows {_SIMULATED_KNOWLEDGE:.0%} and picks the longest option "
        f"otherwise passes {simulated_pass_rate(spec):.0%} of attempts (guessing at random "
        f"instead: {simulated_pass_rate(spec, blind=True):.0%})",
    ]
