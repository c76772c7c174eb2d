"""Accounts: users, their roles and the organisations they belong to."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.sql import expression
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.models.base import UTCDateTime

#: Every account is a learner; the other roles are granted.
ROLES = ("learner", "trainer", "hr", "admin")


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    invite_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when one of its people has their account erased, their certificates stay valid and
    #: verifiable instead of being withdrawn (the organisation keeps them on record)
    keep_certificates_after_erasure: Mapped[bool] = mapped_column(
        default=False, server_default=expression.false())

    members: Mapped[list[User]] = relationship(back_populates="organisation")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: The name exactly as it should appear on a certificate.
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the owner proved the address is theirs (a link mailed to it); accounts an admin
    #: creates count as verified
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: optional mails the user wants (see app.models.notifications.OPTIONAL_CATEGORIES)
    mail_reminders: Mapped[bool] = mapped_column(default=True)
    mail_nudges: Mapped[bool] = mapped_column(default=True)
    mail_digests: Mapped[bool] = mapped_column(default=True)
    #: the language the user reads the platform in (None: the browser's, see app/i18n.py)
    locale: Mapped[str | None] = mapped_column(String(8))
    #: the IANA time zone times are shown in (None: UTC)
    timezone: Mapped[str | None] = mapped_column(String(64))
    #: the language course content is shown in (None: the interface language when the course
    #: offers it, else the course's source language)
    content_locale: Mapped[str | None] = mapped_column(String(8))

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")
    role_grants: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    #: the login this user object was loaded for (see `LoginSession`); Flask-Login keeps it in
    #: the session cookie and the remember cookie instead of the user id
    login_id = None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    def get_id(self) -> str:
        """What the session and remember cookies carry: the login, never the bare user id."""
        if self.login_id is None:
            raise RuntimeError("open a login with app.auth.logins.start_login first")
        return self.login_id


    @property
    def roles(self) -> set[str]:
        return {"learner"} | {grant.role for grant in self.role_grants}

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def wants_mail(self, category: str) -> bool:
        """Whether the user takes mails of this optional category (essential ones always go)."""
        return getattr(self, f"mail_{category}", True)

    def has_role(self, *names: str) -> bool:
        return bool(self.roles & set(names))

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))

    user: Mapped[User] = relationship(back_populates="role_grants")


class LoginSession(db.Model):
    """One login of a user (a browser session and its remember cookie), which can be ended."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the secret half of the login id; the secret itself is only in the cookies
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
