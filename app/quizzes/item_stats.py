"""Item analysis of a quiz: how each question performs, for the studio and for HR.

Counted over each learner's *first* submitted attempt at the quiz: later attempts follow
feedback on the first and would make every question look easier, and a learner who retries ten
times would weigh ten times as much as one who passed at once.

Per question, over the first attempts that drew it:

- difficulty: the share answered fully right (partial credit does not count as right);
- discrimination index: the attempts ranked by their total score, the share right in the upper
  27 % minus the share right in the lower 27 % (-1..1; 0.2 and up separates well);
- the choices: how many attempts chose each option (a multiple-response attempt may choose
  several), the most common numeric answers, and how many left it unanswered.

Flags, only once `THRESHOLDS.min_attempts` (10) attempts drew the question (fewer say little):
nearly everyone right (>= 90 %), nearly everyone wrong (<= 20 %: below what guessing among four
options gives, so the key or the wording is suspect), and low (< 0.2) or negative
discrimination. A question nearly everyone gets right or wrong cannot separate stronger from
weaker learners, so it is flagged for its difficulty only.

Options are counted by the text the learner saw, so an option keeps its count when the trainer
reorders the options of a later version.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.courses.quiz_spec import quiz_from_dict
from app.models import Course, QuizAttempt, User
from app.models.quizzes import FINAL_EXAM_KEY, SUBMITTED
from app.quizzes.errors import QuizNotFound



@dataclass(frozen=True)
class Thresholds:
    """When a question is flagged (the pages that show the figures explain them with these)."""

    min_attempts: int = 10
    nearly_all_right: float = 0.9
    nearly_all_wrong: float = 0.2
    low_discrimination: float = 0.2
    group_percent: int = 27


THRESHOLDS = Thresholds()
#: numeric questions list this many of the most common answers; the rest are counted together
NUMERIC_ANSWERS_SHOWN = 5

EASY = "nearly-all-right"
HARD = "nearly-all-wrong"
LOW = "low-discrimination"
NEGATIVE = "negative-discrimination"
FLAG_LABELS = {EASY: _l("Nearly everyone right"), HARD: _l("Nearly everyone wrong"),
               LOW: _l("Low discrimination"), NEGATIVE: _l("Negative discrimination")}


@dataclass(frozen=True)
class Response:
    """One drawn question of one attempt, as plain data: what was asked and what was given."""

    question_id: str
    kind: str
    stem_md: str
    options: tuple[tuple[str, str, bool], ...]  # (option id, text, correct) as drawn
    correct: bool
    given: Any


@dataclass(frozen=True)
class ScoredAttempt:
    """An attempt's total score and its responses (the unit the groups are made of)."""

    score: float
    responses: tuple[Response, ...]


@dataclass(frozen=True)
class Choice:
    """One row of a question's breakdown: an option, a numeric answer, or no answer."""

    label: str
    correct: bool
    chosen: int
    share: float
    #: "option" (Markdown text), "answer" (a number as typed), "other" or "none"
    kind: str = "option"


@dataclass(frozen=True)
class ItemStatistic:
    """How one question performs."""

    question_id: str
    kind: str
    stem_md: str
    attempts: int
    right: int
    discrimination: float | None
    choices: tuple[Choice, ...]
    flags: tuple[str, ...]

    @property
    def share_right(self) -> float:
        """The difficulty: share of the attempts that drew it and got it fully right (0..1)."""
        return self.right / self.attempts if self.attempts else 0.0


@dataclass(frozen=True)
class QuizItemStatistics:
    """The item analysis of one quiz."""

    quiz_key: str
    title: str
    learners: int
    items: tuple[ItemStatistic, ...]

    @property
    def flagged(self) -> int:
        return sum(bool(item.flags) for item in self.items)


# --- the rules, on plain data -----------------------------------------------------------------


