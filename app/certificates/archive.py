"""What a certificate PDF carries as an archival record besides the signed payload.

A certificate PDF is PDF/A-3b: besides the Ed25519-signed record (``certificate.json``) it
embeds the certificate's Open Badges 3.0 credential as an associated file (``AFRelationship
/Data``), so the archived file alone states the badge. The credential is built from the
certificate's facts, the same facts printed on the page; the bytes are deterministic (UTF-8
JSON, sorted keys), so a checker can rebuild them and compare.
"""
from __future__ import annotations

import json
from typing import Any

from flask_babel import force_locale

from app.certificates import badge
from app.certificates.pdf import CertificateFacts
from app.certificates.records import BADGE_CRITERIA


def embedded_credential(facts: CertificateFacts, **details: Any) -> bytes:
    """The Open Badges credential of the certificate these facts describe, as embedded bytes.

    `details` are further keywords of :func:`badge.build_credential` (e.g. the holder or the
    status entries) for a caller that knows more than the facts.
    """
    payload = facts.payload
    with force_locale(facts.locale):
        credential = badge.build_credential(
            facts,
            achievement_id=f"{payload.issuer}/courses/{payload.course_slug}",
            description=payload.course_title,
            criteria=str(BADGE_CRITERIA),
            **details,
        )
    return credential_bytes(credential)


def credential_bytes(credential: dict[str, Any]) -> bytes:
    """A credential as the PDF embeds it: UTF-8 JSON, keys sorted, no spaces."""
    return json.dumps(credential, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")
