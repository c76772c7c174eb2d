"""HR invites people by mail: the report, the personal link, joining, statuses, and abuse."""
from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from app.auth import services as auth_services
from app.courses import services as course_services
from app.hr import invitations
from app.models import AuditEvent, Invitation, Notification
from tests.conftest import CsrfClient, log_in
from tests.factories import import_example_course, meet_rule, statements_run
from tests.mailbox import links_in, path_of, sent_mails, text_of
from tests.hr_fixtures import org, other_org  # noqa: F401  (fixtures)

NOW = datetime.now(UTC)
NEW_PASSWORD = "Quite-Secret-Pass-91"


@pytest.fixture
def hr(login_as, org):
    return login_as("hr", org=org, name="Harriet HR")


def invite(browser, text: str = "", **data):
    return browser.post("/hr/invitations", {"addresses": text, **data})


def join_path(app, address: str) -> str:
    """The path of the link in the last invitation mailed to `address`."""
    mails = [m for m in sent_mails(app, to=address) if "invites you" in m["Subject"]]
    assert mails, f"no invitation mailed to {address}"
    return path_of(next(link for link in links_in(mails[-1]) if "/join/" in link))


def invitation_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Invitation))


def statuses(db, org) -> dict[str, str]:
    return {row.email: row.status
            for row in invitations.invitation_rows(db.session, org, datetime.now(UTC))}


# --- inviting ----------------------------------------------------------------------------------

def test_valid_new_addresses_are_invited_and_the_rest_reported(app, db, browser, hr, org,
                                                               make_user):
    make_user(org=org, email="member@acme.example", name="Mo Member")
    response = invite(browser, "Nina New <Nina@Example.com>\nnot-an-address; member@acme.example")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "nina@example.com" in html and "not-an-address" in html
    assert "already a member" in html and "member@acme.example" in html
    assert invitation_count(db) == 1

    mails = sent_mails(app)
    invitations_mailed = [m for m in mails if "invites you" in m["Subject"]]
    assert [m["To"] for m in invitations_mailed] == ["nina@example.com"]
    body = text_of(invitations_mailed[0])
    assert "Acme Corp" in body and "Harriet HR" in body and "30 days" in body
    assert "List-Unsubscribe" not in invitations_mailed[0]  # an invitation is essential
    audits = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "organisation.invitations")).all()
    assert len(audits) == 1 and audits[0].details["invited"] == 1
    assert audits[0].details["invalid"] == 1 and audits[0].details["members"] == 1


