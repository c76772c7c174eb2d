"""The learner's certificates and the mails in the reader's language.

A mail is written by a job, outside any request: it reads in its recipient's language (the
account's `locale`), whoever caused it. Refusals are lazy sentences, translated where shown.
"""
from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.certificates import services as certificates
from app.certificates.issuance import UNCONFIRMED_ADDRESS
from app.clock import utcnow
from app.models.notifications import Notification
from app.notifications.extension import write_message
from tests.i18n_support import serve_catalogues, write_catalogue
from tests.conftest import log_in
from tests.factories import import_example_course, meet_rule
from tests.mailbox import html_of, text_of

GERMAN = {
    "Congratulations: you are certified in %(course)s":
        "Herzlichen Glückwunsch: Sie sind zertifiziert in %(course)s",
    "Congratulations, %(name)s!": "Herzlichen Glückwunsch, %(name)s!",
    "Certificate ID: %(code)s": "Zertifikats-ID: %(code)s",
    "Certificate ID": "Zertifikats-ID",
    "Your certificate for %(course)s has been revoked":
        "Ihr Zertifikat für %(course)s wurde widerrufen",
    "Reason:": "Grund:",
    "The certification requirements were not met.":
        "Die Voraussetzungen für die Zertifizierung wurden nicht erfüllt.",
    "Certificate %(code)s was already revoked on %(date)s: %(reason)s":
        "Das Zertifikat %(code)s wurde bereits am %(date)s widerrufen: %(reason)s",
    "My certificates": "Meine Zertifikate",
    "Revoked": "Widerrufen",
    ("Your certificate expires in %(num)d day", "Your certificate expires in %(num)d days"):
        ("Ihr Zertifikat läuft in %(num)d Tag ab", "Ihr Zertifikat läuft in %(num)d Tagen ab"),
}


@pytest.fixture
def german(app, tmp_path):
    """A small German catalogue in place of the shipped ones, for this test only."""
    write_catalogue(tmp_path / "translations", "de", GERMAN)
    yield from serve_catalogues(app, tmp_path / "translations")


@pytest.fixture
def course(db):
    return import_example_course(db)


def certified(db, make_user, course, locale: str | None):
    holder = make_user(name="Jana Berger")
    holder.locale = locale
    db.session.commit()
    meet_rule(db, holder, course)
    return holder, certificates.live_certificate(db.session, holder, course)


def written(db, kind: str):
    db.session.expire_all()
    notification = db.session.scalars(
        select(Notification).where(Notification.kind == kind)
        .order_by(Notification.id.desc())).first()
    return write_message(db.session, notification)


def test_a_german_recipients_mail_is_german(german, db, make_user, course):
    holder, certificate = certified(db, make_user, course, "de")
    message = written(db, "certificate_issued")
    assert message["Subject"] == f"Herzlichen Glückwunsch: Sie sind zertifiziert in {course.title}"
    text, html = text_of(message), html_of(message)
    assert "Herzlichen Glückwunsch, Jana Berger!" in text and "Herzlichen Glückwunsch" in html
    assert f"Zertifikats-ID: {certificate.code}" in text and ">Zertifikats-ID</th>" in html
    assert '<html lang="de">' in html
    assert "Congratulations" not in text + html


def test_an_english_or_unset_language_reads_english(german, db, make_user, course):
    certified(db, make_user, course, None)
    message = written(db, "certificate_issued")
    assert message["Subject"].startswith("Congratulations: you are certified in ")
    assert "Certificate ID: " in text_of(message) and '<html lang="en">' in html_of(message)


def test_an_unknown_locale_falls_back_to_english(german, db, make_user, course):
    certified(db, make_user, course, "xx")
    assert written(db, "certificate_issued")["Subject"].startswith("Congratulations")


def test_the_public_reason_reads_in_the_recipients_language_not_the_admins(
        german, db, make_user, course):
    holder, certificate = certified(db, make_user, course, "de")
    admin = make_user("admin")
    admin.locale = "en"
    certificates.revoke(db.session, admin, certificate.code, "internal note", utcnow(),
                        public_reason="requirements_not_met")
    db.session.commit()
    message = written(db, "certificate_status")
    assert message["Subject"] == f"Ihr Zertifikat für {course.title} wurde widerrufen"
    text = text_of(message)
    assert "Grund: Die Voraussetzungen für die Zertifizierung wurden nicht erfüllt." in text
    assert "internal note" not in text


def test_a_refusal_is_translated_where_it_is_shown(german, db, make_user, course):
    holder, certificate = certified(db, make_user, course, None)
    admin = make_user("admin")
    certificates.revoke(db.session, admin, certificate.code, "first", utcnow())
    with pytest.raises(certificates.StatusChangeRefused) as refusal:
        certificates.revoke(db.session, admin, certificate.code, "again", utcnow())
    assert str(refusal.value).startswith(f"Certificate {certificate.code} was already revoked on ")
    with force_locale("de"):
        assert str(refusal.value).startswith(f"Das Zertifikat {certificate.code} wurde bereits")
        assert str(refusal.value).endswith(": first")


def test_a_refusal_joins_lazy_and_plain_reasons(german):
    refusal = certificates.NotEligible([UNCONFIRMED_ADDRESS, "Pass the final exam."])
    assert str(refusal).startswith("Confirm your email address to receive your certificate")
    assert str(refusal).endswith(" Pass the final exam.")


def test_the_certificates_page_speaks_the_accounts_language(german, client, db, make_user,
                                                             course):
    holder, certificate = certified(db, make_user, course, "de")
    certificates.revoke(db.session, None, certificate.code, "note", utcnow())
    db.session.commit()
    log_in(client, holder)
    html = client.get("/certificates").get_data(as_text=True)
    assert "<h1>Meine Zertifikate</h1>" in html and ">Widerrufen</span>" in html
    assert "My certificates</h1>" not in html


def test_the_certificates_page_stays_english_by_default(client, db, make_user, course):
    holder, _certificate = certified(db, make_user, course, None)
    log_in(client, holder)
    html = client.get("/certificates").get_data(as_text=True)
    assert "<h1>My certificates</h1>" in html and "Issued " in html


def test_someone_elses_certificate_is_not_found_and_a_bad_algorithm_is_refused(
        german, client, db, make_user, course):
    _holder, certificate = certified(db, make_user, course, None)
    stranger = make_user()
    log_in(client, stranger)
    response = client.get(f"/certificates/{certificate.code}")
    assert response.status_code == 404
    assert client.get(f"/certificates/{certificate.code}/badge.jwt?alg=none").status_code == 400
