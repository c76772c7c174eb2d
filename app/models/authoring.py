"""The authoring studio: course drafts (the folder form held in the database), the exact
source files of published versions, for byte-stable export, and who maintains each course."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.clock import utcnow
from app.models.base import UTCDateTime


class CourseDraft(db.Model):
    """The working copy of a course: its Markdown files by relative posix path, plus assets.

    `revision` is an optimistic lock: every change writes `revision + 1` where the row still
    has the revision it was read with, so two concurrent saves cannot both win.
    """

    __tablename__ = "course_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           unique=True)
    #: the version the draft was started from or last published as
    base_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_versions.id", ondelete="SET NULL"))
    #: {"course.md": "...", "01-foundations/01-origins.md": "..."}: Markdown files only
    files: Mapped[dict] = mapped_column(JSON, default=dict)
    #: {path: the draft revision at which that file last changed}
    file_revisions: Mapped[dict] = mapped_column(JSON, default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    #: the content hash the draft would publish as (same scheme as the importer's), kept current
    #: on every change so the course list can tell unpublished changes without reading files
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course = relationship("Course")
    base_version = relationship("CourseVersion")
    updated_by = relationship("User", foreign_keys=[updated_by_id])
    assets: Mapped[list[DraftAsset]] = relationship(
        back_populates="draft", order_by="DraftAsset.path", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}


class DraftAsset(db.Model):
    """An image or file of a draft; `path` is relative to the course's assets/ folder."""

    __tablename__ = "draft_assets"
    __table_args__ = (UniqueConstraint("draft_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("course_drafts.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)

    draft: Mapped[CourseDraft] = relationship(back_populates="assets")


class CourseVersionFile(db.Model):
    """A Markdown file of a course version exactly as it was published (assets live in
    `course_assets`), so exporting a version gives back the same bytes."""

    __tablename__ = "course_version_files"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)


class CourseMaintainer(db.Model):
    """A trainer who may edit a course in the studio (admins assign them; admins edit every
    course, and a course with no maintainer is theirs alone)."""

    __tablename__ = "course_maintainers"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           primary_key=True)
    #: indexed: the studio lists the courses of one trainer
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user = relationship("User", foreign_keys=[user_id])
    added_by = relationship("User", foreign_keys=[added_by_id])
