"""Revocation keeps the administrator's note private, is confirmed on a page naming the
certificate, and a revoked or suspended certificate is never handed out as a clean document.

Before: the admin's reason ("Exam taken by someone else (investigation #4411)") was published
word for word on the public verify page and API, revoking was one click, and the holder's page
still offered the PDF and the badges.
"""
from __future__ import annotations

import pytest

from app.certificates import services as certificates
from app.models import Certificate
from tests.factories import import_example_course, meet_rule

NOTE = "Exam taken by someone else (investigation #4411)"


@pytest.fixture
def certificate(db, make_user):
    course = import_example_course(db)
    holder = make_user(name="Dana Holder")
    meet_rule(db, holder, course)
    return certificates.live_certificate(db.session, holder, course)


@pytest.fixture
def admin_browser(browser, login_as):
    login_as("admin")
    return browser


def confirm(browser, certificate, action="revoke", **fields):
    url = f"/admin/certificates/{certificate.code}/status"
    return browser.post(url, {"action": action, "reason": NOTE,
                              "confirm_code": certificate.code, **fields},
                        token_from=f"{url}?action={action}")


def public_pages(client, code) -> str:
    return client.get(f"/verify/{code}").get_data(as_text=True) + \
        client.get(f"/api/v1/certificates/{code}").get_data(as_text=True)


@pytest.mark.parametrize("public_reason, shown", [
    ("", "No reason was given."),
    ("assessment_integrity", "The integrity of the assessment could not be confirmed."),
])
def test_the_internal_note_never_reaches_the_public(app, db, admin_browser, certificate,
                                                    public_reason, shown):
    response = confirm(admin_browser, certificate, public_reason=public_reason)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status == "revoked"
    anonymous = app.test_client()
    text = public_pages(anonymous, certificate.code)
    assert "4411" not in text and "someone else" not in text
    html = anonymous.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert shown.replace("'", "&#39;") in html


def test_a_public_reason_outside_the_list_is_refused(db, admin_browser, certificate):
    response = confirm(admin_browser, certificate, public_reason="Cheated, see #4411")
    assert response.status_code == 400
    assert db.session.get(Certificate, certificate.id).status == "active"
    with pytest.raises(certificates.StatusChangeRefused, match="from the list"):
        certificates.revoke(db.session, None, certificate.code, NOTE,
                            certificate.issued_at, "Cheated")


def test_revoking_takes_a_confirmation_that_names_the_certificate(db, admin_browser,
                                                                  certificate, make_user):
    url = f"/admin/certificates/{certificate.code}/status"
    one_click = admin_browser.post(url, {"action": "revoke", "reason": NOTE},
                                   token_from=f"{url}?action=revoke")
    assert one_click.status_code == 400
    other_code = "OKR-7K3M-Q9TB-X2HD-4FRW-9"
    wrong = admin_browser.post(url, {"action": "revoke", "reason": NOTE,
                                     "confirm_code": other_code},
                               token_from=f"{url}?action=revoke")
    assert wrong.status_code == 400
    assert db.session.get(Certificate, certificate.id).status == "active"
    page = admin_browser.get(f"{url}?action=revoke").get_data(as_text=True)
    assert certificate.code in page and "Dana Holder" in page and "Revoking is final" in page


@pytest.mark.parametrize("action, status", [("revoke", 410), ("suspend", 409)])
def test_the_holder_gets_no_clean_document(db, client, login_as, certificate, action, status):
    change = certificates.revoke if action == "revoke" else certificates.suspend
    change(db.session, None, certificate.code, NOTE, certificate.issued_at, "under_review"
           if action == "suspend" else "issued_in_error")
    db.session.commit()
    login_as(certificate.user)
    for suffix in ("certificate.pdf", "badge.json", "badge.jwt", "preview.png"):
        response = client.get(f"/certificates/{certificate.code}/{suffix}")
        assert response.status_code == status, suffix
        assert b"%PDF" not in response.data[:8] and b"OpenBadgeCredential" not in response.data
    page = client.get(f"/certificates/{certificate.code}").get_data(as_text=True)
    assert "Download PDF" not in page and "4411" not in page
    assert ("revoked" if action == "revoke" else "suspended") in page


def test_a_lifted_suspension_offers_the_document_again(db, client, login_as, certificate):
    certificates.suspend(db.session, None, certificate.code, NOTE, certificate.issued_at)
    certificates.unsuspend(db.session, None, certificate.code, certificate.issued_at)
    db.session.commit()
    login_as(certificate.user)
    assert client.get(f"/certificates/{certificate.code}/badge.json").status_code == 200
