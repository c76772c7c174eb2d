"""What the quizzes domain refuses; each message is a sentence for the learner."""
from __future__ import annotations

from datetime import datetime

from app.domain import DomainError


class QuizError(DomainError):
    """A quiz rule was broken; the message is a sentence for the learner."""


class QuizNotFound(QuizError):
    """No such quiz in the course, or no such attempt for this learner."""

    status_code = 404


class QuizUnavailable(QuizError):
    """The learner may not take this quiz yet (not enrolled, module locked, requirements open)."""

    status_code = 403


class AttemptNotAllowed(QuizError):
    """No new attempt now: passed already, no attempts left, or cooling down."""

    status_code = 409

    def __init__(self, message: str, next_attempt_at: datetime | None = None) -> None:
        super().__init__(message)
        self.next_attempt_at = next_attempt_at


class InvalidAnswers(QuizError):
    """A submission names unknown questions or options, or a number that is not one."""

    status_code = 400

    def __init__(self, sentences: list[str]) -> None:
        # plain strings: a lazy one holding a posted value would reach the page unescaped
        self.sentences = [str(sentence) for sentence in sentences]
        super().__init__(" ".join(self.sentences))


class AttemptClosed(QuizError):
    """The attempt was graded already; its answers cannot change."""

    status_code = 409
