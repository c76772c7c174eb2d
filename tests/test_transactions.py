"""One transaction per request: a success commits once, a refusal keeps nothing, a lost race is
a 409, and the answers to refused requests and wrong methods."""
from __future__ import annotations

import pytest
from flask import Response, flash, stream_with_context
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app import transactions
from app.auth import services
from app.extensions import csrf
from app.models import Organisation


def organisation_count(db) -> int:
    return db.session.scalar(select(func.count(Organisation.id)))


@pytest.fixture
def commits(db):
    """The number of commits made since the fixture was set up (reset it with `.clear()`)."""
    made: list[int] = []

    def count(_session) -> None:
        made.append(1)
    event.listen(Session, "after_commit", count)
    yield made
    event.remove(Session, "after_commit", count)


@pytest.fixture
def routes(app, db):
    """Views that write, then succeed, refuse or collide, registered on a fresh app."""
    def add_organisation(name: str) -> None:
        db.session.add(Organisation(name=name, slug=name.lower(), invite_token=name))

    @app.route("/test/write", methods=["GET", "POST"])
    @csrf.exempt
    def write():
        add_organisation("Written")
        db.session.flush()
        return "written"

    @app.route("/test/refuse", methods=["GET", "POST"])
    @app.route("/api/test/refuse", methods=["POST"])
    @csrf.exempt
    def refuse():
        add_organisation("Refused")
        db.session.flush()  # the row reached the database before the rule said no
        raise services.AccountError("That is not allowed for this account.")

    @app.route("/test/collide", methods=["POST"])
    @app.route("/api/test/collide", methods=["POST"])
    @csrf.exempt
    def collide():
        services.create_organisation(db.session, "Taken")
        db.session.add(Organisation(name="Taken twice", slug="taken", invite_token="other"))
        flash("Saved.", "success")  # said too early: the commit will fail
        return "saved"

    @app.route("/test/bad-input")
    def bad_input():
        add_organisation("Rejected")
        db.session.flush()
        return "that input is refused", 400

    @app.route("/test/not-found-but-kept")
    def not_found_but_kept():
        add_organisation("Kept")
        transactions.keep()
        return "no such thing", 404

    @app.route("/test/stream")
    def stream():
        add_organisation("Streamed")
        db.session.flush()
        org = db.session.scalar(select(Organisation).where(Organisation.slug == "streamed"))

        def body():
            yield "name: "
            yield org.name  # read after the request committed
        return Response(stream_with_context(body()), mimetype="text/plain")


# --- commit once, or keep nothing -------------------------------------------------------------


def test_a_successful_request_commits_exactly_once(client, db, routes, commits):
    response = client.post("/test/write")
    assert response.status_code == 200 and len(commits) == 1
    db.session.remove()
    assert db.session.scalar(select(Organisation.name)) == "Written"


def test_a_real_form_commits_once(browser, db, login_as, commits):
    login_as("admin")
    token = browser.token("/admin/organisations")
    commits.clear()
    response = browser.client.post("/admin/organisations",
                                   data={"name": "Acme", "csrf_token": token})
    assert response.status_code == 302 and len(commits) == 1
    assert services.organisation_by_slug(db.session, "acme") is not None


def test_a_request_that_touched_nothing_commits_nothing(client, commits):
    response = client.get("/static/css/highlight.css")
    assert response.status_code == 200 and commits == []


def test_a_domain_error_after_a_flush_leaves_nothing_written(client, db, routes, commits):
    response = client.post("/test/refuse")
    assert response.status_code == 303 and commits == []
    assert organisation_count(db) == 0


def test_a_4xx_answer_keeps_nothing_unless_the_view_keeps_it(client, db, routes):
    assert client.get("/test/bad-input").status_code == 400
    assert client.get("/test/not-found-but-kept").status_code == 404
    assert db.session.scalars(select(Organisation.name)).all() == ["Kept"]


def test_a_streamed_response_reads_after_the_commit(client, db, routes, commits):
    response = client.get("/test/stream")
    assert response.get_data(as_text=True) == "name: Streamed" and len(commits) == 1
    assert organisation_count(db) == 1


# --- a commit that loses a race ---------------------------------------------------------------


def test_a_commit_hitting_an_integrity_error_answers_409(client, db, routes, commits):
    response = client.post("/test/collide")
    text = response.get_data(as_text=True)
    assert response.status_code == 409 and "nothing was saved" in text
    assert "Saved." not in text and "Saved." not in client.get("/").get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"  # the other headers are still added
    assert commits == [] and organisation_count(db) == 0


def test_a_commit_conflict_under_the_api_is_json(client, routes):
    response = client.post("/api/test/collide")
    assert response.status_code == 409 and response.json["error"]["status"] == 409


# --- the refusal handler ----------------------------------------------------------------------


def test_a_refused_get_is_the_error_page_with_the_status(client, routes):
    response = client.get("/test/refuse")
    assert response.status_code == 400
    assert "That is not allowed for this account." in response.get_data(as_text=True)


def test_a_refused_post_goes_back_to_its_page_with_the_sentence(client, routes):
    response = client.post("/test/refuse", headers={"Referer": "http://localhost/courses?q=x"})
    assert response.status_code == 303 and response.location == "/courses?q=x"
    html = client.get(response.location).get_data(as_text=True)
    assert "That is not allowed for this account." in html


@pytest.mark.parametrize("referrer", [
    "https://evil.example/courses", "http://localhost//evil.example/x", "javascript:alert(1)", "",
])
def test_a_foreign_referrer_is_not_followed(client, routes, referrer):
    response = client.post("/test/refuse", headers={"Referer": referrer} if referrer else {})
    assert response.status_code == 303 and response.location == "/"


def test_a_refused_post_without_referrer_goes_where_its_view_says(browser, db, login_as):
    admin = login_as("admin")
    response = browser.post(f"/admin/users/{admin.id}/active",
                            token_from=f"/admin/users/{admin.id}")
    assert response.status_code == 303 and response.location == f"/admin/users/{admin.id}"
    assert "You cannot deactivate your own account." in browser.get(response.location).get_data(
        as_text=True)
    db.session.refresh(admin)
    assert admin.is_active_account


def test_a_refusal_under_the_api_is_json(client, db, routes):
    response = client.post("/api/test/refuse")
    assert response.status_code == 400
    assert response.json["error"] == {"status": 400,
                                      "message": "That is not allowed for this account."}
    assert organisation_count(db) == 0


# --- protocol headers -------------------------------------------------------------------------


def test_405_carries_allow(client):
    response = client.put("/login")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert "not allowed here" in response.get_data(as_text=True)


def test_405_under_the_api_carries_allow_and_is_json(client):
    response = client.delete("/api/v1/certificates/OKR-7K3M-Q9TB-X2HD-4FRW-9")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert response.json["error"]["status"] == 405
