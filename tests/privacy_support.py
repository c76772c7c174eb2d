"""What the data rights tests share: a learner with a bit of everything, and reading an export."""
from __future__ import annotations

import hashlib
import html
import io
import json
import re
import zipfile
from dataclasses import dataclass

from app.certificates import services as certificates
from app.models import CapstoneFile, CapstoneSubmission, Certificate, User, WebhookEndpoint
from tests.factories import import_example_course, meet_rule

CAPSTONE_TEXT = "My plan for Northwind's OKRs: grow recurring revenue by a third."
CAPSTONE_FILE = b"%PDF-1.4 capstone appendix of the holder"


@dataclass
class Holder:
    user: User
    certificate: Certificate
    submission: CapstoneSubmission
    email: str
    name: str


def make_holder(db, make_user, *, org=None, name="Morgan Holder",
                email="morgan.holder@example.com") -> Holder:
    """A learner with progress, quiz attempts, a certificate (and its mail) and capstone work."""
    course = import_example_course(db)
    user = make_user(name=name, email=email, org=org)
    meet_rule(db, user, course)
    certificate = certificates.live_certificate(db.session, user, course)
    submission = CapstoneSubmission(user_id=user.id, course_id=course.id,
                                    version_id=course.current_version_id, attempt=1,
                                    text_md=CAPSTONE_TEXT, comment="Strong, specific plan.",
                                    scores={"clarity": {"points": 3, "comment": "Clear."}})
    submission.files.append(CapstoneFile(
        filename="../appendix.pdf", content_type="application/pdf", size=len(CAPSTONE_FILE),
        sha256=hashlib.sha256(CAPSTONE_FILE).hexdigest(), data=CAPSTONE_FILE))
    db.session.add(submission)
    db.session.commit()
    return Holder(user, certificate, submission, email, name)


def subscribe(db, org) -> WebhookEndpoint:
    """An endpoint of `org` told of revocations (only the delivery rows matter here)."""
    endpoint = WebhookEndpoint(organisation_id=org.id, url="https://hooks.example.com/okr",
                               event_types=["certificate.revoked"], secret="whsec_" + "A" * 32)
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


def read_export(response) -> tuple[dict, zipfile.ZipFile]:
    """The data.json and the archive of an export's response."""
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    return json.loads(archive.read("data.json")), archive


def text_of(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))
