"""One live certificate per learner and course, held by the database under concurrent issuance."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.certificates import issuance, services
from app.certificates.extension import issuer_for
from app.models import Certificate, Course, User
from tests.factories import import_example_course
from tests.test_certificate_issuance import (  # noqa: F401
    NOW,
    meet_rule,
    no_auto_issue,
    pass_final_exam_again,
)

THREADS = 2


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def learner(db, make_user, course, no_auto_issue):  # noqa: F811
    user = make_user()
    meet_rule(db, user, course)
    return user


@pytest.fixture
def postgresql(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("Concurrent issuance needs two real connections: run the suite on "
                    "PostgreSQL (DATABASE_URL=postgresql://...); in-memory SQLite has one.")


def live_certificates(db, user, course) -> list[Certificate]:
    db.session.expire_all()
    return list(db.session.scalars(select(Certificate).where(
        Certificate.user_id == user.id, Certificate.course_id == course.id,
        Certificate.status.in_(("active", "suspended")))))


def issue_at_once(app, db, user, course, now, monkeypatch) -> list[str]:
    """Issue from THREADS threads, each with its own connection, all past the live check."""
    issuer = issuer_for(app)
    barrier = threading.Barrier(THREADS, timeout=60)
    new_certificate = issuance._new_certificate

    def sign_then_wait(*args, **kwargs):
        signed = new_certificate(*args, **kwargs)
        barrier.wait()  # every thread has signed its record, so each one believes it is first
        return signed

    monkeypatch.setattr(issuance, "_new_certificate", sign_then_wait)
    codes: list[str] = []
    errors: list[BaseException] = []
    # Read in this thread: an expired attribute of the test's objects would be loaded through
    # the test's own session, from several threads at once.
    user_id, course_id = user.id, course.id

    def request() -> None:
        with app.app_context():
            try:
                certificate = services.issue_certificate(
                    db.session, db.session.get(User, user_id), db.session.get(Course, course_id),
                    now, issuer=issuer)
                db.session.commit()
                codes.append(certificate.code)
            except BaseException as error:  # noqa: BLE001 - reported by the test
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=request) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return codes


def test_concurrent_issuance_leaves_exactly_one_live_certificate(app, db, learner, course,
                                                                  postgresql, monkeypatch):
    codes = issue_at_once(app, db, learner, course, NOW, monkeypatch)
    live = live_certificates(db, learner, course)
    assert len(live) == 1
    assert codes == [live[0].code] * THREADS  # the loser hands out the winner's certificate
    assert db.session.scalar(select(func.count(Certificate.id))) == 1


def test_concurrent_renewal_supersedes_once(app, db, learner, course, postgresql, monkeypatch):
    old = services.issue_certificate(db.session, learner, course, NOW, issuer=issuer_for(app))
    db.session.commit()
    later = old.expires_at - timedelta(days=20)
    pass_final_exam_again(db, learner, course, later)
    codes = issue_at_once(app, db, learner, course, later, monkeypatch)
    live = live_certificates(db, learner, course)
    assert len(live) == 1 and live[0].previous_id == old.id
    assert set(codes) == {live[0].code}
    assert db.session.get(Certificate, old.id).status == "superseded"


def test_the_database_refuses_a_second_live_certificate(app, db, learner, course):
    issuer = issuer_for(app)
    first = services.issue_certificate(db.session, learner, course, NOW, issuer=issuer)
    db.session.commit()
    second, _ = issuance._new_certificate(learner, course, course.current_version, NOW, issuer,
                                          previous=None)
    db.session.add(second)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    services.revoke(db.session, None, first.code, "Issued in error", NOW)
    db.session.add(second)  # a revoked certificate no longer counts as live
    db.session.commit()
    assert [c.code for c in live_certificates(db, learner, course)] == [second.code]


def test_issuances_for_different_learners_do_not_wait_for_each_other(
        app, db, make_user, course, no_auto_issue, postgresql):  # noqa: F811
    """The first issuance holds its transaction open; the second still commits at once."""
    first, second = make_user(), make_user()
    for user in (first, second):
        meet_rule(db, user, course)
    issuer = issuer_for(app)
    ids = first.id, second.id, course.id
    db.session.remove()
    first_open = threading.Event()
    second_done = threading.Event()
    outcome: dict[str, object] = {}

    def hold_open() -> None:
        with app.app_context():
            try:
                issuance.issue_certificate(db.session, db.session.get(User, ids[0]),
                                           db.session.get(Course, ids[2]), NOW, issuer=issuer)
                first_open.set()
                second_done.wait(timeout=30)
                db.session.commit()
            finally:
                db.session.remove()

    holder = threading.Thread(target=hold_open)
    holder.start()
    try:
        assert first_open.wait(timeout=60)
        with app.app_context():
            db.session.execute(db.text("SET lock_timeout = '2s'"))
            issued = issuance.issue_certificate(db.session, db.session.get(User, ids[1]),
                                                db.session.get(Course, ids[2]), NOW,
                                                issuer=issuer)
            db.session.commit()
            outcome["index"] = issued.status_list_index
            db.session.remove()
    finally:
        second_done.set()
        holder.join(timeout=60)
    indexes = sorted(db.session.scalars(select(Certificate.status_list_index)))
    assert len(indexes) == 2 and outcome["index"] in indexes and len(set(indexes)) == 2


def test_entries_written_without_the_sequence_are_stepped_over(
        app, db, make_user, course, no_auto_issue, postgresql):  # noqa: F811
    """Rows loaded by SQL took entries ahead of the sequence: issuance takes the next free."""
    learner = make_user()
    meet_rule(db, learner, course)
    loaded = make_user()
    meet_rule(db, loaded, course)
    services.issue_certificate(db.session, loaded, course, NOW, issuer=issuer_for(app))
    db.session.flush()
    # the entry the sequence hands out next (it gave 0 to the certificate above)
    db.session.execute(db.text("UPDATE certificates SET status_list_index = 1"))
    db.session.commit()
    issued = services.issue_certificate(db.session, learner, course, NOW, issuer=issuer_for(app))
    db.session.commit()
    assert issued.status_list_index == 2
