"""The moments that matter around access: registering with the password rules in view, each
role landing on its own home, and the main menu on a phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.scene import COURSE_SLUG, Account, certified_learner, log_in
from tests.e2e.support import PHONE, Journey

pytestmark = pytest.mark.browser

NEWCOMER = Account("jordan.reyes@access.example", "Jordan Reyes")
COURSE_TITLE = "OKR Essentials"


def audit_this_state(journey: Journey) -> None:
    """Audit the page as it is now, at both widths: the journey audits each URL once, and this
    state (a refused form, an open menu) shares its URL with one already audited."""
    if journey.audit is None:
        return
    journey.violations += journey.audit.violations(journey.page)
    desktop = journey.page.viewport_size
    journey.page.set_viewport_size(PHONE)
    try:
        journey.violations += journey.audit.violations(journey.page)
    finally:
        journey.page.set_viewport_size(desktop)


def rule(page, key: str):
    return page.locator(f'.password-rules li[data-rule="{key}"]')


def test_a_newcomer_registers_from_a_course_to_its_first_lesson(open_journey):
    journey = open_journey("access-register", experience=True)
    page = journey.page
    with journey.step("course page", expect="the course, offering to register"):
        page.goto(f"/courses/{COURSE_SLUG}")
        expect(page.get_by_role("heading", level=1)).to_have_text(COURSE_TITLE)
    with journey.step("registration form", expect="the password rules listed before typing"):
        journey.click(page.locator("main").get_by_role("link", name="Register"))
        expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
        expect(page.locator(".password-rules li")).to_have_count(5)
        expect(page.locator(".password-rules li.is-met")).to_have_count(0)
    with journey.step("type a weak password", expect="the rules it meets ticked as it is typed"):
        page.get_by_label("Full name").fill(NEWCOMER.name)
        page.get_by_label("Work email").fill(NEWCOMER.email)
        page.get_by_label("Password", exact=True).fill("reyes2024")
        expect(rule(page, "name")).not_to_have_class("is-met")  # "reyes" is part of the name
        expect(rule(page, "length")).not_to_have_class("is-met")
        expect(rule(page, "email")).to_have_class("is-met")
        page.get_by_label("Password", exact=True).press_sequentially("!")
        expect(rule(page, "length")).to_have_class("is-met")
        expect(rule(page, "mix")).to_have_class("is-met")
    with journey.step("submit the weak password",
                      expect="every broken rule named, name and email kept, passwords cleared"):
        page.get_by_label("Repeat password").fill("reyes2024!")
        journey.click(page.get_by_role("button", name="Create account"))
        expect(page.locator("#password-error")).to_have_text(
            "Do not use your name in the password.")
        expect(rule(page, "name")).to_have_class("is-unmet")
        expect(page.get_by_label("Full name")).to_have_value(NEWCOMER.name)
        expect(page.get_by_label("Work email")).to_have_value(NEWCOMER.email)
        expect(page.get_by_label("Password", exact=True)).to_have_value("")
        expect(page.get_by_label("Repeat password")).to_have_value("")
        audit_this_state(journey)
    with journey.step("submit a good password", expect="the login page: the account is ready"):
        page.get_by_label("Password", exact=True).fill(NEWCOMER.password)
        expect(page.locator(".password-rules li.is-met")).to_have_count(5)
        page.get_by_label("Repeat password").fill(NEWCOMER.password)
        journey.click(page.get_by_role("button", name="Create account"))
        expect(page.get_by_role("status")).to_contain_text("your account is ready")
    with journey.step("log in", expect="back on the course page the newcomer came from"):
        page.get_by_label("Email").fill(NEWCOMER.email)
        page.get_by_label("Password", exact=True).fill(NEWCOMER.password)
        journey.click(page.get_by_role("button", name="Log in"))
        expect(page.get_by_role("button", name="Enrol in this course")).to_be_visible()
    with journey.step("enrol", expect="a button to start the course"):
        journey.click(page.get_by_role("button", name="Enrol in this course"))
        expect(page.get_by_role("status")).to_contain_text(f"You are enrolled in {COURSE_TITLE}")
    with journey.step("first lesson", expect="the course's first lesson"):
        journey.click(page.get_by_role("link", name="Start the course"))
        expect(page.locator(".lesson-complete")).to_be_visible()
    assert journey.record_clicks("register to first lesson") == 6
    journey.finish()


def test_each_role_lands_on_its_own_home(open_journey, live_server):
    journey = open_journey("access-role-homes", experience=True)
    page = journey.page
    homes = [(live_server.hr, "/hr/", "HR"), (live_server.trainer, "/studio/", "Studio"),
             (live_server.admin, "/admin/users", "Admin")]
    for account, path, nav_label in homes:
        log_in(journey, account)
        with journey.step(f"home of {account.name}", expect=f"{path}, its menu item current"):
            expect(page).to_have_url(f"{live_server.url}{path}")
            nav = page.get_by_role("navigation", name="Main")
            expect(nav.get_by_role("link", name=nav_label)).to_have_attribute(
                "aria-current", "page")
            expect(nav.get_by_role("link", name="My learning")).to_be_visible()
        with journey.step(f"{account.name} logs out", expect="the home page, logged out"):
            page.get_by_role("button", name="Log out").click()
            expect(page.get_by_role("status")).to_contain_text("You are logged out")
    journey.finish()


def test_the_menu_collapses_on_a_phone_and_tables_become_cards(open_journey, live_server,
                                                               chromium, tmp_path):
    certificate = certified_learner(live_server, "Casey Cards", "casey.cards@access.example",
                                    tmp_path)
    journey = open_journey("access-phone", experience=True)
    page = journey.page
    page.set_viewport_size(PHONE)
    log_in(journey, live_server.admin)
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    with journey.step("collapsed menu", expect="one header row, the menu behind its button"):
        page.goto(f"/admin/certificates?q={certificate.code}")
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(nav).to_be_hidden()
        assert page.locator(".site-header").bounding_box()["height"] <= 64
    with journey.step("open the menu", expect="every menu item and the account links"):
        journey.click(menu)
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(nav.get_by_role("link", name="My learning")).to_be_visible()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        audit_this_state(journey)
    with journey.step("close the menu", expect="the menu collapsed again"):
        journey.click(menu)
        expect(nav).to_be_hidden()
        journey.click(menu)
        page.keyboard.press("Escape")
        expect(nav).to_be_hidden()
        expect(menu).to_be_focused()
    with journey.step("certificates as cards", expect="Revoke on screen, nothing to scroll"):
        revoke = page.get_by_role("link", name=f"Revoke… {certificate.code}")
        expect(revoke).to_be_visible()
        box = revoke.bounding_box()
        assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # An admin's menu does not fit one row of a small laptop either: it stays behind the button.
    page.set_viewport_size({"width": 1024, "height": 768})
    expect(menu).to_be_visible()
    assert page.locator(".site-header").bounding_box()["height"] <= 64
    page.set_viewport_size({"width": 1366, "height": 768})
    expect(nav.get_by_role("link", name="Admin")).to_be_visible()
    expect(menu).to_be_hidden()
    journey.finish()

    without_script = chromium.new_context(base_url=live_server.url, viewport=PHONE,
                                          java_script_enabled=False)
    try:
        page = without_script.new_page()
        page.goto("/")
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        expect(page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Courses")).to_be_visible()
    finally:
        without_script.close()
