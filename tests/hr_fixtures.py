"""Fixtures shared by the HR tests: the example course and two organisations (the HR user's own,
and another whose people they must never see). Import them into a test module by name."""
from __future__ import annotations

import pytest

from tests.factories import import_example_course


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def org(make_org):
    return make_org("Acme Corp")


@pytest.fixture
def other_org(make_org):
    return make_org("Globex")
