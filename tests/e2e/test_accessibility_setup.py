"""The accessibility audit the journeys rely on is installed, at the version package.json pins."""
from __future__ import annotations

import json

import pytest

from tests.e2e.support import AXE_SCRIPT, REPO_ROOT

pytestmark = pytest.mark.browser


def test_axe_core_is_installed_at_the_pinned_version(accessibility):
    if accessibility is None:
        pytest.skip("axe-core is not installed, so the journeys ran without the accessibility "
                    "audit: run `npm ci --ignore-scripts` (make test does where npm exists)")
    pinned = json.loads((REPO_ROOT / "package.json").read_text())["devDependencies"]["axe-core"]
    installed = json.loads((AXE_SCRIPT.parent / "package.json").read_text())["version"]
    assert installed == pinned, f"axe-core {installed} is installed, package.json pins {pinned}"
