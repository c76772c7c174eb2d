"""Courses and their immutable versions (content imported from courses/ or published in the studio)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.clock import utcnow
from app.models.base import UTCDateTime


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    #: published courses are in the catalogue; archived ones are not
    status: Mapped[str] = mapped_column(String(16), default="published")
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_versions.id", use_alter=True, name="fk_courses_current_version")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    current_version: Mapped[CourseVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    versions: Mapped[list[CourseVersion]] = relationship(
        back_populates="course", foreign_keys="CourseVersion.course_id",
        order_by="CourseVersion.number",
    )


class CourseVersion(db.Model):
    __tablename__ = "course_versions"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    validity_months: Mapped[int | None] = mapped_column(Integer)
    certificate_template: Mapped[str] = mapped_column(String(64), default="classic")
    #: what a holder can now do, printed on the certificate (empty: the summary says it)
    achievement: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: who signs the certificates: name, title and the signature's asset path (None: the
    #: academy's default signatory)
    signatory: Mapped[dict | None] = mapped_column(JSON)
    sequential: Mapped[bool] = mapped_column(default=True)
    #: the parsed course (without asset bytes), enough to export or rebuild this version;
    #: deferred like the exam below: both are large and the learner's pages need neither
    spec: Mapped[dict] = mapped_column(JSON, deferred=True)
    #: the final exam's quiz spec, when the course has one
    final_exam: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    #: the capstone's brief and rubric, when the course has one
    capstone: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    source: Mapped[str] = mapped_column(String(16), default="import")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship(back_populates="versions", foreign_keys=[course_id])
    modules: Mapped[list[VersionModule]] = relationship(
        back_populates="version", order_by="VersionModule.position", cascade="all, delete-orphan"
    )
    lessons: Mapped[list[VersionLesson]] = relationship(
        back_populates="version",
        order_by="(VersionLesson.module_position, VersionLesson.position)",
        cascade="all, delete-orphan",
    )
    translations: Mapped[list[VersionTranslation]] = relationship(
        back_populates="version", cascade="all, delete-orphan",
        order_by="(VersionTranslation.locale, VersionTranslation.part, VersionTranslation.ref)",
    )


class VersionModule(db.Model):
    __tablename__ = "version_modules"
    __table_args__ = (UniqueConstraint("version_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    intro_html: Mapped[str] = mapped_column(Text, default="")
    #: the module quiz's spec, when the module has one
    quiz: Mapped[dict | None] = mapped_column(JSON)

    version: Mapped[CourseVersion] = relationship(back_populates="modules")


class VersionLesson(db.Model):
    __tablename__ = "version_lessons"
    __table_args__ = (UniqueConstraint("version_id", "module_slug", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"))
    module_slug: Mapped[str] = mapped_column(String(100))
    module_position: Mapped[int] = mapped_column(Integer)
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int] = mapped_column(Integer, default=5)
    exercise_minutes: Mapped[int] = mapped_column(Integer, default=0)
    #: rendered and sanitised once, at import
    html: Mapped[str] = mapped_column(Text)

    version: Mapped[CourseVersion] = relationship(back_populates="lessons")


class VersionTranslation(db.Model):
    """The translated text of one part of a course version in one language.

    `part` says what is translated and `ref` which one: "course" (ref ""), "module" (module
    slug), "lesson" ("module-slug/lesson-slug"), "quiz" (the quiz key), "capstone" (ref "").
    `data` holds only text (titles, rendered HTML, question stems, options in the source's
    order, explanations); settings, ids and answer keys stay the source's.
    """

    __tablename__ = "version_translations"
    __table_args__ = (UniqueConstraint("version_id", "locale", "part", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    part: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(210), default="")
    data: Mapped[dict] = mapped_column(JSON)

    version: Mapped[CourseVersion] = relationship(back_populates="translations")


class CourseAsset(db.Model):
    """An image or file of a course version, stored in the database so app hosts stay stateless."""

    __tablename__ = "course_assets"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
