"""A course is edited in the studio by its maintainers and admins only.

Every studio route of a course (any `authoring.*` endpoint with a `slug`) answers a trainer who
does not maintain the course with 403 and changes nothing; its maintainers and admins get in.
Admins assign and remove maintainers (audited); the importer's courses have none, so they are
for admins until someone is assigned; a trainer who creates a course maintains it.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.auth import services as accounts
from app.authoring import services as studio
from app.models import AuditEvent, Course, CourseMaintainer
from tests.factories import EXAMPLE_COURSE, import_example_course

SLUG = "example-course"
LESSON = "01-foundations/01-origins.md"
NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
#: routes only admins pass, even for a maintainer: assigning maintainers
ADMIN_ONLY = {"authoring.add_maintainer", "authoring.remove_maintainer"}


def studio_course_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL) of every studio route of the example course, GET and POST."""
    urls = app.url_map.bind("localhost")
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("authoring.") or "slug" not in rule.arguments:
            continue
        values = {"slug": SLUG, "path": "okr-cycle.svg" if rule.endpoint == "authoring.draft_asset"
                  else LESSON}
        url = urls.build(rule.endpoint, {name: values[name] for name in rule.arguments})
        routes += [(rule.endpoint, method, url) for method in ("GET", "POST")
                   if method in rule.methods]
    return sorted(routes)


@pytest.fixture
def course(db) -> Course:
    return import_example_course(db)


@pytest.fixture
def maintainer(db, make_user, course):
    user = make_user("trainer", name="Mina Maintainer")
    studio.add_maintainer(db.session, None, course, user.email, NOW)
    db.session.commit()
    return user


@pytest.fixture
def draft(db, course, maintainer):
    draft = studio.start_draft(db.session, maintainer, course, EXAMPLE_COURSE.parent)
    db.session.commit()
    return draft


def post_data(draft, email: str) -> dict:
    """A form each studio action would accept from someone allowed: what an attacker sends."""
    return {"path": LESSON, "title": "Taken over", "slug": "taken-over", "module": "01-foundations",
            "minutes": "5", "step": "1", "text": "# Taken over\n", "confirm": "y",
            "confirm_slug_change": "y", "revision": str(draft.revision), "email": email}


def audit_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_the_walk_covers_every_studio_route_of_a_course(app):
    routes = studio_course_routes(app)
    endpoints = {endpoint for endpoint, _, _ in routes}
    assert len(endpoints) >= 20, endpoints
    assert {"authoring.course", "authoring.publish", "authoring.discard_draft",
            "authoring.edit_file", "authoring.download", "authoring.history"} | ADMIN_ONLY \
        <= endpoints
    assert {method for _, method, _ in routes} == {"GET", "POST"}


def test_a_trainer_who_does_not_maintain_the_course_gets_403_on_every_route(
        app, db, client, browser, login_as, draft, maintainer):
    outsider = login_as("trainer")
    files, revision, events = dict(draft.files), draft.revision, audit_count(db)
    token = browser.token("/studio/")
    found = {}
    for endpoint, method, url in studio_course_routes(app):
        response = client.get(url) if method == "GET" else client.post(
            url, data={**post_data(draft, outsider.email), "csrf_token": token})
        found[f"{method} {url}"] = response.status_code
    assert set(found.values()) == {403}, {k: v for k, v in found.items() if v != 403}
    db.session.expire_all()
    current = studio.find_draft(db.session, draft.course)
    assert current is not None and current.revision == revision and current.files == files
    assert audit_count(db) == events
    assert not studio.is_maintainer(db.session, outsider, draft.course)


def test_a_maintainer_gets_in_on_every_route_but_assigning(app, client, browser, login_as, draft,
                                                          maintainer, make_user):
    login_as(maintainer)
    found = {}
    for endpoint, method, url in studio_course_routes(app):
        if method == "GET":
            found[(endpoint, method)] = client.get(url).status_code
    assert 403 not in found.values(), found
    assert found[("authoring.course", "GET")] == found[("authoring.edit_file", "GET")] == 200
    token = browser.token("/studio/")
    other = make_user("trainer")
    for endpoint, method, url in studio_course_routes(app):
        if method == "POST":
            response = client.post(url, data={**post_data(draft, other.email), "csrf_token": token})
            found[(endpoint, method)] = response.status_code
    refused = {key for key, status in found.items() if status == 403}
    assert refused == {(endpoint, "POST") for endpoint in ADMIN_ONLY}, found
    assert max(found.values()) < 500, found


