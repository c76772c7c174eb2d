"""Issued certificates (immutable documents) and the log of public verifications."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, LargeBinary, Sequence, String, Text, text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.extensions import db
from app.clock import utcnow
from app.models.base import UTCDateTime

#: the status a certificate row records (set by issuance, renewal, revocation, suspension)
ACTIVE, SUSPENDED, REVOKED, SUPERSEDED = "active", "suspended", "revoked", "superseded"
STATUSES = (ACTIVE, SUSPENDED, REVOKED, SUPERSEDED)
#: statuses that hold the learner's one live certificate for a course
LIVE_STATUSES = (ACTIVE, SUSPENDED)
#: the reasons a revocation or suspension may state publicly (verification pages, the API);
#: the administrator's own words stay an internal note
PUBLIC_REASONS = {
    "issued_in_error": _l("Issued in error."),
    "requirements_not_met": _l("The certification requirements were not met."),
    "assessment_integrity": _l("The integrity of the assessment could not be confirmed."),
    "holder_request": _l("Withdrawn at the holder's request."),
    "under_review": _l("Under review."),
}
#: the entry a new certificate takes in the status lists: one past the highest so far (the
#: column default; on PostgreSQL issuance takes `status_list_entry` instead)
NEXT_STATUS_LIST_INDEX = text(
    "(SELECT COALESCE(MAX(status_list_index), -1) + 1 FROM certificates)")
#: PostgreSQL's sequence of status list entries (migration 0011; SQLite has no sequences)
STATUS_LIST_SEQUENCE = "certificates_status_list_index_seq"
Sequence(STATUS_LIST_SEQUENCE, minvalue=0, start=0, metadata=db.metadata)
_NEXT_ENTRY = text("SELECT nextval('certificates_status_list_index_seq')")
_CATCH_UP = text(
    "SELECT setval('certificates_status_list_index_seq', GREATEST(MAX(status_list_index), "
    "(SELECT last_value FROM certificates_status_list_index_seq))) FROM certificates "
    "HAVING MAX(status_list_index) IS NOT NULL")


def status_list_entry(session: Session) -> int | None:
    """A new certificate's status list entry, or None to leave it to the column default.

    On PostgreSQL the entry comes from a sequence: taking it locks nothing, so concurrent
    issuances do not wait for each other's commit (the default would hand two of them the same
    entry, and the second would wait on the first's row, then fail). An entry a rolled-back
    issuance took stays unused, which the status lists allow. SQLite writes one at a time."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return session.scalar(_NEXT_ENTRY)


def catch_up_status_list_entries(session: Session) -> None:
    """Move the sequence past entries written without it (rows loaded by SQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_CATCH_UP)
#: what an active certificate is at a given moment (see `Certificate.state`)
VALID, EXPIRED = "valid", "expired"


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        # Exactly one live certificate per learner and course, even under concurrent issuance.
        Index(
            "uq_certificates_live_per_course", "user_id", "course_id", unique=True,
            sqlite_where=text("status IN ('active', 'suspended')"),
            postgresql_where=text("status IN ('active', 'suspended')"),
        ),
        Index("ix_certificates_user", "user_id"),
        # The status lists read only these two columns: an index-only scan, whatever the PDFs.
        Index("ix_certificates_status_list", "status", "status_list_index"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    holder_name: Mapped[str] = mapped_column(String(120))
    course_title: Mapped[str] = mapped_column(String(200))
    course_slug: Mapped[str] = mapped_column(String(100))
    version_number: Mapped[int]
    #: the certification rule included a capstone, scored by a trainer against a rubric
    capstone_assessed: Mapped[bool] = mapped_column(default=False)
    organisation_name: Mapped[str | None] = mapped_column(String(120))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: one of STATUSES
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    #: the administrator's internal note on the status change; never shown publicly
    status_reason: Mapped[str | None] = mapped_column(Text)
    #: what verification shows as the reason: a key of PUBLIC_REASONS, or None (none given)
    public_reason: Mapped[str | None] = mapped_column(String(32))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    key_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: the language the certificate was issued in (its PDF's words and dates, its badge's
    #: criteria); settled at issuance, like the PDF itself
    locale: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    #: the certificate's entry in the public status lists (W3C Bitstring Status List): the next
    #: free one, taken by the INSERT itself; never reused, never changed (a concurrent insert
    #: that took the same entry fails the unique constraint: issuance then tries again)
    status_list_index: Mapped[int] = mapped_column(unique=True, default=NEXT_STATUS_LIST_INDEX)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    #: set when an administrator allows the holder of a revoked certificate to earn a new one
    recertification_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recertification_allowed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    user = relationship("User", foreign_keys=[user_id])
    course = relationship("Course")
    previous: Mapped[Certificate | None] = relationship(remote_side=[id])

    def state(self, now: datetime) -> str:
        """What the certificate is at `now`: valid, expired, suspended, revoked or superseded."""
        if self.status != ACTIVE:
            return self.status
        return EXPIRED if self.has_expired(now) else VALID

    def has_expired(self, now: datetime) -> bool:
        """True from the moment of expiry on (whatever the status)."""
        return self.expires_at is not None and now >= self.expires_at


class VerificationLog(db.Model):
    __tablename__ = "verification_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    #: web | api | pdf | bulk | cli
    channel: Mapped[str] = mapped_column(String(8))
    verdict: Mapped[str] = mapped_column(String(16))
    client: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
