"""Object-level access: attempts, certificates and their downloads, HR data and studio drafts
are reachable only by the people they belong to (or the roles that manage them)."""
from __future__ import annotations

import pytest

from app.models import Certificate, QuizAttempt

CERTIFICATE_PATHS = ("/certificates/{code}", "/certificates/{code}/certificate.pdf",
                     "/certificates/{code}/preview.png", "/certificates/{code}/badge.json",
                     "/certificates/{code}/badge.jwt")
STUDIO_PATHS = ("/studio/", "/studio/new", "/studio/{slug}", "/studio/{slug}/history",
                "/studio/{slug}/download", "/studio/{slug}/download?source=published",
                "/studio/{slug}/edit/course.md", "/studio/{slug}/images",
                "/studio/{slug}/assets/okr-cycle.svg", "/studio/{slug}/publish")
HR_PATHS = ("/hr/", "/hr/export.csv", "/hr/learners/{learner}", "/hr/organisation",
            "/hr/verify/bulk")
ADMIN_PATHS = ("/admin/users", "/admin/users/{learner}", "/admin/organisations", "/admin/audit",
               "/admin/certificates")


def statuses(client, paths, **values) -> dict[str, int]:
    return {path.format(**values): client.get(path.format(**values)).status_code
            for path in paths}


# --- quiz attempts ----------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["learner_b", "hr_a", "trainer", "admin"])
def test_another_persons_attempt_is_not_found(client, login_as, world, who):
    login_as(getattr(world, who))
    for attempt in (world.open_attempt, world.attempt_a):
        for path in (f"/attempts/{attempt.id}", f"/attempts/{attempt.id}/result"):
            assert client.get(path).status_code == 404, path


def test_a_colleague_cannot_open_an_attempt_in_progress(client, login_as, world):
    login_as(world.learner_a)
    assert client.get(f"/attempts/{world.open_attempt.id}").status_code == 404
    login_as(world.newcomer_a)
    assert client.get(f"/attempts/{world.open_attempt.id}").status_code == 200


def test_another_persons_open_attempt_cannot_be_saved_or_submitted(db, browser, login_as, world):
    login_as(world.learner_b)
    attempt = world.open_attempt
    for action in ("save", "submit"):
        response = browser.post(f"/attempts/{attempt.id}/{action}", {"answer-x": "1"},
                                token_from="/account")
        assert response.status_code == 404, action
    db.session.expire_all()
    stored = db.session.get(QuizAttempt, attempt.id)
    assert stored.status == "open" and not stored.answers


# --- certificates and their downloads ---------------------------------------------------------

@pytest.mark.parametrize("who", ["learner_b", "newcomer_a", "hr_a", "trainer"])
def test_another_persons_certificate_and_downloads_are_not_found(client, login_as, world, who):
    login_as(getattr(world, who))
    found = statuses(client, CERTIFICATE_PATHS, code=world.certificate_a.code)
    assert set(found.values()) == {404}, found


def test_the_holder_and_admins_open_the_certificate_and_downloads(client, login_as, world):
    for user in (world.learner_a, world.admin):
        login_as(user)
        found = statuses(client, CERTIFICATE_PATHS[:2] + CERTIFICATE_PATHS[3:],
                         code=world.certificate_a.code)
        assert set(found.values()) == {200}, (user.name, found)


def test_certificates_need_an_account(client, world):
    for path in CERTIFICATE_PATHS:
        response = client.get(path.format(code=world.certificate_a.code))
        assert response.status_code == 302 and "/login" in response.location, path


def test_only_admins_change_a_certificate_status(db, browser, login_as, world):
    for user in (world.learner_a, world.hr_a, world.trainer):
        login_as(user)
        response = browser.post(f"/admin/certificates/{world.certificate_a.code}/status",
                                {"action": "revoke", "reason": "not mine to revoke"},
                                token_from="/account")
        assert response.status_code == 403, user.name
    db.session.expire_all()
    assert db.session.get(Certificate, world.certificate_a.id).status == "active"


def test_nobody_collects_a_certificate_they_did_not_earn(browser, login_as, world):
    login_as(world.newcomer_a)
    response = browser.post(f"/certificates/claim/{world.course.slug}", {}, token_from="/account")
    assert response.status_code == 404


# --- HR data across organisations -------------------------------------------------------------

def test_hr_sees_only_their_own_organisation(client, login_as, world):
    login_as(world.hr_a)
    dashboard = client.get("/hr/").get_data(as_text=True)
    export = client.get("/hr/export.csv").get_data(as_text=True)
    members = client.get("/hr/organisation").get_data(as_text=True)
    for page in (dashboard, export):
        assert world.learner_a.name in page and world.certificate_a.code in page
        assert world.learner_b.name not in page and world.certificate_b.code not in page
        assert world.learner_b.email not in page
    assert world.learner_a.email in members and world.learner_b.email not in members


def test_hr_cannot_open_a_learner_of_another_organisation(client, login_as, world):
    login_as(world.hr_a)
    assert client.get(f"/hr/learners/{world.learner_a.id}").status_code == 200
    for outsider in (world.learner_b, world.hr_b, world.trainer, world.admin):
        assert client.get(f"/hr/learners/{outsider.id}").status_code == 404, outsider.name
    assert client.get("/hr/learners/999999").status_code == 404


def test_hr_pages_are_for_hr(client, login_as, world):
    for user in (world.learner_a, world.trainer):
        login_as(user)
        found = statuses(client, HR_PATHS, learner=world.learner_a.id)
        assert set(found.values()) == {403}, (user.name, found)


def test_hr_renews_only_their_own_invitation(db, browser, login_as, world):
    before = world.hr_b.organisation.invite_token
    login_as(world.hr_a)
    assert browser.post("/hr/organisation/invite", {}, token_from="/hr/organisation"
                        ).status_code == 302
    db.session.expire_all()
    assert world.hr_b.organisation.invite_token == before


# --- studio drafts and administration ---------------------------------------------------------

def test_the_studio_is_for_trainers(client, browser, login_as, world):
    login_as(world.trainer)
    assert browser.post(f"/studio/{world.course.slug}/draft", {},
                        token_from=f"/studio/{world.course.slug}").status_code == 302
    for user in (world.learner_a, world.hr_a):
        login_as(user)
        found = statuses(client, STUDIO_PATHS, slug=world.course.slug)
        assert set(found.values()) == {403}, (user.name, found)
        response = browser.post(f"/studio/{world.course.slug}/preview/course.md",
                                {"text": "# draft"}, token_from="/account")
        assert response.status_code == 403


def test_the_studio_needs_an_account(client, world):
    for path in STUDIO_PATHS:
        response = client.get(path.format(slug=world.course.slug))
        assert response.status_code == 302 and "/login" in response.location, path


def test_quiz_statistics_are_for_trainers(client, login_as, world):
    path = f"/courses/{world.course.slug}/quiz/foundations/stats"
    login_as(world.learner_a)
    assert client.get(path).status_code == 403
    login_as(world.trainer)
    assert client.get(path).status_code == 200


def test_administration_is_for_admins(client, login_as, world):
    for user in (world.learner_a, world.hr_a, world.trainer):
        login_as(user)
        found = statuses(client, ADMIN_PATHS, learner=world.learner_b.id)
        assert set(found.values()) == {403}, (user.name, found)
