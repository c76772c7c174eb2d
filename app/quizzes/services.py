"""Quizzes: what views, commands and other areas call.

The work is done in :mod:`app.quizzes.attempts` (start, save, submit and grade an attempt, with
the time limit) and :mod:`app.quizzes.results` (best scores, the trainer's statistics). What a
learner passed and the certification rule are re-exported from :mod:`app.courses.standing`.
Functions take the session, the acting user, plain data and `now`; they flush and never commit
(the request does).
"""
from __future__ import annotations

from app.courses.standing import (
    CertificationStatus, certification_status, passed_quiz_keys, passed_quiz_keys_for_courses,
)
from app.models.quizzes import FINAL_EXAM_KEY, OPEN, SUBMITTED
from app.quizzes.attempts import (
    CLOSED_EXPIRED, CLOSED_LATE, CLOSED_ON_TIME, GRACE, Quiz, QuizOverview, SubmissionOutcome,
    close_if_expired, closed_sentence, feedback_allowed, find_attempt, find_quiz, quiz_overview,
    save_answers, start_attempt, submission_digest, submit_attempt, user_attempts,
)
from app.quizzes.errors import (
    AttemptClosed, AttemptNotAllowed, InvalidAnswers, QuizError, QuizNotFound, QuizUnavailable,
)
from app.quizzes.results import (
    QuizResultSummary, QuizStatistics, best_results, quiz_statistics,
)

__all__ = [
    "CLOSED_EXPIRED", "CLOSED_LATE", "CLOSED_ON_TIME", "FINAL_EXAM_KEY", "GRACE", "OPEN",
    "SUBMITTED", "AttemptClosed", "AttemptNotAllowed", "CertificationStatus", "InvalidAnswers",
    "Quiz", "QuizError", "QuizNotFound", "QuizOverview",
    "QuizResultSummary", "QuizStatistics", "QuizUnavailable", "SubmissionOutcome",
    "best_results", "certification_status", "close_if_expired", "closed_sentence",
    "feedback_allowed", "find_attempt", "find_quiz", "passed_quiz_keys",
    "passed_quiz_keys_for_courses", "quiz_overview", "quiz_statistics", "save_answers",
    "start_attempt", "submission_digest", "submit_attempt", "user_attempts",
]
