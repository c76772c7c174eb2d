"""Which optional mails a learner takes, and the signed one-click unsubscribe links."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from app.audit import record
from app.models import User
from app.models.notifications import OPTIONAL_CATEGORIES

_SALT = "mail-unsubscribe"

#: what each optional category is, in the words of the preferences form
CATEGORY_LABELS = {
    "reminders": _l("Reminders before a certificate expires"),
    "nudges": _l("Reminders from your organisation to continue a course"),
    "digests": _l("The weekly digest for HR"),
}


def unsubscribe_token(secret: str, user: User, category: str) -> str:
    """A token that turns `category` off for `user`: it does nothing else, and never expires
    (a mail may be opened long after it was sent)."""
    return URLSafeSerializer(secret, salt=_SALT).dumps([user.id, category])


def read_unsubscribe_token(secret: str, token: str) -> tuple[int, str] | None:
    """(user id, category) of a genuine token, else None."""
    try:
        user_id, category = URLSafeSerializer(secret, salt=_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or category not in OPTIONAL_CATEGORIES:
        return None
    return user_id, category


def set_mail_preferences(session: Session, user: User, wanted: dict[str, bool],
                         actor: User | None = None) -> list[str]:
    """Turn optional categories on or off; the categories changed (audited)."""
    changed = []
    for category, on in wanted.items():
        if category not in OPTIONAL_CATEGORIES:
            raise ValueError(f"unknown mail category {category!r}")
        if user.wants_mail(category) != bool(on):
            setattr(user, f"mail_{category}", bool(on))
            changed.append(category)
    if changed:
        record(session, actor or user, "user.mail_preferences", "user", user.id,
               "Mail preferences changed",
               **{category: user.wants_mail(category) for category in changed})
    return changed
