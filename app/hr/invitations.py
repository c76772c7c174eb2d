"""HR invites people by mail: a personal link per address, which registers or joins them.

An invitation is a row per (organisation, address). Inviting an address again re-sends the mail
at most once per RESEND_AFTER; an address that already belongs to a member is not invited. The
link carries a token signed when the mail is written (see app.hr.mails): the invitation's id and
address, valid TOKEN_MAX_AGE. Following it proves the mailbox, so an account made through it
starts verified.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import and_, or_, select, union
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.audit import record
from app.auth.services import PasswordPolicy, create_user, normalise_email, set_organisation
from app.domain import DomainError
from app.models import Certificate, Enrollment, Invitation, LessonProgress, Organisation, User
from app.models.certificates import ACTIVE
from app.notifications.outbox import queue

#: addresses one submission may hold (pasted and uploaded together)
MAX_ADDRESSES = 500
#: a second invitation to the same address mails it again only after this long
RESEND_AFTER = timedelta(hours=24)
#: how long the link in an invitation mail works
TOKEN_MAX_AGE = timedelta(days=30)
TOKEN_SALT = "invitation"  # nosec B105: a signing salt that names the token's purpose, not a secret
#: what became of an invitation, from the first step to the last
STATUSES = ("invited", "joined", "started", "certified")
#: an entry of a pasted list: separated by newlines, commas or semicolons, except inside quotes
_ENTRY = re.compile(r'(?:"[^"\r\n]*"|[^,;\r\n"])+')
_BRACKETED = re.compile(r"<([^<>]*)>\s*$")


class InvitationError(DomainError):
    """The invitations asked for, or the link followed, cannot be used."""

    status_code = 400


class InvitationNotFound(DomainError):
    """The link is genuine but its invitation is gone (its organisation was deleted)."""

    status_code = 404


@dataclass
class InviteReport:
    """What one submission did, address by address."""

    invited: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)
    recently_sent: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    @property
    def mailed(self) -> int:
        return len(self.invited) + len(self.resent)


# --- reading addresses ------------------------------------------------------------------------

def split_addresses(text: str) -> list[str]:
    """The entries of a pasted list ("Ann <ann@example.com>, bob@example.com; ...")."""
    return [entry.strip() for entry in _ENTRY.findall(text or "") if entry.strip()]


def addresses_from_csv(rows: Sequence[Sequence[str]]) -> list[str]:
    """The cells of the column named email, else of the first column (a header without an @
    is skipped)."""
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    named = next((i for i, name in enumerate(header)
                  if name in ("email", "e-mail", "email address", "e-mail address")), None)
    column = named if named is not None else 0
    start = 1 if named is not None or "@" not in (rows[0][0] if rows[0] else "") else 0
    return [row[column].strip() for row in rows[start:] if len(row) > column and row[column].strip()]


def address_of(entry: str) -> str | None:
    """The normalised address of an entry ("Name <a@b.c>" or "a@b.c"), None if not one."""
    match = _BRACKETED.search(entry)
    candidate = (match.group(1) if match else entry).strip().removeprefix("mailto:")
    if not candidate or len(candidate) > 254:
        return None
    try:
        return normalise_email(validate_email(candidate, check_deliverability=False).normalized)
    except EmailNotValidError:
        return None


# --- inviting ---------------------------------------------------------------------------------

def invite(session: Session, organisation: Organisation, actor: User, addresses: Sequence[str],
           now: datetime) -> InviteReport:
    """Invite the addresses into the organisation; nothing is written when there are too many.

    Invalid entries are listed back, members are not invited, an address invited less than
    RESEND_AFTER ago is not mailed again. One audit entry for the submission.
    """
    entries = [entry.strip() for entry in addresses if entry and entry.strip()]
    if len(entries) > MAX_ADDRESSES:
        raise InvitationError(_l("That is %(count)s addresses; please invite at most %(max)s at "
                                 "a time. Nobody was invited.", count=format(len(entries), ","),
                                 max=MAX_ADDRESSES))
    if not entries:
        raise InvitationError(_l("Paste at least one address, or choose a CSV file of addresses."))
    report = InviteReport()
    wanted: dict[str, None] = {}
    for entry in entries:
        address = address_of(entry)
        if address is None:
            report.invalid.append(entry[:254])
        else:
            wanted.setdefault(address)
    members = set(session.scalars(select(User.email).where(
        User.organisation_id == organisation.id, User.email.in_(list(wanted)))))
    report.members = [address for address in wanted if address in members]
    candidates = [address for address in wanted if address not in members]
    created = _insert_new(session, organisation, actor, candidates, now)
    found = {invitation.email: invitation for invitation in session.scalars(select(Invitation).where(
        Invitation.organisation_id == organisation.id, Invitation.email.in_(candidates)))}
    for address in candidates:
        invitation = found[address]
        if invitation.id in created:
            report.invited.append(address)
        elif invitation.sent_at > now - RESEND_AFTER:
            report.recently_sent.append(address)
            continue
        else:
            _renew(invitation, actor, now)
            report.resent.append(address)
        _queue_mail(session, invitation, now)
    record(session, actor, "organisation.invitations", "organisation", organisation.id,
           f"{report.mailed} invitation(s) to {organisation.name} sent",
           invited=len(report.invited), resent=len(report.resent),
           recently_sent=len(report.recently_sent), members=len(report.members),
           invalid=len(report.invalid))
    return report


def _insert_new(session: Session, organisation: Organisation, actor: User,
                addresses: list[str], now: datetime) -> set[int]:
    """Insert the invitations that do not exist yet (a simultaneous twin is left alone); the
    ids of those this call created."""
    if not addresses:
        return set()
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (insert(Invitation)
                 .values([dict(organisation_id=organisation.id, email=address,
                               invited_by_id=actor.id, created_at=now, sent_at=now)
                          for address in addresses])
                 .on_conflict_do_nothing(index_elements=["organisation_id", "email"])
                 .returning(Invitation.id))
    return set(session.scalars(statement))


def _renew(invitation: Invitation, actor: User, now: datetime) -> None:
    """Send the invitation again: a fresh start, even if someone once joined through it."""
    invitation.sent_at = now
    invitation.invited_by_id = actor.id
    invitation.accepted_at = None
    invitation.user_id = None


def _queue_mail(session: Session, invitation: Invitation, now: datetime) -> None:
    """The invitation's mail; two sends on the same day (two HR people at once) mail once."""
    session.flush()
    queue(session, kind="invitation", to=invitation.email, now=now,
          key=f"invitation:{invitation.id}:{invitation.sent_at:%Y-%m-%d}",
          context={"invitation_id": invitation.id})