def group_size(count: int) -> int:
    """How many attempts make the upper (and the lower) 27 %: at least one, from two attempts."""
    if count < 2:
        return 0
    return max(1, (count * THRESHOLDS.group_percent + 50) // 100)


def discrimination_index(results: Sequence[tuple[float, bool]]) -> float | None:
    """(right in the upper group - right in the lower group) / group size, over (score, right)
    pairs; None under two attempts. Ties in score keep the given order."""
    size = group_size(len(results))
    if not size:
        return None
    ranked = sorted(results, key=lambda result: result[0])
    lower = sum(right for _, right in ranked[:size])
    upper = sum(right for _, right in ranked[-size:])
    return (upper - lower) / size


def item_flags(attempts: int, share_right: float, discrimination: float | None) -> tuple[str, ...]:
    """The flags a question earns (see the module docstring)."""
    if attempts < THRESHOLDS.min_attempts:
        return ()
    if share_right >= THRESHOLDS.nearly_all_right:
        return (EASY,)
    if share_right <= THRESHOLDS.nearly_all_wrong:
        return (HARD,)
    if discrimination is not None and discrimination < 0:
        return (NEGATIVE,)
    if discrimination is not None and discrimination < THRESHOLDS.low_discrimination:
        return (LOW,)
    return ()


def analyse(attempts: Sequence[ScoredAttempt],
            current: Mapping[str, Response] | None = None) -> tuple[ItemStatistic, ...]:
    """Every question drawn in `attempts`: in the order of `current` (the questions of the
    quiz as it stands, whose stem and options are shown), then the others by id."""
    current = current or {}
    drawn: dict[str, list[tuple[float, Response]]] = {}
    for attempt in attempts:
        for response in attempt.responses:
            drawn.setdefault(response.question_id, []).append((attempt.score, response))
    order = [qid for qid in current if qid in drawn] + sorted(set(drawn) - set(current))
    return tuple(_item(drawn[qid], current.get(qid)) for qid in order)


def _item(drawn: list[tuple[float, Response]], current: Response | None) -> ItemStatistic:
    """One question's statistic from its (attempt score, response) pairs."""
    latest = current or drawn[-1][1]
    count = len(drawn)
    right = sum(response.correct for _, response in drawn)
    discrimination = discrimination_index([(score, response.correct) for score, response in drawn])
    responses = [response for _, response in drawn]
    choices = _numeric_choices(responses) if latest.kind == "numeric" \
        else _option_choices(responses, latest)
    return ItemStatistic(latest.question_id, latest.kind, latest.stem_md, count, right,
                         discrimination, choices,
                         item_flags(count, right / count, discrimination))


def _option_choices(responses: list[Response], latest: Response) -> tuple[Choice, ...]:
    """Per option text: how many chose it; options of earlier versions come after the current."""
    chosen: Counter[str] = Counter()
    correct = {text: is_correct for _, text, is_correct in latest.options}
    unanswered = 0
    for response in responses:
        texts = {option_id: text for option_id, text, _ in response.options}
        picked = [texts[g] for g in _given_ids(response.given) if g in texts]
        unanswered += not picked
        chosen.update(set(picked))
        for _, text, is_correct in response.options:
            correct.setdefault(text, is_correct)
    total = len(responses)
    rows = [Choice(text, is_correct, chosen[text], chosen[text] / total)
            for text, is_correct in correct.items()]
    return (*rows, Choice(_l("No answer"), False, unanswered, unanswered / total, "none"))


def _given_ids(given: Any) -> list[str]:
    """The option ids of an answer (one id, or a list for multiple response)."""
    if isinstance(given, str):
        return [given] if given else []
    if isinstance(given, (list, tuple)):
        return [g for g in given if isinstance(g, str)]
    return []


def _numeric_choices(responses: list[Response]) -> tuple[Choice, ...]:
    """The most common numeric answers (as typed, trimmed), the rest together, and none."""
    answers: Counter[str] = Counter()
    right: dict[str, bool] = {}
    unanswered = 0
    for response in responses:
        text = str(response.given).strip() if response.given is not None else ""
        if not text:
            unanswered += 1
            continue
        answers[text] += 1
        right[text] = response.correct
    total = len(responses)
    common = answers.most_common(NUMERIC_ANSWERS_SHOWN)
    rows = [Choice(text, right[text], count, count / total, "answer") for text, count in common]
    others = sum(answers.values()) - sum(count for _, count in common)
    if others:
        rows.append(Choice(_l("Other answers"), False, others, others / total, "other"))
    return (*rows, Choice(_l("No answer"), False, unanswered, unanswered / total, "none"))


# --- from the database ------------------------------------------------------------------------


def first_attempts(session: Session, course: Course, quiz_key: str,
                   organisation_id: int | None = None) -> list[QuizAttempt]:
    """Each learner's first submitted attempt at the quiz (of one organisation's members)."""
    first = (select(QuizAttempt.user_id, func.min(QuizAttempt.number).label("number"))
             .where(QuizAttempt.course_id == course.id, QuizAttempt.quiz_key == quiz_key,
                    QuizAttempt.status == SUBMITTED)
             .group_by(QuizAttempt.user_id))
    if organisation_id is not None:
        first = first.join(User, User.id == QuizAttempt.user_id) \
            .where(User.organisation_id == organisation_id)
    first = first.subquery()
    return list(session.scalars(
        select(QuizAttempt)
        .join(first, and_(QuizAttempt.user_id == first.c.user_id,
                          QuizAttempt.number == first.c.number))
        .where(QuizAttempt.course_id == course.id, QuizAttempt.quiz_key == quiz_key)
        .order_by(QuizAttempt.id)))


def attempted_courses(session: Session, organisation_id: int) -> list[Course]:
    """The published courses whose quizzes members of the organisation submitted, by title."""
    taken = (select(QuizAttempt.course_id)
             .join(User, User.id == QuizAttempt.user_id)
             .where(User.organisation_id == organisation_id, QuizAttempt.status == SUBMITTED))
    return list(session.scalars(
        select(Course).where(Course.id.in_(taken), Course.status == "published",
                             Course.current_version_id.is_not(None))
        .order_by(Course.title, Course.id)))


def scored_attempt(attempt: QuizAttempt) -> ScoredAttempt:
    """A submitted attempt as plain data: its snapshot's questions with the graded outcomes."""
    outcomes = {o["question_id"]: o for o in (attempt.result or {}).get("per_question", [])}
    responses = tuple(
        _response(question, bool(outcomes[question["id"]]["correct"]),
                  outcomes[question["id"]].get("given"))
        for question in attempt.snapshot["questions"] if question["id"] in outcomes)
    return ScoredAttempt(float(attempt.score or 0), responses)


def _response(question: Mapping[str, Any], correct: bool, given: Any) -> Response:
    return Response(question["id"], question["kind"], question["stem_md"],
                    tuple((o["id"], o["text_md"], bool(o["correct"]))
                          for o in question["options"]), correct, given)


def course_quizzes(course: Course) -> list[tuple[str, dict]]:
    """(quiz key, quiz data) of the current version: module quizzes in order, then the exam."""
    version = course.current_version
    if version is None:
        return []
    quizzes = [(module.slug, module.quiz) for module in version.modules if module.quiz]
    if version.final_exam:
        quizzes.append((FINAL_EXAM_KEY, version.final_exam))
    return quizzes


def quiz_item_statistics(session: Session, course: Course, quiz_key: str,
                         organisation_id: int | None = None) -> QuizItemStatistics:
    """The item analysis of one quiz of the course; QuizNotFound for a quiz it never had."""
    quiz = dict(course_quizzes(course)).get(quiz_key)
    attempts = first_attempts(session, course, quiz_key, organisation_id)
    if quiz is None and not attempts:
        raise QuizNotFound(_l("This course has no such quiz."))
    return _statistics(quiz_key, quiz, attempts)


def course_item_statistics(session: Session, course: Course,
                           organisation_id: int | None = None) -> list[QuizItemStatistics]:
    """The item analysis of every quiz of the course's current version, in course order."""
    return [_statistics(key, quiz, first_attempts(session, course, key, organisation_id))
            for key, quiz in course_quizzes(course)]


def _statistics(quiz_key: str, quiz: dict | None,
                attempts: Iterable[QuizAttempt]) -> QuizItemStatistics:
    rows = list(attempts)
    current = _current_questions(quiz) if quiz else {}
    title = quiz["title"] if quiz else rows[-1].snapshot["title"]
    return QuizItemStatistics(quiz_key, title, len(rows),
                              analyse([scored_attempt(a) for a in rows], current))


def _current_questions(quiz: dict) -> dict[str, Response]:
    """The quiz's questions as they stand, keyed by id, in file order (stems and options)."""
    spec = quiz_from_dict(quiz)
    return {q.id: Response(q.id, q.kind, q.stem_md,
                           tuple((o.id, o.text_md, o.correct) for o in q.options), False, None)
            for q in spec.questions}
