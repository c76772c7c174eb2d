"""Organisation API tokens: what an organisation's own systems present to reach its data."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.models.accounts import Organisation, User
from app.models.base import UTCDateTime

#: what a token may be used for: SCIM provisioning, the read API's learners and certificates
TOKEN_SCOPES = ("scim", "read:learners", "read:certificates")


class OrganisationToken(db.Model):
    """A bearer token of one organisation, shown once, kept only as a hash, revocable."""

    __tablename__ = "organisation_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    #: space-separated, from TOKEN_SCOPES
    scopes: Mapped[str] = mapped_column(String(200))
    #: the token's first characters, shown so people can tell their tokens apart; looked up
    #: first, then the hash is compared in constant time
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    #: SHA-256 of the whole token (hex); the token itself is never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
