"""From checked claims to an account of the organisation, and the record of every refusal.

Both protocols end here: `sign_in_from_claims` finds or creates the person's account (the
caller then opens the login), `refuse` writes the audit entry of a sign-on that was refused.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import events
from app.audit import record
from app.auth.services import find_user_by_email, normalise_email
from app.models import Organisation, SignOnDomain, User
from app.sso.claims import Claims, SignOnRefused

#: a password hash no password matches (argon2 refuses to read it): accounts made at sign-on
#: have no password until their owner sets one through "forgot password"
UNUSABLE_PASSWORD_PREFIX = "!sso:"  # nosec B105: marks a hash no password matches
NAME_MAX = 120

UNVERIFIED = _l("Your identity provider has not confirmed your email address, so we cannot "
                "sign you in with it. Ask your IT department to confirm it, then try again.")
UNKNOWN_DOMAIN = _l("Your email address does not belong to this organisation's sign-on. Sign "
                    "in with your company address, or ask your administrator.")
OTHER_ORGANISATION = _l("Your email address belongs to another organisation's sign-on. Sign in "
                        "from your own organisation's page.")
ACCOUNT_ELSEWHERE = _l("An account with this email address belongs to another organisation. "
                       "Ask your administrator to move it before you sign in this way.")
CONCURRENT = _l("Your account was being created at the same moment in another window. Please "
                "sign in again.")
DEACTIVATED = _l("Your account is deactivated. Ask your administrator to reactivate it.")


def email_domain(email: str) -> str:
    """The domain of an address, lower case ("" when there is none)."""
    local, at, domain = normalise_email(email).rpartition("@")
    return domain if at and local else ""


def sign_in_from_claims(session: Session, organisation: Organisation, claims: Claims,
                        now: datetime) -> User:
    """The account the provider vouched for: an existing one of `organisation`, or a new one.

    Raises SignOnRefused (nothing written) when the provider did not verify the address, the
    address's domain is not one of the organisation's, or the account belongs elsewhere or is
    deactivated. A new account is a learner of the organisation with a verified address, the
    provider's name (else the address's local part, editable later) and no usable password.
    """
    email = normalise_email(claims.email)
    if not claims.email_verified:
        raise SignOnRefused("email-unverified", UNVERIFIED)
    _check_domain(session, organisation, email)
    user = find_user_by_email(session, email)
    if user is None:
        return _create_account(session, organisation, claims, email, now)
    if user.organisation_id != organisation.id:
        raise SignOnRefused("account-other-organisation", ACCOUNT_ELSEWHERE)
    if not user.is_active:
        raise SignOnRefused("account-deactivated", DEACTIVATED)
    if not user.email_verified:
        user.email_verified_at = now  # the organisation's provider vouches for the address
    return user


def _check_domain(session: Session, organisation: Organisation, email: str) -> None:
    domain = email_domain(email)
    owner = session.scalar(select(SignOnDomain.organisation_id)
                           .where(SignOnDomain.domain == domain)) if domain else None
    if owner is None:
        raise SignOnRefused("domain-unknown", UNKNOWN_DOMAIN)
    if owner != organisation.id:
        raise SignOnRefused("domain-other-organisation", OTHER_ORGANISATION)


def _create_account(session: Session, organisation: Organisation, claims: Claims, email: str,
                    now: datetime) -> User:
    name = " ".join((claims.name or "").split())[:NAME_MAX] or email.partition("@")[0][:NAME_MAX]
    user = User(email=email, name=name, organisation_id=organisation.id, created_at=now,
                password_hash=UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(24),
                email_verified_at=now)
    session.add(user)
    try:
        # no savepoint: on SQLite, releasing one that opened the transaction commits it
        session.flush()
    except IntegrityError:
        refusal = SignOnRefused("account-created-concurrently", CONCURRENT)
        refusal.status_code = 409
        raise refusal from None
    record(session, user, "sso.account_created", "user", user.id,
           f"Account {email} created at sign-on", organisation=organisation.slug,
           protocol=claims.protocol, subject=claims.subject)
    events.user_registered.send(None, session=session, user=user, now=now)
    return user


def refuse(session: Session, organisation: Organisation | None, protocol: str, reason: str,
           detail: str = "") -> None:
    """Record a refused sign-on: what the attempt wrote is rolled back first, then the audit
    entry is added. The caller answers with a 4xx and keeps the transaction
    (`app.transactions.keep`), so the entry is committed and nothing else is."""
    org_id, slug = (organisation.id, organisation.slug) if organisation is not None else ("", None)
    session.rollback()
    record(session, None, "sso.refused", "organisation", org_id,
           f"Sign-on refused ({protocol}): {reason}", protocol=protocol, reason=reason,
           organisation=slug, detail=detail[:500])
    session.flush()
