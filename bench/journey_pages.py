"""The pages of the main journeys, each with a client that may open it: a visitor, a learner
reading a lesson, a learner taking a quiz, one who has just been graded, a certificate holder
and HR. Quizzes are started and submitted through the pages, as a browser does."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from bench.soak import csrf_token, question_fields

COURSE = "okr-executive"


def _client(app, user_id: int | None):
    from app.auth.logins import start_login
    from app.extensions import db
    from app.models import User

    client = app.test_client()
    if user_id is not None:
        with app.app_context():
            login_id = start_login(db.session, db.session.get(User, user_id), datetime.now(UTC),
                                   timedelta(hours=12))
            db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = login_id
            session["_fresh"] = True
    return client


def _cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def _start_quiz(client, quiz_path: str) -> str:
    """Start an attempt from the quiz's page; the attempt page's path."""
    token = csrf_token(client.get(quiz_path).get_data(as_text=True))
    response = client.post(quiz_path, data={"csrf_token": token})
    assert response.status_code == 303, response.status_code
    return re.sub(r"^https?://[^/]+", "", response.headers["Location"])


def _submit(client, attempt_path: str) -> str:
    """Answer every question with its first option and submit; the result page's path."""
    page = client.get(attempt_path).get_data(as_text=True)
    answers = [("csrf_token", csrf_token(page))]
    for name, (kind, tokens) in question_fields(page).items():
        if kind in ("radio", "checkbox") and tokens:
            answers.append((name, tokens[0]))
        elif kind == "number":
            answers.append((name, "50"))
    from werkzeug.datastructures import MultiDict

    response = client.post(attempt_path + "/submit", data=MultiDict(answers))
    assert response.status_code == 303, response.status_code
    return re.sub(r"^https?://[^/]+", "", response.headers["Location"])


def journey_pages(prepared: dict) -> dict[str, tuple]:
    """Page name -> (client, path, session cookie for a browser, or None)."""
    from app.auth import services as accounts
    from app.courses import services as courses
    from app.extensions import db
    from bench.scenarios_web import _issue_one_certificate
    from bench.seed import seed_certified_learners

    app = prepared["app"]
    code = _issue_one_certificate(app)
    with app.app_context():
        course = courses.find_course(db.session, COURSE)
        module = courses.course_outline(db.session, course)[0].slug
        taking, graded = seed_certified_learners(db.session, course, 2, prefix="quiz",
                                                 passed_quizzes=[])
        org = accounts.create_organisation(db.session, "Journey Org", slug="journey-org")
        hr = accounts.create_user(db.session, email="hr@journey.example", name="Journey HR",
                                  password="Quarterly-Review-77", roles=("hr",), organisation=org,
                                  policy=accounts.PasswordPolicy(10, 1, 1024))
        holder = accounts.find_user_by_email(db.session, "holder0@bench.example")
        db.session.commit()
        ids = {"hr": hr.id, "holder": holder.id}
    visitor = _client(app, None)
    learner = app.test_client()
    learner.set_cookie("session", prepared["cookie"])
    quiz_path = f"/courses/{COURSE}/quiz/{module}"
    taker, grader = _client(app, taking), _client(app, graded)
    attempt = _start_quiz(taker, quiz_path)
    result = _submit(grader, _start_quiz(grader, quiz_path))
    holder, hr = _client(app, ids["holder"]), _client(app, ids["hr"])
    pages = {
        "home": (visitor, "/"), "log in": (visitor, "/login"),
        "register": (visitor, "/register"), "catalogue": (visitor, "/courses"),
        "course": (visitor, f"/courses/{COURSE}"), "lesson": (learner, prepared["lesson_path"]),
        "learner dashboard": (learner, "/dashboard/learning"),
        "quiz overview": (taker, quiz_path), "quiz attempt": (taker, attempt),
        "quiz result": (grader, result), "my certificates": (holder, "/certificates"),
        "certificate": (holder, f"/certificates/{quote(code, safe='-')}"),
        "verify form": (visitor, "/verify"),
        "verification page": (visitor, f"/verify/{quote(code, safe='-')}"),
        "HR dashboard": (hr, "/hr/"),
    }
    return {name: (client, path, _cookie(client)) for name, (client, path) in pages.items()}
