"""Organisations with sign-on for tests that need no provider to answer."""
from __future__ import annotations

from app.models import SignOnConnection, SignOnDomain


def enable_sign_on(db, org, domains, *, password_login: bool = True, enabled: bool = True,
                   issuer: str = "https://idp.example.org") -> SignOnConnection:
    """Give `org` an OpenID Connect connection owning `domains` (no provider behind it)."""
    connection = SignOnConnection(organisation_id=org.id, protocol="oidc", enabled=enabled,
                                  password_login=password_login, oidc_issuer=issuer,
                                  oidc_client_id="okr-academy")
    db.session.add(connection)
    db.session.add_all(SignOnDomain(domain=domain, organisation_id=org.id) for domain in domains)
    db.session.commit()
    return connection
