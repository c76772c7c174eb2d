"""The refusals of the webhooks area."""
from __future__ import annotations

from app.domain import DomainError


class WebhookError(DomainError):
    """A webhook change was refused; the message says why."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class EndpointRefused(WebhookError):
    """The endpoint's address or subscriptions cannot be used."""


class WebhookNotFound(WebhookError):
    status_code = 404
