"""Certificates: what views, commands and other areas call.

The work is done in :mod:`app.certificates.issuance` (issue and renew: one live certificate per
learner and course), :mod:`app.certificates.status` (revoke, suspend, reinstate; the state of a
certificate today) and :mod:`app.certificates.records` (find certificates; what a stored one
states: facts, Open Badge, share links). The payload a certificate signs is
:class:`app.certificates.payload.CertificatePayload`; the status values sit next to the model.
Functions take the session, the acting user, plain data and `now`; they flush and never commit.
"""
from __future__ import annotations

from app.certificates.errors import (
    CertificateError, CertificateNotFound, NotEligible, StatusChangeRefused,
)
from app.certificates.issuance import (
    add_months, issue_certificate, issue_certificate_if_eligible, last_final_exam_pass,
)
from app.certificates.records import (
    BADGE_CRITERIA, DEFAULT_WORDING, OpenBadge, certificate_facts, certificate_wording,
    certificates_by_course, certificates_of, claimable_courses, find_certificate,
    get_certificate, linkedin_url, live_certificate, open_badge, renewal_opens_at, renewed_by,
    search_certificates,
)
from app.certificates.status import (
    REASON_MAX_LENGTH, STATE_LABELS, allow_recertification, announce_expiring, certificate_state,
    public_reason_text, revoke, suspend, unsuspend,
)
from app.courses.standing import RECERTIFICATION_WINDOW, can_renew
from app.models.certificates import (
    ACTIVE, EXPIRED, LIVE_STATUSES, PUBLIC_REASONS, REVOKED, STATUSES, SUPERSEDED, SUSPENDED,
    VALID,
)

__all__ = [
    "PUBLIC_REASONS", "public_reason_text", "ACTIVE", "BADGE_CRITERIA", "DEFAULT_WORDING", "EXPIRED", "LIVE_STATUSES",
    "REASON_MAX_LENGTH", "RECERTIFICATION_WINDOW", "REVOKED", "STATE_LABELS", "STATUSES",
    "SUPERSEDED", "SUSPENDED", "VALID", "CertificateError", "CertificateNotFound", "NotEligible",
    "OpenBadge", "StatusChangeRefused", "add_months", "allow_recertification", "announce_expiring", "can_renew", "certificate_facts",
    "certificate_state", "certificate_wording", "certificates_by_course", "certificates_of",
    "claimable_courses", "find_certificate", "get_certificate", "issue_certificate",
    "issue_certificate_if_eligible", "last_final_exam_pass", "linkedin_url", "live_certificate",
    "open_badge", "renewal_opens_at", "renewed_by", "revoke", "search_certificates", "suspend",
    "unsuspend",
]
