"""The studio's refusals of uploads, the GIFT converter's notes and the audit log in the reader's
language: every word was marked for translation (checked with the pseudo-locale)."""
from __future__ import annotations

import io
import re
import warnings
import zipfile
from datetime import UTC, datetime

import pytest

from app.admin.audit_wording import audit_sentence
from app.audit import record
from app.authoring import services
from app.certificates import services as certificates
from app.models import AuditEvent
from tests.conftest import log_in
from tests.factories import EXAMPLE_COURSE, import_example_course, meet_rule
from tests.i18n_support import PSEUDO_LOCALE
from tests.test_i18n_studio import data_of, untranslated_text

PSEUDO = {"Accept-Language": PSEUDO_LOCALE}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
QUIZ = "01-foundations/quiz.md"


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def trainer(db, make_user, course):
    user = make_user("trainer", name="Tess Trainer")
    services.add_maintainer(db.session, None, course, user.email, datetime.now(UTC))
    db.session.commit()
    return user


@pytest.fixture
def draft(db, pseudo_app, client, course, trainer):
    draft = services.start_draft(db.session, trainer, course, EXAMPLE_COURSE.parent)
    db.session.commit()
    log_in(client, trainer)
    return draft


def zipped(*entries: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a duplicate name on purpose
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def refusal_page(db, course, trainer, response, *data: str) -> list[str]:
    return untranslated_text(response.get_data(as_text=True),
                             (*data, *data_of(db, course, trainer), course.slug))


@pytest.mark.parametrize(("name", "data", "status"), [
    ("photo.jpg", PNG, 415), ("notes.png", b"just text", 415), ("bad name!.png", PNG, 400),
    ("big.png", PNG + b"\x00" * 3 * 1024 * 1024, 413),
])
def test_a_refused_image_is_explained_in_the_trainers_language(db, draft, browser, course,
                                                               trainer, name, data, status):
    url = f"/studio/{course.slug}/images"
    response = browser.post(url, {"image": (io.BytesIO(data), name)}, token_from=url,
                            headers=PSEUDO)
    assert response.status_code == status
    # the images already there are listed by type and size
    left = refusal_page(db, course, trainer, response, name, ".png", ".jpg / .jpeg", "PNG",
                        "image/svg+xml", "kB")
    assert not left, "\n".join(map(repr, left))


@pytest.mark.parametrize(("archive", "status"), [
    (b"not a zip at all", 400),
    (zipped(("../course.md", b"x")), 400),
    (zipped(("course.md", b"x"), ("course.md", b"y")), 400),
    (zipped(), 400),
])
def test_a_refused_archive_is_explained_in_the_trainers_language(db, draft, browser, course,
                                                                 trainer, archive, status):
    url = f"/studio/{course.slug}/upload"
    response = browser.post(url, {"archive": (io.BytesIO(archive), "course.zip"),
                                  "confirm": "y"}, token_from=url, headers=PSEUDO)
    assert response.status_code == status
    left = refusal_page(db, course, trainer, response, "../course.md", "course.md")
    assert not left, "\n".join(map(repr, left))


GIFT = b"""$CATEGORY: $course$/Quarterly

::Essay::Describe it.{}

Pick one.{=Yes ~Yes}

A number?{#abc}

Match them.{=a -> b =c -> d}

Weights?{~%50%Left ~%30%Right ~Neither}

Say it.{=free}
"""


def test_the_gift_converters_notes_are_in_the_trainers_language(db, draft, browser, course,
                                                                trainer):
    url = f"/studio/{course.slug}/edit/{QUIZ}"
    html = browser.get(url, headers=PSEUDO).get_data(as_text=True)
    revision = re.search(r'name="revision" type="hidden" value="(\d+)"', html).group(1)
    response = browser.post(url, {"text": draft.files[QUIZ], "revision": revision,
                                  "action": "import-gift", "mode": "append",
                                  "gift": (io.BytesIO(GIFT), "bank.gift")},
                            token_from=url, headers=PSEUDO)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert page.count('class="problem problem-') >= 6
    left = refusal_page(db, course, trainer, response, "$course$/Quarterly", "abc", "Yes",
                        "50%, 30%")
    assert not left, "\n".join(map(repr, left))


# --- the audit log ------------------------------------------------------------------------------

def test_the_audit_log_reads_in_the_admins_language(db, pseudo_app, client, make_user, course,
                                                    trainer):
    learner = make_user(name="Lena Learner")
    meet_rule(db, learner, course)  # enrolment and issuance
    certificate = certificates.live_certificate(db.session, learner, course)
    draft = services.start_draft(db.session, trainer, course, EXAMPLE_COURSE.parent)
    services.upload_image(db.session, trainer, draft, "chart.png", PNG)
    services.remove_asset(db.session, trainer, draft, "chart.png")
    services.discard_draft(db.session, trainer, draft, draft.revision)
    admin = make_user("admin", name="Ada Admin")
    certificates.revoke(db.session, admin, certificate.code, "Issued in error", datetime.now(UTC),
                        public_reason="issued_in_error")
    db.session.commit()
    log_in(client, admin)
    response = client.get("/admin/audit", headers=PSEUDO)
    assert response.status_code == 200
    data = (learner.name, learner.email, trainer.email, admin.name, admin.email, certificate.code,
            course.slug, "chart.png")
    left = untranslated_text(response.get_data(as_text=True), data)
    assert not left, "\n".join(map(repr, left))


def test_an_entry_the_log_cannot_word_shows_its_stored_summary(db, app, make_user):
    admin = make_user("admin")
    unknown = record(db.session, admin, "vendor.sync", "user", admin.id, "Synced from the vendor")
    partial = record(db.session, admin, "certificate.issue", "certificate", "OKR-X",
                     "Something else entirely", course="okr")  # no holder: cannot be worded
    worded = record(db.session, admin, "certificate.issue", "certificate", "OKR-Y",
                    "Certificate OKR-Y issued to Ana Ruiz for okr", course="okr")
    assert audit_sentence(unknown) == "Synced from the vendor"
    assert audit_sentence(partial) == "Something else entirely"
    assert audit_sentence(worded) == "Certificate OKR-Y issued to Ana Ruiz for okr"
    assert isinstance(worded, AuditEvent)
