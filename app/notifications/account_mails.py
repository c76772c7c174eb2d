"""The mails about an account: password reset, address verification and changes."""
from __future__ import annotations
