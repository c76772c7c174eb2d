"""Verification in the reader's language: the verdict's sentences are translated where they are
shown (page, API, bulk check), its machine fields never; names stay text in every language; and a
refusal keeps its status whatever the language of its sentence."""
from __future__ import annotations

import io
import re
from html import unescape as html_unescape
from datetime import UTC, datetime, timedelta

import pytest

from app.certificates import services as certificates
from app.certificates.payload import CertificatePayload
from app.i18n import LANGUAGE_COOKIE
from app.templating import when
from app.verify.verdict import reader_date
from tests.factories import import_example_course, meet_rule
from tests.i18n_support import PSEUDO_LOCALE, serve_catalogues, unmarked_lines, write_catalogue

#: a few German entries, enough to tell a translated answer from an English one
GERMAN = {
    "Valid certificate": "Gültiges Zertifikat",
    "%(holder)s's certificate for %(course)s is genuine and valid.":
        "Das Zertifikat von %(holder)s für %(course)s ist echt und gültig.",
    "%(holder)s's certificate for %(course)s is genuine and valid until %(date)s.":
        "Das Zertifikat von %(holder)s für %(course)s ist echt und bis zum %(date)s gültig.",
    "This code looks mistyped: a character is wrong, or two neighbouring characters are "
    "swapped. Please compare it with the certificate again.":
        "Dieser Code scheint vertippt zu sein: Ein Zeichen ist falsch oder zwei benachbarte "
        "Zeichen sind vertauscht. Bitte vergleichen Sie ihn noch einmal mit dem Zertifikat.",
    "This file is larger than 5 MB; a certificate PDF is far smaller. Please upload the PDF as "
    "you received it.":
        "Diese Datei ist größer als 5 MB; ein Zertifikats-PDF ist viel kleiner. Bitte laden Sie "
        "das PDF so hoch, wie Sie es erhalten haben.",
    "This file is larger than 4 MB. Please split it: up to 10,000 codes per upload.":
        "Diese Datei ist größer als 4 MB. Bitte teilen Sie sie auf: höchstens 10.000 Codes pro "
        "Upload.",
    "One certificate code per row, up to %(most)s rows. Other columns (names, employee "
    "numbers) may stay; we find the column of codes ourselves.":
        "Ein Zertifikatscode pro Zeile, bis zu %(most)s Zeilen. Andere Spalten (Namen, "
        "Personalnummern) dürfen bleiben; die Spalte mit den Codes finden wir selbst.",
    "Valid": "Gültig",
}


@pytest.fixture
def german(app, tmp_path):
    """A small German catalogue in place of the shipped ones, for this test only."""
    write_catalogue(tmp_path / "translations", "de", GERMAN)
    yield from serve_catalogues(app, tmp_path / "translations")


def certificate_of(db, user):
    course = import_example_course(db)
    meet_rule(db, user, course, datetime.now(UTC) - timedelta(days=1))
    return certificates.live_certificate(db.session, user, course)


def test_the_certificate_page_answers_in_the_readers_language(german, client, db, make_user):
    certificate = certificate_of(db, make_user(name="Grace Hopper"))
    client.set_cookie(LANGUAGE_COOKIE, "de")
    html = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "Gültiges Zertifikat" in html
    assert "Das Zertifikat von Grace Hopper für" in html and "echt und" in html
    assert "certificate for" not in html


def test_the_api_translates_its_sentences_but_never_its_machine_fields(german, client, db,
                                                                        make_user):
    certificate = certificate_of(db, make_user(name="Grace Hopper"))
    url = f"/api/v1/certificates/{certificate.code}"
    german_answer = client.get(url, headers={"Accept-Language": "de"}).get_json()
    english_answer = client.get(url).get_json()
    assert german_answer["headline"] == "Gültiges Zertifikat"
    assert german_answer["summary"].startswith("Das Zertifikat von Grace Hopper für")
    assert english_answer["summary"].startswith("Grace Hopper's certificate for")
    for machine_field in ("verdict", "valid", "code", "certificate", "record"):
        assert german_answer[machine_field] == english_answer[machine_field]
    assert german_answer["verdict"] == "valid"


def test_a_name_in_a_sentence_is_text_on_the_page_and_as_it_is_in_json(client, db, make_user):
    name = "<b>Ann O'Neil</b> & Co"
    certificate = certificate_of(db, make_user(name=name))
    html = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "<b>Ann" not in html and "&lt;b&gt;Ann O&#39;Neil&lt;/b&gt; &amp; Co" in html
    summary = client.get(f"/api/v1/certificates/{certificate.code}").get_json()["summary"]
    assert summary.startswith(f"{name}'s certificate for")


