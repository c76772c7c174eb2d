"""Journey: a learner who forgot the password asks for a link on the login page, follows the
link in the mail, chooses a new password and lands logged in; the browser that was still logged
in with the old password is logged out."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.auth import services as accounts
from tests.e2e.scene import Account, log_in
from tests.mailbox import links_in, path_of, sent_mails

pytestmark = pytest.mark.browser

LEARNER = Account("river.song@northwind.example", "River Song")
NEW_PASSWORD = "Spoilers-Sweetie-2025!"


def mailed_link(live_server, to: str, path: str) -> str:
    """The newest link to `path` in the mails the server sent to `to` (its queued deliveries
    run first, as a consumer would run them)."""
    def read(session) -> list[str]:
        return [link for mail in sent_mails(live_server.app, to=to) for link in links_in(mail)]

    links = [link for link in live_server.call(read) if path in link]
    assert links, f"no mail to {to} with a {path} link"
    return path_of(links[-1])


def test_a_forgotten_password_is_reset_from_the_mailed_link(open_journey, live_server):
    def create(session) -> None:
        accounts.create_user(session, email=LEARNER.email, name=LEARNER.name,
                             password=LEARNER.password,
                             policy=accounts.PasswordPolicy.from_config(live_server.app.config))
        session.commit()

    live_server.call(create)
    old_browser = open_journey("reset-old-session")
    log_in(old_browser, LEARNER)

    journey = open_journey("reset-password")
    page = journey.page
    with journey.step("login page", expect="a 'Forgot password?' link beside the password"):
        page.goto("/login")
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    with journey.step("forgot password", expect="a form asking for the address"):
        page.get_by_role("link", name="Forgot password?").click()
        expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    with journey.step("ask for a link", expect="the login page saying a link was sent"):
        page.get_by_label("Email").fill(LEARNER.email)
        page.get_by_role("button", name="Send me a link").click()
        expect(page.get_by_role("status")).to_contain_text("If an account uses this address")
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    link = mailed_link(live_server, LEARNER.email, "/reset-password/")
    with journey.step("open the mailed link", expect="a form for the new password"):
        page.goto(link)
        expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    with journey.step("choose a new password", expect="the dashboard, logged in"):
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Repeat new password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set new password").click()
        expect(page.get_by_role("status")).to_contain_text("Your new password is set")
        expect(page.locator(".account-name")).to_have_text(LEARNER.name)
        expect(page).to_have_url(f"{live_server.url}/dashboard/learning")
    with journey.step("account page", expect="the address, its change and the mail preferences"):
        page.goto("/account")
        expect(page.get_by_role("heading", name="Email address")).to_be_visible()
        expect(page.get_by_label("New email address")).to_be_visible()
        expect(page.get_by_label("Reminders before a certificate expires")).to_be_checked()

    old_page = old_browser.page
    with old_browser.step("the old browser's next page", expect="the login page: logged out"):
        old_page.goto("/account")
        expect(old_page.get_by_role("heading", name="Log in")).to_be_visible()
        expect(old_page.locator(".account-name")).to_have_count(0)
    with old_browser.step("the old password", expect="refused"):
        old_page.get_by_label("Email").fill(LEARNER.email)
        old_page.get_by_label("Password", exact=True).fill(LEARNER.password)
        old_page.get_by_role("button", name="Log in").click()
        expect(old_page.locator("main")).to_contain_text("The email or password is not correct")
    log_in(old_browser, Account(LEARNER.email, LEARNER.name, NEW_PASSWORD))
    journey.finish()
    old_browser.finish()
