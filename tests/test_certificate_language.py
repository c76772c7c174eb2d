"""A certificate in its learner's language: chosen at issuance, kept for good.

A German learner's certificate is printed in German (its words, its dates, the course's German
title and achievement), says so in its Open Badge, and stays the same document when the learner
later reads the site in another language; the verify page speaks its viewer's language around
the facts the certificate states.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from hypothesis import given
from hypothesis import strategies as st

from app.certificates import services as certificates
from app.certificates.design import academy_signatory, sample_facts
from app.certificates.issuance import certificate_language
from app.certificates.extension import issuer_for
from app.certificates.pdf import CertificateRenderer
from app.clock import utcnow
from app.models import Certificate, User, VersionTranslation
from app.verify import services as verify_services
from tests.factories import import_example_course, meet_rule
from tests.i18n_support import serve_catalogues

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "tests" / "fixtures" / "ob3" / "ob_v3p0_achievementcredential_schema.json"
CLASSIC_LEAD = 'after "This is to certify that" and the name'
#: the certificate's own words in German (on top of the shipped catalogue)
GERMAN = {
    "This is to certify that": "Hiermit wird bescheinigt, dass",
    (CLASSIC_LEAD, "has successfully completed"): "den folgenden Kurs erfolgreich abgeschlossen hat",
    "has successfully completed": "hat erfolgreich teilgenommen an",
    "of %(organisation)s": "von %(organisation)s",
    "Issued %(date)s": "Ausgestellt am %(date)s",
    "Valid until %(date)s": "Gültig bis %(date)s",
    "Issued": "Ausgestellt",
    "Valid until": "Gültig bis",
    "Study": "Lernaufwand",
    "Certificate ID": "Zertifikats-ID",
    "Verify at": "Prüfen unter",
    "certificate": "Zertifikat",
    "%(issuer)s logo": "Logo von %(issuer)s",
    "Signature of %(name)s": "Unterschrift von %(name)s",
    "Seal of %(issuer)s": "Siegel von %(issuer)s",
    "%(wording)s awarded to %(holder)s for %(course)s on %(date)s. Certificate ID %(code)s.":
        "%(wording)s, verliehen an %(holder)s für %(course)s am %(date)s. "
        "Zertifikats-ID %(code)s.",
    "Certificate of Completion": "Abschlusszertifikat",
    ("About %(num)d hour of study", "About %(num)d hours of study"):
        ("Etwa %(num)d Stunde Lernzeit", "Etwa %(num)d Stunden Lernzeit"),
    ("About %(num)d minute of study", "About %(num)d minutes of study"):
        ("Etwa %(num)d Minute Lernzeit", "Etwa %(num)d Minuten Lernzeit"),
    "Completed every lesson and module quiz of the course and passed its final exam.":
        "Hat alle Lektionen und Modulquizze des Kurses abgeschlossen und die Abschlussprüfung "
        "bestanden.",
    "Final exam": "Abschlussprüfung",
}
FRENCH = {
    "Valid certificate": "Certificat valide",
    ("About %(num)d minute of study", "About %(num)d minutes of study"):
        ("Environ %(num)d minute de formation", "Environ %(num)d minutes de formation",
         "Environ %(num)d minutes de formation"),
}
GERMAN_COURSE = {"title": "OKR-Grundlagen: Ziele und Schlüsselergebnisse für Führungskräfte",
                 "summary": "Ein kurzer Kurs über Ziele, Schlüsselergebnisse und ihre Bewertung.",
                 "achievement": "Kann OKRs schreiben, bewerten und im Team einführen."}
#: English words of ours a German certificate must not print
ENGLISH = ("CERTIFY", "COMPLETED", "Issued", "Valid until", "VERIFY AT", "CERTIFICATE ID",
           "of study", "Academy Director", "Certificate of Completion", "short course")


@pytest.fixture(scope="module")
def catalogues(tmp_path_factory) -> Path:
    """Small German and French catalogues of the words these tests read."""
    folder = tmp_path_factory.mktemp("translations")
    for language, messages in (("de", GERMAN), ("fr", FRENCH)):
        catalog = Catalog(locale=language)
        for key, text in messages.items():
            context, msgid = key if isinstance(key, tuple) and key[0] == CLASSIC_LEAD \
                else (None, key)
            catalog.add(msgid, text, context=context)
        target = folder / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        with open(target / "messages.mo", "wb") as compiled:
            write_mo(compiled, catalog)
    return folder


@pytest.fixture
def speaking(app, catalogues):
    yield from serve_catalogues(app, catalogues)


@pytest.fixture
def course(db):
    course = import_example_course(db)
    db.session.add(VersionTranslation(version_id=course.current_version_id, locale="de",
                                      part="course", ref="", data=GERMAN_COURSE))
    db.session.commit()
    return course


def certified(db, make_user, course, locale: str | None, name: str = "Jana Berger"):
    learner = make_user(name=name)
    learner.locale = locale
    db.session.commit()
    meet_rule(db, learner, course)
    return learner, certificates.live_certificate(db.session, learner, course)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler's pdftotext is not installed")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def badge_of(client, login_as, learner, certificate) -> dict:
    login_as(learner)
    response = client.get(f"/certificates/{certificate.code}/badge.json")
    assert response.status_code == 200
    return response.get_json()


# --- which language -----------------------------------------------------------------------------

OFFERED = ("en", "de", "fr", "es")
CODES = st.sampled_from((None, "", "en", "de", "fr", "es", "xx", "eo"))


@given(account=CODES, page=CODES, previous=CODES)
def test_the_learners_choice_then_the_page_then_the_renewed_certificate_then_english(
        account, page, previous):
    learner = User(locale=account)
    renewed = Certificate(locale=previous) if previous is not None else None
    chosen = certificate_language(learner, page, renewed, OFFERED)
    expected = next((code for code in (account, page, previous) if code in OFFERED), "en")
    assert chosen == expected and chosen in OFFERED


# --- the document -----------------------------------------------------------------------------

@pytest.mark.renders_pdf
def test_a_german_learners_certificate_is_printed_in_german(speaking, app, db, make_user, course,
                                                             tmp_path):
    learner, certificate = certified(db, make_user, course, "de")
    assert certificate.locale == "de"
    assert certificate.course_title == GERMAN_COURSE["title"]  # the signed, stored title
    text = pdf_text(certificate.pdf, tmp_path)
    flat = " ".join(text.split())
    for german in ("HIERMIT WIRD BESCHEINIGT, DASS", "Jana Berger", GERMAN_COURSE["title"],
                   GERMAN_COURSE["achievement"], "Ausgestellt am 5. Mai 2025",
                   "Gültig bis 5. Mai 2027", "ZERTIFIKATS-ID", "PRÜFEN UNTER",
                   "Leitung der Akademie", "Abschlusszertifikat"):
        assert german in flat, german
    assert [word for word in ENGLISH if word in flat] == []
    issuer = issuer_for(app)
    checked = verify_services.verify_pdf(db.session, certificate.pdf, keyring=issuer.keyring,
                                         trust_roots=issuer.trust_roots(), now=utcnow())
    assert checked.outcome == "valid"  # signed record, PDF signature and stored hash agree


@pytest.mark.renders_pdf
def test_an_english_learners_certificate_is_unchanged(speaking, db, make_user, course,
                                                      tmp_path):
    learner, certificate = certified(db, make_user, course, None)
    assert certificate.locale == "en" and certificate.course_title == "OKR Essentials"
    flat = " ".join(pdf_text(certificate.pdf, tmp_path).split())
    for english in ("THIS IS TO CERTIFY THAT", "HAS SUCCESSFULLY COMPLETED", "OKR Essentials",
                    "Issued 5 May 2025", "Valid until 5 May 2027", "Academy Director",
                    "Certificate of Completion"):
        assert english in flat, english


@pytest.mark.renders_pdf
def test_the_pdf_never_changes_when_the_learner_switches_language(
        speaking, db, client, login_as, make_user, course):
    learner, certificate = certified(db, make_user, course, "de")
    issued = certificate.pdf
    learner.locale = "fr"
    db.session.commit()
    login_as(learner)
    response = client.get(f"/certificates/{certificate.code}/certificate.pdf")
    assert response.status_code == 200 and response.data == issued
    badge = client.get(f"/certificates/{certificate.code}/badge.json").get_json()
    assert badge["credentialSubject"]["achievement"]["inLanguage"] == "de"


@pytest.mark.parametrize("design", ["classic", "modern"])
def test_both_designs_word_everything_in_the_certificates_language(speaking, app, tmp_path,
                                                                   design):
    facts = sample_facts(
        holder_name="Maximiliane Theodora Wilhelmine von Hohenzollern-B"[:50],
        course_title="Zertifizierung für Führungskräfte: Ziele und Schlüsselergebnisse in der "
                     "Unternehmenssteuerung",
        organisation_name="Beispiel GmbH", study_minutes=370, locale="de",
        wording="Abschlusszertifikat",
        signatory=academy_signatory(ROOT / "certificates").in_language("de"))
    pdf = CertificateRenderer(ROOT / "certificates").render(facts, design)
    flat = " ".join(pdf_text(pdf, tmp_path).split())
    assert "Etwa 6 Stunden Lernzeit" in flat and "15. Januar 2026" in flat
    assert "Hohenzollern-B" in flat and "Unternehmenssteuerung" in flat
    assert [word for word in ENGLISH if word in flat] == []


# --- the badge ----------------------------------------------------------------------------------

def test_the_open_badge_carries_the_certificates_language(speaking, db, client, login_as,
                                                          make_user, course):
    learner, certificate = certified(db, make_user, course, "de")
    badge = badge_of(client, login_as, learner, certificate)
    achievement = badge["credentialSubject"]["achievement"]
    assert achievement["inLanguage"] == "de"
    assert achievement["name"] == GERMAN_COURSE["title"]
    assert achievement["description"] == GERMAN_COURSE["summary"]
    assert achievement["criteria"]["narrative"].startswith("Hat alle Lektionen")
    assert achievement["resultDescription"][0]["name"] == "Abschlussprüfung"
    assert badge["name"] == f"Abschlusszertifikat: {GERMAN_COURSE['title']}"
    validator = jsonschema.Draft201909Validator(json.loads(SCHEMA.read_text()))
    assert [error.message for error in validator.iter_errors(badge)] == []


def test_an_untranslated_course_keeps_its_own_language_in_the_badge(speaking, db, client,
                                                                    login_as, make_user,
                                                                    course):
    learner, certificate = certified(db, make_user, course, "fr")  # no French course text
    assert certificate.locale == "fr" and certificate.course_title == "OKR Essentials"
    achievement = badge_of(client, login_as, learner, certificate)[
        "credentialSubject"]["achievement"]
    assert achievement["inLanguage"] == "en" and achievement["name"] == "OKR Essentials"
    assert achievement["criteria"]["narrative"].startswith("Completed every lesson")


# --- where it is issued -----------------------------------------------------------------------

def test_a_certificate_collected_on_a_german_page_is_german(speaking, db, browser, login_as,
                                                            make_user, course):
    from app import events
    from app.certificates.receivers import issue_after_exam

    learner = make_user(name="Uwe Claimant")
    events.final_exam_passed.disconnect(issue_after_exam)
    try:
        meet_rule(db, learner, course)
    finally:
        events.final_exam_passed.connect(issue_after_exam)
    login_as(learner)
    browser.client.set_cookie("lang", "de")
    response = browser.post(f"/certificates/claim/{course.slug}", token_from="/certificates")
    assert response.status_code in (302, 303)
    certificate = certificates.live_certificate(db.session, learner, course)
    assert certificate.locale == "de" and certificate.course_title == GERMAN_COURSE["title"]


# --- the verify page --------------------------------------------------------------------------

def test_the_verify_page_speaks_the_viewers_language_around_the_stated_facts(
        speaking, db, client, make_user, course):
    learner, certificate = certified(db, make_user, course, "de")
    html = client.get(f"/verify/{certificate.code}",
                      headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="fr"' in html and "Certificat valide" in html
    assert "Environ 25 minutes de formation." in html
    assert GERMAN_COURSE["title"] in html  # what the certificate states, as it states it
    assert f'<div lang="de"><p class="verify-certifies-text">{GERMAN_COURSE["achievement"]}' \
        in html
    api = client.get(f"/api/v1/certificates/{certificate.code}",
                     headers={"Accept-Language": "fr"})
    assert api.headers["Content-Language"] == "fr" and "Accept-Language" in api.headers["Vary"]
    assert api.get_json()["headline"] == "Certificat valide"
    assert api.get_json()["certificate"]["course_title"] == GERMAN_COURSE["title"]
    english = client.get(f"/verify/{certificate.code}",
                         headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Valid certificate" in english and "About 25 minutes of study." in english
