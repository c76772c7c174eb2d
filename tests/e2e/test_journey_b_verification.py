"""Journey (b): HR verifies the learner's certificate by its code and by its PDF; an admin
revokes it; HR then sees it as revoked, by code and by PDF."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.scene import Story, certified_learner, log_in
from tests.e2e.support import Journey, finish

pytestmark = pytest.mark.browser

#: the administrator's internal note, and the reason verification shows instead
REVOCATION_NOTE = "The final exam was taken by someone else (case 4411)."
PUBLIC_REASON = "The integrity of the assessment could not be confirmed."


def test_hr_verifies_a_certificate_and_sees_it_revoked(open_journey, live_server, story,
                                                       tmp_path):
    certificate = story if story.code else certified_learner(
        live_server, "Robin Holder", "robin.holder@northwind.example", tmp_path)
    hr = open_journey("b-hr")
    log_in(hr, live_server.hr)
    see_the_learner_certified(hr, certificate)
    verify_by_code(hr, certificate, expected="valid")
    verify_by_pdf(hr, certificate, expected="valid")

    admin = open_journey("b-admin")
    log_in(admin, live_server.admin)
    revoke(admin, certificate.code)

    verify_by_code(hr, certificate, expected="revoked")
    verify_by_pdf(hr, certificate, expected="revoked")
    finish(hr, admin)


def see_the_learner_certified(journey: Journey, certificate: Story) -> None:
    page = journey.page
    with journey.step("HR dashboard", expect=f"{certificate.learner.name} listed with a valid "
                                             "certificate"):
        page.get_by_role("navigation", name="Main").get_by_role("link", name="HR").click()
        row = page.locator("table.hr-table tbody tr").filter(has_text=certificate.learner.name)
        expect(row.locator(".cert-state")).to_have_text("Valid")
        expect(row.locator(".cert-code")).to_have_text(certificate.code)
    with journey.step("HR learner page", expect="the learner's course and certificate"):
        row.get_by_role("link", name=certificate.learner.name).click()
        expect(page.locator("main")).to_contain_text(certificate.code)


def verify_by_code(journey: Journey, certificate: Story, *, expected: str) -> None:
    page = journey.page
    with journey.step(f"verify form ({expected})", expect="the public verification form"):
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Verify").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Verify a certificate")
    with journey.step(f"verify by code ({expected})",
                      expect=f"the certificate's page saying {expected!r}, with the holder"):
        # Typed the way people type: lower case, spaces instead of dashes.
        typed = certificate.code.lower().replace("-", " ")
        page.get_by_role("textbox", name="Certificate code").fill(typed)
        page.get_by_role("button", name="Verify", exact=True).click()
        expect(page).to_have_url(re.compile(rf"/verify/{re.escape(certificate.code)}$"))
        expect(page.locator(f"section.verdict-{expected}")).to_be_visible()
        expect(page.locator(".verify-holder")).to_have_text(certificate.learner.name)
        if expected == "revoked":
            expect(page.locator(".verify-facts")).to_contain_text(PUBLIC_REASON)
            expect(page.locator("main")).not_to_contain_text("4411")


def verify_by_pdf(journey: Journey, certificate: Story, *, expected: str) -> None:
    page = journey.page
    with journey.step(f"verify form for the PDF ({expected})", expect="the PDF upload field"):
        page.get_by_role("link", name="Verify a certificate").click()
        expect(page.get_by_label("Certificate PDF")).to_be_visible()
    with journey.step(f"upload the PDF ({expected})",
                      expect=f"the document's checks passed and the verdict {expected!r}"):
        page.get_by_label("Certificate PDF").set_input_files(certificate.pdf)
        page.get_by_role("button", name="Check the PDF").click()
        expect(page.locator(f"section.verdict-{expected}")).to_be_visible()
        # The file itself is intact either way; only the current status can fail.
        failed = page.locator(".check-list .check-fail")
        if expected == "valid":
            expect(failed).to_have_count(0)
            expect(page.locator(".check-list .check-pass")).to_have_count(5)
        else:
            expect(failed).to_have_count(1)
            expect(failed).to_contain_text("Current status")
            expect(page.locator(".check-list .check-pass")).to_have_count(4)
        expect(page.locator(".verify-holder")).to_have_text(certificate.learner.name)


def revoke(journey: Journey, code: str) -> None:
    page = journey.page
    # An attribute selector: the check symbol may be a character a CSS #id cannot take (=, *).
    row = page.locator(f'[id="cert-{code}"]')
    with journey.step("administration", expect="the administration pages"):
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
        expect(page.get_by_role("navigation", name="Administration")).to_be_visible()
    with journey.step("admin certificates", expect="the list of certificates"):
        page.get_by_role("navigation", name="Administration").get_by_role(
            "link", name="Certificates").click()
        expect(page.locator("table.cert-table")).to_be_visible()
    with journey.step("find the certificate", expect="the certificate found by its code"):
        page.get_by_label("Search by code, holder, email or course").fill(code)
        page.get_by_role("button", name="Search").click()
        expect(row).to_be_visible()
    with journey.step("revoke", expect="a confirmation page naming the certificate"):
        row.get_by_role("link", name="Revoke…").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(code)
    with journey.step("confirm", expect="the certificate revoked with the note kept"):
        page.get_by_label("Internal note").fill(REVOCATION_NOTE)
        page.get_by_label("Reason shown on verification").select_option(label=PUBLIC_REASON)
        page.get_by_role("button", name=f"Revoke {code}").click()
        expect(page.get_by_role("status")).to_contain_text(f"Certificate {code} is now revoked")
        expect(row).to_contain_text(REVOCATION_NOTE)