# --- the link ---------------------------------------------------------------------------------

def invitation_token(secret: str, invitation: Invitation) -> str:
    """The token of the invitation's link: its id and address, signed now."""
    return URLSafeTimedSerializer(secret, salt=TOKEN_SALT).dumps([invitation.id, invitation.email])


def read_invitation_token(secret: str, token: str, now: datetime) -> tuple[int, str]:
    """(invitation id, address) of a genuine token not older than TOKEN_MAX_AGE."""
    try:
        payload, signed_at = URLSafeTimedSerializer(secret, salt=TOKEN_SALT).loads(
            token, return_timestamp=True)
    except BadData:
        raise InvitationError(NOT_VALID) from None
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)
            and isinstance(payload[1], str)):
        raise InvitationError(NOT_VALID)
    if now - signed_at > TOKEN_MAX_AGE:
        raise InvitationError(EXPIRED)
    return payload[0], payload[1]


NOT_VALID = _l("This invitation link is not valid. Please use the link exactly as it was mailed.")
EXPIRED = _l("This invitation link has expired: links work for 30 days. Ask your HR team to "
             "invite you again.")


def invitation_for_token(session: Session, secret: str, token: str, now: datetime) -> Invitation:
    """The invitation a link stands for: InvitationError (400) for a forged or expired link,
    InvitationNotFound (404) when the invitation or its organisation is gone."""
    invitation_id, address = read_invitation_token(secret, token, now)
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.email != address or invitation.organisation is None:
        raise InvitationNotFound(_l("This invitation no longer exists."))
    return invitation


