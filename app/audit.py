"""Recording audit events; every area calls record() for changes worth tracing."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import AuditEvent, User


def record(session: Session, actor: User | None, action: str, target_type: str, target_id,
           summary: str = "", **details) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None, action=action,
        target_type=target_type, target_id=str(target_id), summary=summary, details=details,
    )
    session.add(event)
    return event
