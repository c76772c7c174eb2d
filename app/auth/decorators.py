"""Access rules for views."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def role_required(*roles: str):
    """Let in users holding any of `roles` (admins always); anonymous users go to the login page."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles, "admin"):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator
