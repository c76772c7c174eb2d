"""The certificate an executive posts with pride: an administrator compares the certificate
templates with sample data, then anyone verifying a certified learner sees the certificate
pictured with what it certifies."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.scene import certified_learner, sign_in

pytestmark = pytest.mark.browser


def test_templates_are_previewed_and_a_valid_certificate_is_pictured(open_journey, live_server,
                                                                      tmp_path):
    admin = open_journey("design-admin", experience=True)
    sign_in(admin, live_server.admin)
    page = admin.page
    with admin.step("certificate templates", expect="both designs pictured with sample data"):
        page.goto("/admin/certificates/templates")
        expect(page.get_by_role("heading", name="Certificate templates")).to_be_visible()
        for name in ("classic", "modern"):
            picture = f"#template-{name} img.design-sample"
            expect(page.locator(picture)).to_have_attribute(
                "alt", f"Sample certificate in the {name} design, marked SAMPLE")
            drawn(page, picture)

    story = certified_learner(live_server, "Maximiliane Alexandra von Hohenzollern-Sigmaringen",
                              "maximiliane.design@northwind.example", tmp_path)
    visitor = open_journey("design-verify", experience=True)
    page = visitor.page
    with visitor.step("public verify page", expect="the certificate pictured, and what it "
                                                    "certifies"):
        page.goto(f"/verify/{story.code}")
        expect(page.locator("section.verdict-valid")).to_be_visible()
        expect(page.locator(".verify-certifies")).to_contain_text("What it certifies")
        drawn(page, ".verify-picture img")
    admin.finish()
    visitor.finish()


def drawn(page, selector: str) -> None:
    """Wait until the picture has loaded (the server draws it from a PDF on first request)."""
    page.wait_for_function(
        "selector => { const img = document.querySelector(selector);"
        " return img && img.complete && img.naturalWidth > 0; }", arg=selector, timeout=30_000)
