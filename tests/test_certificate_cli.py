"""`flask certificates issue|revoke|suspend|unsuspend|list`: thin wrappers with clear refusals."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.certificates import services
from app.courses import services as course_services
from app.models import Certificate
from tests.factories import import_example_course
from tests.test_certificate_issuance import NOW, meet_rule, no_auto_issue  # noqa: F401


def certificate_count(db) -> int:
    return db.session.scalar(select(func.count(Certificate.id)))


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def learner(db, make_user, course, no_auto_issue):  # noqa: F811
    """A learner who met the rule; no certificate was issued automatically."""
    user = make_user(name="Casey Learner")
    meet_rule(db, user, course)
    return user


@pytest.fixture
def code(db, runner, learner, course) -> str:
    result = runner.invoke(args=["certificates", "issue", learner.email, "example-course"])
    assert result.exit_code == 0, result.output
    return services.live_certificate(db.session, learner, course).code


def test_issue_creates_the_certificate_once(db, runner, learner, course):
    result = runner.invoke(args=["certificates", "issue", learner.email, "example-course"])
    certificate = services.live_certificate(db.session, learner, course)
    assert result.exit_code == 0
    assert result.output.startswith(f"Issued {certificate.code} to Casey Learner for OKR "
                                    "Essentials, valid until ")
    again = runner.invoke(args=["certificates", "issue", learner.email.upper(), "example-course"])
    assert again.exit_code == 0
    assert f"already holds {certificate.code} (active" in again.output
    assert certificate_count(db) == 1


def test_issue_is_refused_with_the_reasons_when_the_rule_is_not_met(db, runner, make_user,
                                                                     course):
    user = make_user()
    course_services.enroll(db.session, user, course, NOW)
    db.session.commit()
    result = runner.invoke(args=["certificates", "issue", user.email, "example-course"])
    assert result.exit_code == 1
    assert f"Not issued: {user.email} has not met the certification rule of example-course" \
        in result.output
    assert "  - Pass the final exam." in result.output
    assert certificate_count(db) == 0


@pytest.mark.parametrize("email, slug, message", [
    ("nobody@example.com", "example-course", "No account with the email nobody@example.com."),
    (None, "no-such-course", "No course with the slug 'no-such-course' (courses: example-course)"),
])
def test_issue_names_an_unknown_learner_or_course(runner, learner, email, slug, message):
    result = runner.invoke(args=["certificates", "issue", email or learner.email, slug])
    assert result.exit_code == 1 and message in result.output


def test_revoke_keeps_the_reason_and_refuses_a_second_time(db, runner, code):
    result = runner.invoke(args=["certificates", "revoke", code, "--reason", "Fraud"])
    assert result.exit_code == 0 and \
        result.output == f"Revoked {code}: Fraud (verification shows no reason)\n"
    again = runner.invoke(args=["certificates", "revoke", code, "--reason", "Again"])
    assert again.exit_code == 1
    assert f"Certificate {code} was already revoked on " in again.output
    assert ": Fraud" in again.output


def test_revoke_needs_a_reason(runner, code):
    result = runner.invoke(args=["certificates", "revoke", code])
    assert result.exit_code == 2 and "Missing option '--reason'" in result.output
    blank = runner.invoke(args=["certificates", "revoke", code, "--reason", " "])
    assert blank.exit_code == 1 and "Give a reason" in blank.output


@pytest.mark.parametrize("command", ["revoke", "suspend", "unsuspend"])
@pytest.mark.parametrize("typed, message", [
    ("OKR-0000-0000-0000-0000-0", "No certificate has the code OKR-0000-0000-0000-0000-0."),
    ("OKR-0000-0000-0000-0000-1", "This code looks mistyped"),
])
def test_unknown_and_mistyped_codes_exit_1(runner, app, command, typed, message):
    result = runner.invoke(args=["certificates", command, typed, "--reason", "x"])
    assert result.exit_code == 1 and message in result.output


def test_suspend_and_unsuspend(db, runner, code):
    result = runner.invoke(args=["certificates", "suspend", code.lower(), "--reason", "Review"])
    assert result.exit_code == 0 and \
        result.output == f"Suspended {code}: Review (verification shows no reason)\n"
    assert runner.invoke(args=["certificates", "suspend", code, "--reason", "x"]).exit_code == 1
    lifted = runner.invoke(args=["certificates", "unsuspend", code])
    assert lifted.exit_code == 0 and lifted.output == f"{code} is active again.\n"
    again = runner.invoke(args=["certificates", "unsuspend", code])
    assert again.exit_code == 1 and "is not suspended (it is active)" in again.output


def test_list_shows_codes_states_and_holders(runner, learner, code):
    runner.invoke(args=["certificates", "suspend", code, "--reason", "Review"])
    listing = runner.invoke(args=["certificates", "list"]).output
    assert code in listing and "suspended" in listing and learner.email in listing
    assert runner.invoke(args=["certificates", "list", "--status", "revoked"]).output == ""
    assert code in runner.invoke(args=["certificates", "list", "--search", "casey"]).output
