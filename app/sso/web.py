"""The sign-on blueprint: starting a sign-on, the provider's answer, and the organisation's
connection settings. Views live in `routes` (OpenID Connect, settings) and `saml_routes`."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sso", __name__, url_prefix="/sso")
