"""Sign-on views (saml_routes)."""
from __future__ import annotations

from app.sso.web import bp  # noqa: F401
