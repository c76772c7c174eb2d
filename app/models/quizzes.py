"""Quiz attempts: each stores the snapshot of the questions it was given."""
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.clock import utcnow
from app.models.base import UTCDateTime

#: the quiz key of a course's final exam; module quizzes use their module slug
FINAL_EXAM_KEY = "final-exam"
#: the states of an attempt
OPEN, SUBMITTED = "open", "submitted"


class QuizAttempt(db.Model):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id", "quiz_key", "number"),
        Index("ix_quiz_attempts_course_quiz", "course_id", "quiz_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    quiz_key: Mapped[str] = mapped_column(String(100))
    number: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict] = mapped_column(JSON)
    answers: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="open")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None]
    #: the grade result: per question and per section
    result: Mapped[dict | None] = mapped_column(JSON)
    late: Mapped[bool] = mapped_column(default=False)

    user = relationship("User")
    course = relationship("Course")
    version = relationship("CourseVersion")
