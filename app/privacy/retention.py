"""An organisation's choice: do its people's certificates stay valid after their erasure?"""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.audit import record
from app.models import Organisation, User


def may_manage(user: User, organisation: Organisation) -> bool:
    """Administrators, and the organisation's own HR, decide its retention."""
    return user.has_role("admin") or (
        user.has_role("hr") and user.organisation_id == organisation.id)


def set_certificate_retention(session: Session, actor: User, organisation: Organisation,
                              keep: bool) -> bool:
    """Keep (or stop keeping) certificates verifiable after erasure; True when it changed."""
    if organisation.keep_certificates_after_erasure == keep:
        return False
    organisation.keep_certificates_after_erasure = keep
    record(session, actor, "privacy.retention", "organisation", organisation.id,
           "Certificates kept verifiable after erasure" if keep
           else "Certificates withdrawn on erasure", keep_certificates_after_erasure=keep)
    session.flush()
    return True
