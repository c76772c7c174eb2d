"""Capstone submissions: a learner's own work, scored by a trainer against the course's rubric."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.models.base import UTCDateTime

SUBMITTED = "submitted"
PASSED = "passed"
FAILED = "failed"
#: a learner submits once and, after a fail, once more
MAX_SUBMISSIONS = 2


class CapstoneSubmission(db.Model):
    __tablename__ = "capstone_submissions"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "attempt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    #: the version whose brief and rubric the work answers (and is scored with)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    attempt: Mapped[int] = mapped_column(Integer)
    text_md: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(16), default=SUBMITTED, index=True)
    #: the trainer grading it now, so that two trainers do not grade the same work
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: {criterion id: {"points": n, "comment": "..."}}
    scores: Mapped[dict | None] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[int | None] = mapped_column(Integer)
    max_total: Mapped[int | None] = mapped_column(Integer)

    files: Mapped[list[CapstoneFile]] = relationship(
        back_populates="submission", order_by="CapstoneFile.id", cascade="all, delete-orphan")
    user = relationship("User", foreign_keys=[user_id])
    course = relationship("Course")
    claimed_by = relationship("User", foreign_keys=[claimed_by_id])
    graded_by = relationship("User", foreign_keys=[graded_by_id])


class CapstoneFile(db.Model):
    """A file handed in with a submission (PDF or an Office document), kept in the database."""

    __tablename__ = "capstone_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("capstone_submissions.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    submission: Mapped[CapstoneSubmission] = relationship(back_populates="files")