def accept(session: Session, invitation: Invitation, user: User, now: datetime) -> None:
    """The user (whose address was invited) joins the organisation; the invitation is accepted."""
    organisation = invitation.organisation
    if user.organisation_id != organisation.id:
        set_organisation(session, user, user, organisation)
    if invitation.accepted_at is None:
        invitation.accepted_at = now
        invitation.user_id = user.id
        record(session, user, "invitation.accept", "organisation", organisation.id,
               f"{user.email} joined {organisation.name} by invitation", invitation=invitation.id)


def register_invited(session: Session, invitation: Invitation, *, name: str, password: str,
                     policy: PasswordPolicy, now: datetime) -> User:
    """An account for the invited address, in the organisation and verified (the link proved
    the mailbox); raises AccountError (EmailTaken when the address has an account)."""
    user = create_user(session, email=invitation.email, name=name, password=password,
                       policy=policy, organisation=invitation.organisation, verified=True)
    user.email_verified_at = now
    accept(session, invitation, user, now)
    return user


# --- what became of the invitations -----------------------------------------------------------

@dataclass(frozen=True)
class InvitationRow:
    """One invitation as HR sees it."""

    id: int
    email: str
    sent_at: datetime
    accepted_at: datetime | None
    member_name: str | None
    status: str


def invitation_rows(session: Session, organisation: Organisation,
                    now: datetime) -> list[InvitationRow]:
    """The organisation's invitations, newest first, each with its status: three queries."""
    rows = session.execute(
        select(Invitation.id, Invitation.email, Invitation.sent_at, Invitation.accepted_at,
               Invitation.user_id, User.id, User.name)
        .outerjoin(User, and_(User.organisation_id == Invitation.organisation_id,
                              or_(User.id == Invitation.user_id, User.email == Invitation.email)))
        .where(Invitation.organisation_id == organisation.id)
        .order_by(Invitation.sent_at.desc(), Invitation.id.desc())).all()
    members = select(User.id).where(User.organisation_id == organisation.id).scalar_subquery()
    started = set(session.scalars(union(
        select(Enrollment.user_id).where(Enrollment.user_id.in_(members)),
        select(LessonProgress.user_id).where(LessonProgress.user_id.in_(members)))))
    certified = set(session.scalars(_certified_members(organisation, now)))
    chosen: dict[int, tuple] = {}
    for row in rows:
        current = chosen.get(row[0])
        if current is None or (row[5] is not None and row[5] == row[4]):
            chosen[row[0]] = row
    return [InvitationRow(id=row[0], email=row[1], sent_at=row[2], accepted_at=row[3],
                          member_name=row[6], status=_status(row[5], started, certified))
            for row in chosen.values()]


def _certified_members(organisation: Organisation, now: datetime):
    """SQL: the members holding an active certificate that has not expired."""
    return (select(Certificate.user_id).distinct()
            .join(User, User.id == Certificate.user_id)
            .where(User.organisation_id == organisation.id, Certificate.status == ACTIVE,
                   or_(Certificate.expires_at.is_(None), Certificate.expires_at > now)))


def _status(member_id: int | None, started: set[int], certified: set[int]) -> str:
    if member_id is None:
        return "invited"
    if member_id in certified:
        return "certified"
    return "started" if member_id in started else "joined"


def status_counts(rows: Iterable[InvitationRow]) -> dict[str, int]:
    """How many invitations are at each status (every status listed, zero included)."""
    counts = Counter(row.status for row in rows)
    return {status: counts.get(status, 0) for status in STATUSES}