def test_a_new_person_registers_through_the_link_verified_and_in_the_organisation(
        app, db, browser, hr, org):
    invite(browser, "nina@example.com")
    path = join_path(app, "nina@example.com")
    visitor = CsrfClient(app.test_client())
    page = visitor.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Join Acme Corp" in html
    assert 'value="nina@example.com" readonly' in html  # shown, not a field of the form

    response = visitor.post(path, {"name": "Nina New", "password": NEW_PASSWORD,
                                   "confirm": NEW_PASSWORD, "email": "someone@else.example"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    nina = auth_services.find_user_by_email(db.session, "nina@example.com")
    assert nina is not None and nina.organisation_id == org.id and nina.email_verified
    assert auth_services.find_user_by_email(db.session, "someone@else.example") is None
    assert statuses(db, org) == {"nina@example.com": "joined"}
    # registration logs nobody in: the dashboard still asks to log in
    assert visitor.get("/dashboard").status_code == 302

    course = import_example_course(db)
    course_services.enroll(db.session, nina, course, NOW)
    db.session.commit()
    assert statuses(db, org) == {"nina@example.com": "started"}
    meet_rule(db, nina, course, NOW)
    assert statuses(db, org) == {"nina@example.com": "certified"}
    html = browser.get("/hr/invitations").get_data(as_text=True)
    assert "Certified" in html and "Nina New" in html

    # the link again: the account exists now, so it asks to log in and comes back
    again = app.test_client().get(path)
    assert again.status_code == 302 and "/login?next=" in again.headers["Location"]


def test_a_weak_password_is_refused_and_nothing_is_written(app, db, browser, hr, org):
    invite(browser, "nina@example.com")
    path = join_path(app, "nina@example.com")
    visitor = CsrfClient(app.test_client())
    response = visitor.post(path, {"name": "Nina New", "password": "short", "confirm": "short"})
    assert response.status_code == 400
    assert auth_services.find_user_by_email(db.session, "nina@example.com") is None
    assert statuses(db, org) == {"nina@example.com": "invited"}


def test_someone_with_an_account_logs_in_and_joins(app, db, browser, hr, org, other_org,
                                                    make_user):
    olga = make_user(org=other_org, email="olga@example.com", name="Olga Other")
    invite(browser, "olga@example.com")
    path = join_path(app, "olga@example.com")
    visitor = app.test_client()
    response = visitor.get(path)
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"] and "join" in response.headers["Location"]

    log_in(visitor, olga)
    joined = visitor.get(path)
    assert joined.status_code == 302 and joined.headers["Location"].endswith("/dashboard")
    db.session.refresh(olga)
    assert olga.organisation_id == org.id
    assert statuses(db, org) == {"olga@example.com": "joined"}
    assert "Welcome to Acme Corp" in visitor.get("/dashboard", follow_redirects=True).get_data(as_text=True)
    # following it again changes nothing and says so
    assert visitor.get(path).status_code == 302
    assert "already a member" in visitor.get("/dashboard", follow_redirects=True).get_data(as_text=True)


def test_logged_in_as_someone_else_the_invitation_is_not_accepted(app, db, browser, hr, org,
                                                                  make_user):
    invite(browser, "nina@example.com")
    path = join_path(app, "nina@example.com")
    intruder = make_user(email="ivan@example.com")
    visitor = app.test_client()
    log_in(visitor, intruder)
    response = visitor.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This invitation is for nina@example.com" in html and "log out" in html
    db.session.refresh(intruder)
    assert intruder.organisation_id is None
    assert statuses(db, org) == {"nina@example.com": "invited"}


def test_another_organisations_hr_neither_sees_nor_accepts(app, db, browser, hr, org, other_org,
                                                          make_user):
    invite(browser, "nina@example.com")
    path = join_path(app, "nina@example.com")
    globex_hr = make_user("hr", org=other_org, email="gina@globex.example")
    rival = CsrfClient(app.test_client())
    log_in(rival, globex_hr)
    page = rival.get("/hr/invitations").get_data(as_text=True)
    assert "nina@example.com" not in page and "Nobody has been invited" in page
    assert "This invitation is for" in rival.get(path).get_data(as_text=True)
    db.session.refresh(globex_hr)
    assert globex_hr.organisation_id == other_org.id
    # re-inviting the same address from Globex is Globex's own invitation, not Acme's
    rival.post("/hr/invitations", {"addresses": "nina@example.com"})
    assert invitation_count(db) == 2
    assert statuses(db, org) == {"nina@example.com": "invited"}
    assert statuses(db, other_org) == {"nina@example.com": "invited"}


# --- the link under attack ---------------------------------------------------------------------

def test_a_forged_or_tampered_link_is_a_400(app, browser, hr):
    invite(browser, "nina@example.com")
    path = join_path(app, "nina@example.com")
    client = app.test_client()
    assert client.get("/join/not-a-token").status_code == 400
    forged = URLSafeTimedSerializer("another-secret", salt="invitation").dumps([1, "nina@example.com"])
    assert client.get(f"/join/{forged}").status_code == 400
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert client.get(tampered).status_code == 400
    wrong_salt = URLSafeTimedSerializer(app.secret_key, salt="other").dumps([1, "nina@example.com"])
    assert client.get(f"/join/{wrong_salt}").status_code == 400
    odd_payload = URLSafeTimedSerializer(app.secret_key, salt="invitation").dumps({"id": 1})
    assert client.get(f"/join/{odd_payload}").status_code == 400


class _SignedLongAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 31 * 24 * 3600


def test_an_expired_link_is_a_400_and_a_fresh_one_works(app, db, browser, hr):
    invite(browser, "nina@example.com")
    invitation = db.session.scalar(select(Invitation))
    old = URLSafeTimedSerializer(app.secret_key, salt="invitation", signer=_SignedLongAgo).dumps(
        [invitation.id, invitation.email])
    response = app.test_client().get(f"/join/{old}")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    fresh = invitations.invitation_token(app.secret_key, invitation)
    assert app.test_client().get(f"/join/{fresh}").status_code == 200
    with pytest.raises(invitations.InvitationError):
        invitations.read_invitation_token(app.secret_key, fresh, NOW + timedelta(days=31))


def test_the_link_of_a_deleted_organisation_is_a_404(app, db, browser, hr, org):
    invite(browser, "nina@example.com")
    path = join_path(app, "nina@example.com")
    db.session.delete(org)  # its members stay, without an organisation
    db.session.commit()
    assert app.test_client().get(path).status_code == 404


# --- limits, CSV, resending --------------------------------------------------------------------

def test_more_than_500_addresses_is_a_400_and_writes_nothing(app, db, browser, hr):
    addresses = "\n".join(f"person{n}@example.com" for n in range(501))
    response = invite(browser, addresses)
    assert response.status_code == 400
    assert "at most 500" in response.get_data(as_text=True)
    assert invitation_count(db) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "organisation.invitations")) == 0
    assert sent_mails(app) == []


