"""The moment that matters for HR checking many certificates: upload a CSV, see on the page how
many rows got each verdict and every row's verdict, narrow the rows to one verdict, and download
the same results as a CSV without uploading the file again."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from app.certificates.status import revoke
from tests.e2e.scene import certified_learner, sign_in
from tests.e2e.support import DESKTOP, PHONE, Journey

pytestmark = pytest.mark.browser

UNKNOWN = "OKR-7K3M-Q9TB-X2HD-4FRW-9"


def mistyped(code: str) -> str:
    """The code as a person mistypes it: two neighbouring characters of its fourth group swapped
    (or, when they are all alike, the first one wrong)."""
    group = code[-6:-2]
    i = next((i for i in range(3) if group[i] != group[i + 1]), None)
    typo = (("0" if group[0] != "0" else "1") + group[1:] if i is None
            else group[:i] + group[i + 1] + group[i] + group[i + 2:])
    return code[:-6] + typo + code[-2:]


def test_hr_checks_a_file_of_codes_and_downloads_the_verdicts(open_journey, live_server,
                                                              tmp_path):
    valid = certified_learner(live_server, "Sasha Valid", "sasha.bulk@northwind.example",
                              tmp_path)
    withdrawn = certified_learner(live_server, "Morgan Revoked", "morgan.bulk@northwind.example",
                                  tmp_path)
    live_server.call(lambda session: (
        revoke(session, None, withdrawn.code, "Issued to the wrong person",
               datetime.now(UTC), "issued_in_error"), session.commit()))
    journey = open_journey("bulk", experience=True)
    upload = journey.scratch / "certificates-to-check.csv"
    upload.write_text("Employee,Certificate code\n"
                      f"Sasha Valid,{valid.code}\n"
                      f"Morgan Revoked,{withdrawn.code.lower()}\n"
                      f"Typo Person,{mistyped(valid.code)}\n"
                      f"Nobody Known,{UNKNOWN}\n", encoding="utf-8")

    sign_in(journey, live_server.hr)
    check_the_file(journey, upload)
    only_the_revoked_rows(journey, withdrawn.code)
    download_the_verdicts(journey, valid.code, withdrawn.code)
    rows_on_a_phone(journey)
    journey.finish()


def check_the_file(journey: Journey, upload) -> None:
    page = journey.page
    with journey.step("HR dashboard", expect="the organisation's learners"):
        page.goto("/hr/")
        expect(page.get_by_role("navigation", name="HR")).to_be_visible()
    with journey.step("bulk check page", expect="the upload form"):
        journey.click(page.get_by_role("navigation", name="HR").get_by_role(
            "link", name="Bulk check"))
        expect(page.get_by_role("heading", level=2, name="Upload a CSV of codes")).to_be_visible()
    with journey.step("check the file", expect="a count per verdict and a row per code"):
        with page.expect_file_chooser() as chooser:
            journey.click(page.get_by_label("CSV file of certificate codes"))
        chooser.value.set_files(upload)
        journey.click(page.get_by_role("button", name="Check the codes"))
        expect(page.get_by_role("heading", level=2, name="4 rows checked")).to_be_visible()
        counts = page.locator(".bulk-counts")
        for label, count in (("All rows", 4), ("Valid", 1), ("Revoked", 1),
                             ("Not found", 1), ("Mistyped", 1)):
            expect(counts.get_by_role("button", name=f"{count} {label}")).to_be_visible()
        rows = page.locator("table.bulk-table tbody tr")
        expect(rows.locator(".bulk-verdict")).to_have_text(
            ["Valid", "Revoked", "Mistyped", "Not found"])
        expect(rows.nth(0)).to_contain_text("Sasha Valid")
        expect(rows.nth(2)).to_contain_text("two neighbouring characters are swapped")
        # The results answer the upload at the upload page's address, which the journey has
        # already audited: audit the page with its results as well.
        if journey.audit is not None:
            journey.violations += journey.audit.violations(page)
    journey.record_clicks("HR bulk check")


def only_the_revoked_rows(journey: Journey, code: str) -> None:
    page = journey.page
    with journey.step("only the revoked rows", expect="the one revoked row, its reason shown"):
        journey.click(page.locator(".bulk-counts").get_by_role("button", name="1 Revoked"))
        expect(page.locator(".bulk-shown")).to_contain_text("1 row with the verdict “Revoked”")
        rows = page.locator("table.bulk-table tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(code.lower())
        expect(rows.first).to_contain_text("Issued in error")
        expect(page.get_by_role("button", name="1 Revoked")).to_have_attribute(
            "aria-pressed", "true")


def download_the_verdicts(journey: Journey, valid_code: str, revoked_code: str) -> None:
    page = journey.page
    with journey.step("download the CSV", expect="every row uploaded, each with its verdict"):
        with page.expect_download() as download_info:
            journey.click(page.get_by_role("button", name="Download CSV"))
        download = download_info.value
        assert download.suggested_filename.startswith("certificate-verdicts-")
        saved = journey.scratch / download.suggested_filename
        download.save_as(saved)
        journey.keep(saved)
        table = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
        assert table[0][:3] == ["Employee", "Certificate code", "verdict"]
        assert [(row[0], row[2], row[3]) for row in table[1:]] == [
            ("Sasha Valid", "valid", valid_code),
            ("Morgan Revoked", "revoked", revoked_code),
            ("Typo Person", "mistyped", ""),
            ("Nobody Known", "not_found", UNKNOWN)]


def rows_on_a_phone(journey: Journey) -> None:
    page = journey.page
    with journey.step("the rows on a phone", expect="each row a card, each value labelled"):
        page.set_viewport_size(PHONE)
        row = page.locator("table.bulk-table tbody tr").first
        row.scroll_into_view_if_needed()
        holder = row.locator('td[data-label="Holder"]')
        expect(holder).to_be_visible()
        assert holder.evaluate("td => getComputedStyle(td, '::before').content") == '"Holder"'
    page.set_viewport_size(DESKTOP)
