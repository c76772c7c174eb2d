"""Uploads are size-limited: a request over MAX_CONTENT_LENGTH gets a 413 that is a product page
with a sentence, never a 500 or a bare server error; the PDF check has its own, lower limit."""
from __future__ import annotations

import io

import pytest

from app.authoring import services as studio
from app.verify.forms import PDF_MAX_BYTES

LIMIT = 64 * 1024
TOO_LARGE = b"x" * (LIMIT + 1024)


@pytest.fixture
def small_limit(app):
    app.config["MAX_CONTENT_LENGTH"] = LIMIT


@pytest.fixture
def draft(db, world):
    studio.start_draft(db.session, world.trainer, world.course)
    db.session.commit()


def upload(name: str, data: bytes = TOO_LARGE) -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name


def assert_product_413(response) -> str:
    text = response.get_data(as_text=True)
    assert response.status_code == 413, (response.status_code, text[:300])
    assert response.mimetype == "text/html" and "OKR Academy" in text
    assert "too large" in text.lower() or "larger than" in text.lower(), text[:500]
    return text


def test_the_public_pdf_check_refuses_an_oversized_request(client, small_limit):
    assert_product_413(client.post("/verify", data={"pdf": upload("certificate.pdf")},
                                   content_type="multipart/form-data"))


def test_the_pdf_check_refuses_a_file_over_its_own_limit(browser):
    big_pdf = b"%PDF-1.7\n" + b"0" * PDF_MAX_BYTES
    response = browser.post("/verify", {"pdf": upload("certificate.pdf", big_pdf)},
                            token_from="/verify", content_type="multipart/form-data")
    assert_product_413(response)


def test_hr_bulk_check_refuses_an_oversized_request(client, login_as, world, small_limit):
    login_as(world.hr_a)
    assert_product_413(client.post("/hr/verify/bulk", data={"codes": upload("codes.csv")},
                                   content_type="multipart/form-data"))


@pytest.mark.parametrize("path, field, name", [
    ("/studio/{slug}/images", "image", "diagram.png"),
    ("/studio/{slug}/upload", "archive", "course.zip"),
    ("/studio/{slug}/edit/01-foundations/quiz.md", "gift", "questions.gift"),
])
def test_studio_uploads_refuse_an_oversized_request(client, login_as, world, draft, small_limit,
                                                    path, field, name):
    login_as(world.trainer)
    response = client.post(path.format(slug=world.course.slug), data={field: upload(name)},
                           content_type="multipart/form-data")
    assert_product_413(response)


def test_an_oversized_ordinary_form_is_refused_too(client, small_limit):
    response = client.post("/login", data={"email": "a@example.com", "password": "x" * LIMIT * 2})
    assert_product_413(response)
