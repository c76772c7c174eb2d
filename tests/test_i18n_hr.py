"""HR's and administrators' pages in the reader's language: every word on them was marked for
translation (checked with the pseudo-locale), and English stays as it was."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.certificates import services as certificates
from app.courses import services as course_services
from app.extensions import db as _db
from app.models import AuditEvent
from tests.conftest import log_in
from tests.factories import meet_rule
from tests.hr_fixtures import course, org  # noqa: F401  (fixtures)
from tests.i18n_support import PSEUDO_LOCALE
from tests.test_i18n import html_lang
from tests.test_i18n_studio import untranslated_text

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def acme(db, make_user, course, org):  # noqa: F811
    """An HR user, a certified learner (certificate suspended, with a note) and one who enrolled
    and never started: something in every column, filter and reminder."""
    hr = make_user("hr", org=org, name="Hanna Ressource", email="hanna@acme.example")
    certified = make_user(org=org, name="Cleo Certified", email="cleo@acme.example")
    meet_rule(db, certified, course, NOW - timedelta(days=30))
    certificate = certificates.live_certificate(db.session, certified, course)
    idle = make_user(org=org, name="Ivo Idle", email="ivo@acme.example")
    course_services.enroll(db.session, idle, course, NOW - timedelta(days=20))
    db.session.commit()
    admin = make_user("admin", name="Ada Admin", email="ada@admin.example")
    certificates.suspend(db.session, admin, certificate.code, "Complaint", NOW, "under_review")
    db.session.commit()
    return {"hr": hr, "admin": admin, "people": (hr, certified, idle, admin), "course": course,
            "org": org, "code": certificate.code}


def data_of(acme) -> tuple[str, ...]:
    """What the pages show that is data: names, addresses, the course, the organisation, codes,
    and the audit log's records (written once, in the words of the moment they record)."""
    course = acme["course"]
    records = _db.session.scalars(select(AuditEvent.summary)).all()
    return (course.title, course.current_version.title, acme["org"].name, acme["org"].slug,
            acme["code"], "Complaint", *records,
            *(person.name for person in acme["people"]),
            *(person.email for person in acme["people"]))


def assert_all_marked(client, path: str, acme) -> None:
    page = client.get(path, headers={"Accept-Language": PSEUDO_LOCALE})
    assert page.status_code == 200 and html_lang(page) == PSEUDO_LOCALE
    left = untranslated_text(page.get_data(as_text=True), data_of(acme))
    assert not left, f"{path}: text never marked for translation:\n" + "\n".join(map(repr, left))


@pytest.mark.parametrize("path", ["/hr/", "/hr/organisation", "/hr/nudges",
                                  "/hr/nudges?select=all", "/hr/invitations",
                                  "/hr/?status=lapsed&q=nobody"])
def test_every_word_hr_reads_was_marked_for_translation(client, pseudo_app, acme, path):
    log_in(client, acme["hr"])
    assert_all_marked(client, path, acme)


def test_a_learners_page_was_marked_for_translation(client, pseudo_app, acme):
    log_in(client, acme["hr"])
    learner = acme["people"][1]
    assert_all_marked(client, f"/hr/learners/{learner.id}", acme)


@pytest.mark.parametrize("path", ["/admin/users", "/admin/certificates", "/admin/organisations",
                                  "/admin/audit", "/admin/mail",
                                  "/admin/certificates?status=suspended&q=zzz"])
def test_every_word_an_administrator_reads_was_marked_for_translation(client, pseudo_app, acme,
                                                                      path):
    log_in(client, acme["admin"])
    assert_all_marked(client, path, acme)


@pytest.mark.parametrize("action", ["revoke", "unsuspend"])
def test_the_status_change_page_was_marked_for_translation(client, pseudo_app, acme, action):
    log_in(client, acme["admin"])
    assert_all_marked(client, f"/admin/certificates/{acme['code']}/status?action={action}", acme)


def test_an_account_page_was_marked_for_translation(client, pseudo_app, acme):
    log_in(client, acme["admin"])
    assert_all_marked(client, f"/admin/users/{acme['people'][1].id}", acme)


def test_hr_reads_the_dashboard_in_german(db, client, acme):
    acme["hr"].locale = "de"
    db.session.commit()
    log_in(client, acme["hr"])
    page = client.get("/hr/").get_data(as_text=True)
    assert "Kurs" in page and "Abschlussprüfung" in page


def test_english_sentences_keep_their_numbers(client, acme):
    log_in(client, acme["admin"])
    page = client.get("/admin/certificates").get_data(as_text=True)
    assert "1 certificate<" in page.replace("</p>", "<")
    log_in(client, acme["hr"])
    page = client.get("/hr/nudges").get_data(as_text=True)
    assert "· 2 learners</span>" in page and "Ivo Idle" in page

