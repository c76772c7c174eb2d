"""Files handed in with capstone work are checked by their content, not their name."""
from __future__ import annotations

import io
import zipfile

import pytest

from app.capstones.errors import InvalidSubmission
from app.capstones.files import MAX_FILE_BYTES, check_file
from tests.capstone_fixtures import PDF, office_file


@pytest.mark.parametrize(("name", "data", "content_type"), [
    ("plan.pdf", PDF, "application/pdf"),
    ("Plan Final.DOCX", office_file("word/document.xml"),
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("deck.pptx", office_file("ppt/presentation.xml"),
     "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("okrs.xlsx", office_file("xl/workbook.xml"),
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
], ids=["pdf", "docx", "pptx", "xlsx"])
def test_documents_of_the_four_kinds_are_accepted(name, data, content_type):
    checked = check_file(name, data)
    assert checked.content_type == content_type and checked.data == data
    assert "/" not in checked.filename and " " not in checked.filename


def encrypted_docx() -> bytes:
    data = bytearray(office_file("word/document.xml"))
    # set the "encrypted" flag of every local and central header, as a password-protected zip has
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset] |= 0x1
            start += 4
    return bytes(data)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("notes.txt", b"hello", "only PDF, DOCX, PPTX and XLSX"),
    ("payload.exe", b"MZ", "only PDF, DOCX, PPTX and XLSX"),
    ("plan.pdf", b"", "is empty"),
    ("plan.pdf", b"<html><script>alert(1)</script>", "is not a PDF"),
    ("plan.docx", PDF, "is not a Word document"),
    ("plan.docx", office_file("xl/workbook.xml"), "is not a Word document"),
    ("deck.pptx", b"PK\x03\x04broken", "is not a PowerPoint document"),
    ("plan.docx", office_file("word/document.xml", macros=True), "contains macros"),
    ("plan.docx", encrypted_docx(), "is encrypted"),
    ("plan.pdf", b"%PDF-" + b"0" * MAX_FILE_BYTES, "larger than 10 MB"),
], ids=["text", "exe", "empty", "html-as-pdf", "pdf-as-docx", "xlsx-as-docx", "broken-zip",
        "macros", "encrypted", "too-large"])
def test_anything_else_is_refused_with_a_reason(name, data, message):
    with pytest.raises(InvalidSubmission, match=message):
        check_file(name, data)


def test_a_package_of_many_parts_is_refused_without_reading_them():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<d/>")
        for n in range(5001):
            package.writestr(f"word/media/{n}.bin", b"")
    with pytest.raises(InvalidSubmission, match="is not a Word document"):
        check_file("many.docx", buffer.getvalue())
