"""Domain exceptions. Every one maps to exactly one HTTP status in `http_errors.ERROR_STATUS`."""

from __future__ import annotations


class OnCallError(Exception):
    """Base of every domain error; `detail` is safe to show to the client."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(OnCallError):
    def __init__(self, detail: str = "Not found.") -> None:
        super().__init__(detail)


class ValidationError(OnCallError):
    """Bad input the client can fix (400). `fields` maps field names to messages when known."""

    def __init__(self, detail: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.fields = fields or {}


class ConflictError(ValidationError):
    """A request that contradicts the current state (OnCall answers these with 400 too)."""


class AuthenticationError(OnCallError):
    pass


class PermissionDeniedError(OnCallError):
    pass


class ActionLinkError(OnCallError):
    """A signed action link that was tampered with, names an unknown action or has expired (403)."""


class IntegrationTokenError(OnCallError):
    """Unknown integration token on the ingest path (403, as OnCall)."""


class IntegrationTypeMismatchError(OnCallError):
    pass


class PayloadTooLargeError(OnCallError):
    pass


class UnsupportedMethodError(OnCallError):
    pass


class StorageUnavailableError(OnCallError):
    """AWS failed while accepting something; the sender must retry (5xx)."""
