"""Experience: an admin looks after a learner from the learner's account page (enrolments,
certificates, a suspension confirmed on the certificate's page and back), then finds the
certificate in the list by the holder's name; a learner reads one duration for a course, the
same in the catalogue and on the course page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.scene import COURSE_SLUG, Account, certified_learner, new_learner, sign_in
from tests.e2e.support import Journey, finish

pytestmark = pytest.mark.browser

HOLDER = "Priya Ramanathan"
SUSPENSION_NOTE = "The employer asked us to check the exam sitting (case 5120)."
DURATION = re.compile(r"about \d+ (h|min)[^·]*")


def test_an_admin_suspends_a_certificate_from_the_holders_account(open_journey, live_server,
                                                                  tmp_path):
    certificate = certified_learner(live_server, HOLDER, "priya.ramanathan@northwind.example",
                                    tmp_path)
    admin = open_journey("admin-account-page", experience=True)
    sign_in(admin, live_server.admin)
    open_the_account(admin, certificate.learner)
    suspend_from_the_account(admin, certificate.code)
    search_the_certificates(admin, certificate.code)
    finish(admin)


def test_a_learner_reads_one_duration_for_a_course(open_journey, live_server):
    account = Account("tomas.duration@northwind.example", "Tomás Duration")
    live_server.call(lambda session: new_learner(live_server, session, account))
    learner = open_journey("admin-course-duration", experience=True)
    sign_in(learner, account)
    page = learner.page
    with learner.step("catalogue", expect="the course card with its duration"):
        page.goto("/courses")
        card = page.locator(".course-card").filter(
            has=page.locator(f'a[href="/courses/{COURSE_SLUG}"]'))
        in_catalogue = DURATION.search(card.locator(".course-facts").inner_text()).group(0)
    with learner.step("course page", expect="the same duration as the catalogue"):
        learner.click(card.get_by_role("link").first)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        on_the_page = DURATION.search(page.locator(".course-header .course-facts")
                                      .inner_text()).group(0)
    assert on_the_page.strip() == in_catalogue.strip()
    finish(learner)


def open_the_account(journey: Journey, holder: Account) -> None:
    page = journey.page
    with journey.step("users", expect="the accounts, searchable"):
        page.goto("/admin/users")
        expect(page.get_by_label("Search by name or email")).to_be_visible()
    with journey.step("search the accounts", expect="the holder's account found"):
        page.get_by_label("Search by name or email").fill(holder.email)
        journey.click(page.get_by_role("button", name="Search"))
        expect(page.get_by_role("link", name=holder.name)).to_be_visible()
    with journey.step("account page", expect="the learner's enrolments and certificates"):
        journey.click(page.get_by_role("link", name=holder.name))
        expect(page.get_by_role("heading", level=1)).to_have_text(holder.name)
        enrolments = page.get_by_role("region", name="Enrolments")
        expect(enrolments).to_contain_text("OKR Essentials")
        expect(enrolments).to_contain_text("lessons (100%)")
        certificates = page.get_by_role("region", name="Certificates")
        expect(certificates.locator(".cert-state")).to_have_text("Valid")


def suspend_from_the_account(journey: Journey, code: str) -> None:
    page = journey.page
    account_url = page.url
    row = page.get_by_role("region", name="Certificates").locator("tr").filter(has_text=code)
    with journey.step("confirm the suspension", expect="a confirmation page naming the code"):
        journey.click(row.get_by_role("link", name="Suspend…"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(code)
    with journey.step("suspended, back on the account",
                      expect="the account page again, the certificate suspended with its note"):
        page.get_by_label("Internal note").fill(SUSPENSION_NOTE)
        journey.click(page.get_by_role("button", name=f"Suspend {code}"))
        expect(page).to_have_url(account_url)
        expect(page.locator(".flashes")).to_contain_text(f"Certificate {code} is now suspended")
        expect(row.locator(".cert-state")).to_have_text("Suspended")
        expect(row).to_contain_text(SUSPENSION_NOTE)
        expect(row.get_by_role("link", name="Lift suspension…")).to_be_visible()
    journey.record_clicks("suspend a certificate from the holder's account")


def search_the_certificates(journey: Journey, code: str) -> None:
    page = journey.page
    with journey.step("certificate list", expect="the certificates, the Certificates tab current"):
        journey.click(page.get_by_role("navigation", name="Administration")
                      .get_by_role("link", name="Certificates"))
        expect(page.get_by_role("navigation", name="Administration")
               .locator('[aria-current="page"]')).to_have_text("Certificates")
        expect(page.get_by_role("navigation", name="Main")
               .locator('[aria-current="page"]')).to_have_text("Admin")
    with journey.step("search by the holder's name", expect="the holder's certificate found"):
        page.get_by_label("Search by code, holder, email or course").fill(HOLDER.split()[1])
        journey.click(page.get_by_role("button", name="Search"))
        row = page.locator(f'[id="cert-{code}"]')
        expect(row).to_contain_text(HOLDER)
        expect(row.locator(".cert-state")).to_have_text("Suspended")
        expect(page.locator("main")).to_contain_text("matching “Ramanathan”")