def test_a_typed_character_in_a_refusal_is_text(client):
    response = client.get("/verify", query_string={"code": "OKR-<B>X-Q9TB-X2HD-4FRW-9"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "this one contains &lt; &gt;" in html


def test_a_mistyped_code_is_explained_in_the_readers_language(german, client, db, make_user):
    code = certificate_of(db, make_user()).code
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    client.set_cookie(LANGUAGE_COOKIE, "de")
    response = client.get("/verify", query_string={"code": typo})
    assert response.status_code == 400
    assert "Dieser Code scheint vertippt zu sein" in response.get_data(as_text=True)


def test_a_pdf_over_the_limit_is_a_413_in_any_language(german, browser):
    browser.client.set_cookie(LANGUAGE_COOKIE, "de")
    response = browser.post("/verify", {"pdf": (io.BytesIO(b"%PDF-" + b"0" * (6 * 1024 * 1024)),
                                                "big.pdf")},
                            token_from="/verify", content_type="multipart/form-data")
    assert response.status_code == 413
    assert "größer als 5 MB" in response.get_data(as_text=True)


def test_a_csv_over_the_limit_is_a_413_in_any_language(german, browser, login_as, make_org):
    login_as("hr", org=make_org("Acme Corp"))
    browser.client.set_cookie(LANGUAGE_COOKIE, "de")
    response = browser.post("/hr/verify/bulk",
                            {"codes": (io.BytesIO(b"code\n" + b"x" * (5 * 1024 * 1024)),
                                       "codes.csv")},
                            token_from="/hr/verify/bulk", content_type="multipart/form-data")
    assert response.status_code == 413
    assert "größer als 4 MB" in response.get_data(as_text=True)


def test_the_bulk_check_writes_numbers_and_labels_in_german_and_keeps_the_csv_machine_readable(
        german, browser, db, login_as, make_org, make_user):
    code = certificate_of(db, make_user(name="Grace Hopper")).code
    login_as("hr", org=make_org("Acme Corp"))
    browser.client.set_cookie(LANGUAGE_COOKIE, "de")
    assert "bis zu 10.000 Zeilen" in browser.client.get("/hr/verify/bulk").get_data(as_text=True)
    page = browser.post("/hr/verify/bulk", {"codes": (io.BytesIO(f"code\n{code}\n".encode()),
                                                      "codes.csv")},
                        token_from="/hr/verify/bulk", content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<span class="bulk-count-label">Gültig</span>' in html
    token = html.split('name="results" value="', 1)[1].split('"', 1)[0]
    download = browser.post("/hr/verify/bulk/results.csv", {"results": token},
                            token_from="/hr/verify/bulk")
    rows = download.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert rows[0].split(",")[:2] == ["code", "verdict"]
    assert rows[1].split(",")[1] == "valid"


# --- every word marked: the pseudo-locale -----------------------------------------------------

def page_data(app, certificate, *moments) -> tuple[str, ...]:
    """What a verification page shows as it is: names, codes, the issuer, and dates and times
    (the pseudo-locale's own month names)."""
    with app.test_request_context(headers={"Accept-Language": PSEUDO_LOCALE}):
        written = [when(moment, style) for moment in moments
                   for style in ("date", "short_date", "datetime", "time")
                   if moment is not None and (style in ("date", "short_date")
                                              or isinstance(moment, datetime))]
        written += [str(reader_date(moment)) for moment in moments if moment is not None]
    stated = CertificatePayload.from_json(certificate.payload)
    return (certificate.holder_name, certificate.course_title, certificate.code,
            certificate.key_id, stated.issuer, app.config["ISSUER_NAME"],
            *sorted(written, key=len, reverse=True))


def test_every_word_of_a_certificates_page_is_marked(pseudo_app, client, db, make_user):
    certificate = certificate_of(db, make_user(name="Grace Hopper"))
    response = client.get(f"/verify/{certificate.code}", headers={"Accept-Language": "eo"})
    html = response.get_data(as_text=True)
    stated = CertificatePayload.from_json(certificate.payload)
    data = page_data(pseudo_app, certificate, stated.issued_on, stated.expires_on,
                     datetime.now(UTC))
    assert response.status_code == 200
    # the technical details show the signed record as it is: JSON keys and values
    # what the course certifies is the course's own text (data), as is the signed record
    page = html.split('<main', 1)[1].split('>', 1)[1].split('<details class="verify-technical">', 1)[0]
    certifies = re.search(r'<p class="verify-certifies-text">(.*?)</p>', page, re.S).group(1)
    assert unmarked_lines(page, (*data, html_unescape(certifies))) == []


@pytest.mark.parametrize("typed", ["OKR-7K3M-Q9TB-X2HD-4FRW-9", "banana", "OKR-<B>"])
def test_every_word_of_a_refusal_is_marked(pseudo_app, client, typed):
    response = client.get("/verify", query_string={"code": typed},
                          headers={"Accept-Language": PSEUDO_LOCALE})
    if response.status_code in (301, 302, 303, 308):
        response = client.get(response.headers["Location"], headers={"Accept-Language": "eo"})
    assert response.status_code in (400, 404)
    assert unmarked_lines(response.get_data(as_text=True), (typed, "OKR-7K3M-Q9TB-X2HD-4FRW-9",
                                                            "OKR")) == []


def test_every_word_of_the_bulk_results_is_marked(pseudo_app, browser, db, login_as, make_org,
                                                  make_user):
    certificate = certificate_of(db, make_user(name="Grace Hopper"))
    login_as("hr", org=make_org("Acme Corp"))
    rows = f"Name,Code\nGrace Hopper,{certificate.code}\nNobody,banana\n"
    browser.client.get("/hr/verify/bulk", headers={"Accept-Language": PSEUDO_LOCALE})
    browser.client.set_cookie(LANGUAGE_COOKIE, PSEUDO_LOCALE)
    response = browser.post("/hr/verify/bulk", {"codes": (io.BytesIO(rows.encode()), "c.csv")},
                            token_from="/hr/verify/bulk", content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    stated = CertificatePayload.from_json(certificate.payload)
    data = page_data(pseudo_app, certificate, stated.issued_on, stated.expires_on,
                     datetime.now(UTC))
    # the cells uploaded, the words of the CSV's machine-readable verdicts, the menus of others
    content = html.split('<main', 1)[1].split('>', 1)[1].split('</main>', 1)[0]
    content = re.sub(r'<nav class="subnav.*?</nav>', "", content, flags=re.S)
    assert unmarked_lines(content, (*data, "Name", "Code", "Nobody", "banana", "CSV", "UTF",
                                   "valid", "expired", "suspended", "revoked", "not_found",
                                   "mistyped", "malformed", "tampered", "Excel", "LibreOffice",
                                   "Google Sheets")) == []
