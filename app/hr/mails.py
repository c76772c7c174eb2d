"""The mails HR sends or receives: invitations, nudges and the weekly digest."""
from __future__ import annotations
