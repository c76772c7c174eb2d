"""Fixtures of the security suite."""
from __future__ import annotations

import pytest

from tests.security.world import World, build_world


@pytest.fixture
def world(db, make_org, make_user) -> World:
    return build_world(db, make_org, make_user)