def test_a_csv_upload_invites_its_email_column(app, db, browser, hr):
    data = "name;Email;team\nAnn Lee;ann@example.com;Ops\nBo Chen;bo@example.com;Sales\n;;\n"
    response = browser.post("/hr/invitations", {
        "addresses": "", "csv_file": (io.BytesIO(data.encode("utf-8")), "people.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 200
    assert invitation_count(db) == 2
    assert {m["To"] for m in sent_mails(app)} == {"ann@example.com", "bo@example.com"}


def test_a_csv_of_more_than_500_rows_is_a_400(app, db, browser, hr):
    data = "\n".join(f"p{n}@example.com" for n in range(502)).encode()
    response = browser.post("/hr/invitations", {"csv_file": (io.BytesIO(data), "many.csv")},
                            content_type="multipart/form-data")
    assert response.status_code == 400 and invitation_count(db) == 0


def test_an_empty_submission_is_a_400(browser, hr):
    assert invite(browser, " \n ; ").status_code == 400


def test_inviting_again_within_24_hours_sends_nothing_new(app, db, browser, hr):
    invite(browser, "nina@example.com")
    again = invite(browser, "Nina <nina@example.com>")
    assert "not mailed again" in again.get_data(as_text=True)
    assert len(sent_mails(app, to="nina@example.com")) == 1 and invitation_count(db) == 1


def test_inviting_again_a_day_later_mails_again(app, db, browser, hr, org):
    first = invitations.invite(db.session, org, hr, ["nina@example.com"], NOW - timedelta(hours=25))
    db.session.commit()
    assert first.invited == ["nina@example.com"]
    again = invite(browser, "nina@example.com")
    assert "invited again" in again.get_data(as_text=True)
    assert invitation_count(db) == 1
    assert len(sent_mails(app, to="nina@example.com")) == 2


def test_an_accepted_invitation_mails_nothing(app, db, org, make_user):
    hr = make_user("hr", org=org)
    invitations.invite(db.session, org, hr, ["nina@example.com"], NOW)
    invitation = db.session.scalar(select(Invitation))
    nina = make_user(email="nina@example.com")
    invitations.accept(db.session, invitation, nina, NOW)
    db.session.commit()
    assert sent_mails(app, to="nina@example.com") == []  # accepted before the mail was written


def test_the_address_list_is_read_like_a_mail_client_would():
    entries = invitations.split_addresses(
        '"Lee, Ann" <ann@example.com>, bo@example.com;\r\n mailto:cy@example.com\n\n;,')
    assert entries == ['"Lee, Ann" <ann@example.com>', "bo@example.com", "mailto:cy@example.com"]
    assert [invitations.address_of(e) for e in entries] == [
        "ann@example.com", "bo@example.com", "cy@example.com"]
    assert invitations.address_of("a@localhost") is None
    assert invitations.address_of("x" * 300 + "@example.com") is None


def test_statuses_take_a_fixed_number_of_queries(db, org, make_user):
    hr = make_user("hr", org=org)

    def count(n: int) -> int:
        invitations.invite(db.session, org, hr, [f"p{n}-{i}@example.com" for i in range(n)], NOW)
        db.session.commit()
        db.session.refresh(org)
        return len(statements_run(db, lambda: invitations.invitation_rows(db.session, org, NOW)))

    one, many = count(1), count(20)
    assert one == many == 3, (one, many)


def test_learners_cannot_open_the_invitations_page(client, login_as, org):
    login_as("learner", org=org)
    assert client.get("/hr/invitations").status_code == 403


def test_a_registered_invitee_can_log_in(app, db, browser, hr, org):
    invite(browser, "nina@example.com")
    path = join_path(app, "nina@example.com")
    visitor = CsrfClient(app.test_client())
    visitor.post(path, {"name": "Nina New", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    response = visitor.post("/login", {"email": "nina@example.com", "password": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