def test_an_admin_gets_in_on_every_route(app, client, browser, login_as, draft, make_user):
    login_as("admin")
    token = browser.token("/studio/")
    other = make_user("trainer")
    found = {}
    for endpoint, method, url in studio_course_routes(app):
        response = client.get(url) if method == "GET" else client.post(
            url, data={**post_data(draft, other.email), "csrf_token": token})
        found[f"{method} {url}"] = response.status_code
    assert 403 not in found.values() and max(found.values()) < 500, found


def test_the_importers_courses_are_for_admins_until_someone_is_assigned(
        db, client, browser, login_as, course, make_user):
    trainer = make_user("trainer", name="Tariq Trainer")
    login_as(trainer)
    assert client.get(f"/studio/{SLUG}").status_code == 403
    assert "OKR Essentials" not in client.get("/studio/").get_data(as_text=True)
    admin = login_as("admin")
    page = client.get(f"/studio/{SLUG}").get_data(as_text=True)
    assert "No maintainer" in page and "OKR Essentials" in client.get("/studio/").get_data(
        as_text=True)
    response = browser.post(f"/studio/{SLUG}/maintainers", {"email": trainer.email.upper()},
                            token_from=f"/studio/{SLUG}")
    assert response.status_code == 302
    assert "Tariq Trainer" in client.get(f"/studio/{SLUG}").get_data(as_text=True)
    login_as(trainer)
    assert client.get(f"/studio/{SLUG}").status_code == 200
    assert "OKR Essentials" in client.get("/studio/").get_data(as_text=True)
    login_as(admin)
    response = browser.post(f"/studio/{SLUG}/maintainers/remove", {"email": trainer.email},
                            token_from=f"/studio/{SLUG}")
    assert response.status_code == 302
    login_as(trainer)
    assert client.get(f"/studio/{SLUG}").status_code == 403
    trail = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.like("studio.maintainer.%")).order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_id, e.target_type, e.target_id, e.details["email"])
            for e in trail] == [
        ("studio.maintainer.add", admin.id, "course", str(course.id), trainer.email),
        ("studio.maintainer.remove", admin.id, "course", str(course.id), trainer.email)]


def test_the_course_history_shows_who_assigned_whom(db, client, login_as, course, maintainer):
    login_as("admin")
    history = client.get(f"/studio/{SLUG}/history").get_data(as_text=True)
    assert f"{maintainer.email} maintains {SLUG}" in history


def test_only_admins_assign_maintainers(db, client, browser, login_as, course, maintainer,
                                        make_user):
    other = make_user("trainer")
    login_as(maintainer)
    response = browser.post(f"/studio/{SLUG}/maintainers", {"email": other.email},
                            token_from=f"/studio/{SLUG}")
    assert response.status_code == 403
    response = browser.post(f"/studio/{SLUG}/maintainers/remove", {"email": maintainer.email},
                            token_from=f"/studio/{SLUG}")
    assert response.status_code == 403
    assert [row.user for row in studio.course_maintainers(db.session, course)] == [maintainer]
    with pytest.raises(studio.NotAllowed):
        studio.add_maintainer(db.session, maintainer, course, other.email, NOW)


@pytest.mark.parametrize("who, status, message", [
    ("learner", 422, "is not a trainer"), ("hr", 422, "is not a trainer"),
    ("nobody", 422, "No account has the email"), ("maintainer", 409, "already"),
])
def test_a_maintainer_is_a_trainer_and_is_assigned_once(db, client, browser, login_as, course,
                                                        maintainer, make_user, who, status,
                                                        message):
    email = {"nobody": "nobody@example.com", "maintainer": maintainer.email}.get(who) or \
        (make_user(who).email if who in ("learner", "hr") else None)
    login_as("admin")
    events = audit_count(db)
    response = browser.post(f"/studio/{SLUG}/maintainers", {"email": email},
                            token_from=f"/studio/{SLUG}", follow_redirects=True)
    assert message in response.get_data(as_text=True)
    with pytest.raises(studio.StudioError) as refused:
        studio.add_maintainer(db.session, None, course, email, NOW)
    assert refused.value.status_code == status
    db.session.rollback()
    assert [row.user for row in studio.course_maintainers(db.session, course)] == [maintainer]
    assert audit_count(db) == events


def test_bad_assignment_forms_are_4xx(client, browser, login_as, course):
    login_as("admin")
    for path, data in ((f"/studio/{SLUG}/maintainers", {"email": ""}),
                       (f"/studio/{SLUG}/maintainers", {"email": "x" * 400}),
                       (f"/studio/{SLUG}/maintainers/remove", {}),
                       (f"/studio/{SLUG}/maintainers/remove", {"email": "nobody@example.com"}),
                       ("/studio/no-such-course/maintainers", {"email": "a@example.com"})):
        status = browser.post(path, data, token_from=f"/studio/{SLUG}").status_code
        assert 400 <= status < 500 or status == 303, (path, data, status)


def test_creating_a_course_makes_the_creator_its_maintainer(db, client, browser, login_as,
                                                            make_user):
    creator = login_as("trainer")
    response = browser.post("/studio/new", {"title": "OKR for sales", "slug": "okr-for-sales"},
                            token_from="/studio/new")
    assert response.status_code == 302
    course = studio.find_course(db.session, "okr-for-sales")
    rows = studio.course_maintainers(db.session, course)
    assert [(row.user_id, row.added_by_id) for row in rows] == [(creator.id, creator.id)]
    assert client.get("/studio/okr-for-sales").status_code == 200
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "studio.maintainer.add", AuditEvent.target_id == str(course.id)))
    login_as("trainer")
    assert client.get("/studio/okr-for-sales").status_code == 403
    assert "OKR for sales" not in client.get("/studio/").get_data(as_text=True)


def test_an_admin_who_creates_a_course_is_not_made_a_maintainer(db, browser, login_as):
    login_as("admin")
    browser.post("/studio/new", {"title": "Admin course", "slug": "admin-course"},
                 token_from="/studio/new")
    course = studio.find_course(db.session, "admin-course")
    assert course is not None and studio.course_maintainers(db.session, course) == []


def test_a_maintainer_who_is_no_longer_a_trainer_is_shut_out(db, client, login_as, course,
                                                            maintainer, make_user):
    login_as(maintainer)
    assert client.get(f"/studio/{SLUG}").status_code == 200
    accounts.set_roles(db.session, make_user("admin"), maintainer, set())
    db.session.commit()
    assert client.get(f"/studio/{SLUG}").status_code == 403
    assert not studio.may_edit(db.session, maintainer, course)
    assert studio.is_maintainer(db.session, maintainer, course)


def test_the_command_line_lists_adds_and_removes_maintainers(db, runner, course, make_user):
    trainer = make_user("trainer", name="Casey Cli")
    listed = runner.invoke(args=["courses", "maintainers", SLUG])
    assert listed.exit_code == 0 and "no maintainer" in listed.output
    added = runner.invoke(args=["courses", "maintainers", SLUG, "--add", trainer.email])
    assert added.exit_code == 0, added.output
    assert trainer.email in added.output and "Casey Cli" in added.output
    assert db.session.scalar(select(CourseMaintainer.added_by_id)) is None
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "studio.maintainer.add"))
    assert event.actor_id is None and event.details["email"] == trainer.email
    for args in (["--add", trainer.email], ["--add", make_user().email],
                 ["--remove", "nobody@example.com"]):
        refused = runner.invoke(args=["courses", "maintainers", SLUG, *args])
        assert refused.exit_code != 0 and "Error" in refused.output, args
    unknown = runner.invoke(args=["courses", "maintainers", "no-such-course"])
    assert unknown.exit_code != 0
    removed = runner.invoke(args=["courses", "maintainers", SLUG, "--remove", trainer.email])
    assert removed.exit_code == 0 and "no maintainer" in removed.output
    assert db.session.scalar(select(func.count()).select_from(CourseMaintainer)) == 0
