"""The per-process caches of what a version states (outline, certificate wording), and the
query budget of the lesson page they serve."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from app.certificates import records as certificates
from app.courses import catalogue, services
from app.models import VersionLesson
from tests.factories import import_example_course, statements_run


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture(autouse=True)
def empty_cache():
    catalogue._OUTLINE_CACHE.clear()
    certificates._WORDINGS.clear()
    yield
    catalogue._OUTLINE_CACHE.clear()
    certificates._WORDINGS.clear()


def rename_first_lesson(db, version_id: int, title: str) -> None:
    first = db.session.scalars(VersionLesson.__table__.select()
                               .where(VersionLesson.version_id == version_id)
                               .order_by(VersionLesson.module_position, VersionLesson.position)
                               ).first()
    db.session.execute(update(VersionLesson).where(VersionLesson.id == first)
                       .values(title=title))
    db.session.commit()


def test_an_outline_is_read_once_per_version(db, course):
    key = services.version_key(course.current_version)
    first = services.version_outlines(db.session, [key])
    again = statements_run(db, lambda: services.version_outlines(db.session, [key]))
    assert again == []
    assert services.version_outlines(db.session, [key]) == first
    assert first[key[0]][0].lessons[0].title


def test_the_same_id_with_other_content_is_read_again(db, course):
    """An id alone may name other content (another database, a restored backup): the content
    hash is part of the key, so such a version is never served from the cache."""
    version_id, content_hash = services.version_key(course.current_version)
    services.version_outlines(db.session, [(version_id, content_hash)])
    rename_first_lesson(db, version_id, "A lesson of other content")

    same = services.version_outlines(db.session, [(version_id, content_hash)])
    other = services.version_outlines(db.session, [(version_id, "0" * 64)])

    assert same[version_id][0].lessons[0].title != "A lesson of other content"
    assert other[version_id][0].lessons[0].title == "A lesson of other content"


def test_the_cache_is_bounded(db, course, monkeypatch):
    monkeypatch.setattr(catalogue, "_OUTLINE_CACHE_SIZE", 2)
    version_id, _ = services.version_key(course.current_version)
    for n in range(5):
        services.version_outlines(db.session, [(version_id, f"hash-{n}")])
        assert len(catalogue._OUTLINE_CACHE) <= 2


def test_a_version_without_modules_has_an_empty_outline(db, course):
    assert services.version_outlines(db.session, [(10_000, "none")]) == {10_000: ()}
    assert services.version_outlines(db.session, []) == {}


def test_the_lesson_page_runs_a_fixed_number_of_queries(db, client, login_as, course):
    learner = login_as("learner")
    services.enroll(db.session, learner, course)
    db.session.commit()
    outline = services.course_outline(db.session, course)
    path = f"/courses/{course.slug}/{outline[0].slug}/{outline[0].lessons[0].slug}"
    assert client.get(path).status_code == 200  # warms the outline cache
    db.session.expunge_all()  # as in a new request's session

    statements = statements_run(db, lambda: client.get(path))

    # the user with their roles, the course with its version, the lesson, the languages the
    # course is offered in and its title in them, the enrolment, the completions, the passed
    # quizzes, and the "last viewed" update
    assert len(statements) <= 9, "\n".join(statements)
    assert not any(re.search(r"course_versions(_\d+)?\.(spec|final_exam)\b", s)
                   for s in statements), \
        "the lesson page should not load the version's course and exam specs"


def test_the_certificate_wording_is_read_once_per_version_content(db, course):
    version = course.current_version
    first = certificates.certificate_wording(version)
    version.spec = {**version.spec, "certificate_wording": "Changed wording"}
    assert certificates.certificate_wording(version) == first  # same content hash: cached
    version.content_hash = "f" * 64
    assert certificates.certificate_wording(version) == "Changed wording"
    assert certificates.certificate_wording(None) == certificates.DEFAULT_WORDING
    db.session.rollback()
