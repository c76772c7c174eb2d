"""Sign-on through an organisation's identity provider: its connection and its email domains."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.models.accounts import Organisation
from app.models.base import UTCDateTime

PROTOCOLS = ("oidc", "saml")


class SignOnConnection(db.Model):
    """How an organisation's people sign in: OpenID Connect or SAML 2.0, one per organisation."""

    __tablename__ = "sign_on_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True)
    #: "oidc" or "saml"
    protocol: Mapped[str] = mapped_column(String(8))
    #: off: the connection is kept but nobody is sent to the provider
    enabled: Mapped[bool] = mapped_column(default=False)
    #: off: the organisation's people can only sign in through the provider
    password_login: Mapped[bool] = mapped_column(default=True)
    #: OpenID Connect: the issuer (its discovery document is at /.well-known/openid-configuration)
    oidc_issuer: Mapped[str | None] = mapped_column(String(255))
    oidc_client_id: Mapped[str | None] = mapped_column(String(255))
    #: the client secret, encrypted with a key derived from the application's secret key
    oidc_client_secret: Mapped[str | None] = mapped_column(Text)
    #: SAML 2.0: the identity provider's metadata (pasted, or last read from the URL)
    saml_idp_metadata: Mapped[str | None] = mapped_column(Text)
    saml_idp_metadata_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()


class SignOnDomain(db.Model):
    """An email domain that belongs to one organisation (its people sign in through its provider)."""

    __tablename__ = "sign_on_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: lower case, without "@"
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class SamlAssertionSeen(db.Model):
    """A SAML assertion already used to sign in: the same one posted again is refused (replay).

    Kept until the assertion expires (its NotOnOrAfter): after that it is refused as expired.
    """

    __tablename__ = "saml_assertions_seen"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the assertion's ID attribute, unique for every identity provider by the standard
    assertion_id: Mapped[str] = mapped_column(String(255), unique=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
