"""SCIM provisioning: what an organisation's directory says about its people and its groups."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.models.accounts import Organisation, User
from app.models.base import UTCDateTime


class ProvisionedAccount(db.Model):
    """The directory's view of an account, written through SCIM (one row per account it wrote)."""

    __tablename__ = "provisioned_accounts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    #: the userName the directory gave (usually the sign-in address, which users.email holds)
    user_name: Mapped[str | None] = mapped_column(String(255), index=True)
    #: the directory removed the active attribute (the account keeps its state; SCIM shows none)
    active_removed: Mapped[bool] = mapped_column(default=False)
    #: the directory's own id of the person
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    given_name: Mapped[str | None] = mapped_column(String(120))
    family_name: Mapped[str | None] = mapped_column(String(120))
    formatted_name: Mapped[str | None] = mapped_column(String(120))
    display_name: Mapped[str | None] = mapped_column(String(120))
    #: the emails attribute as the directory sent it (a list of {value, type, primary, display})
    emails: Mapped[list | None] = mapped_column(JSON)
    #: the certificate name the directory last set: when the account's name differs from it,
    #: its owner edited their name, and the directory no longer overwrites it
    provisioned_name: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the directory deleted the person: the account is deactivated and kept (its
    #: certificates stay verifiable), and SCIM no longer shows it
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class DirectoryGroup(db.Model):
    """A group the organisation's directory pushed; one named after a role grants it."""

    __tablename__ = "directory_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    memberships: Mapped[list[DirectoryGroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan", lazy="selectin")


class DirectoryGroupMember(db.Model):
    """An account in a directory group, with the label the directory gave it."""

    __tablename__ = "directory_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("directory_groups.id", ondelete="CASCADE"),
                                          primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    display: Mapped[str | None] = mapped_column(String(255))

    group: Mapped[DirectoryGroup] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()
