"""Domain exceptions. Every one maps to exactly one HTTP status in `web.ERROR_STATUS`."""

from __future__ import annotations

from typing import Any


class OnCallError(Exception):
    """Base of every domain error; `detail` is safe to show to the client."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def extra_body(self) -> dict[str, Any]:
        """Fields the JSON error body carries besides `detail`."""
        return {}

    def headers(self) -> dict[str, str]:
        return {}


class NotFoundError(OnCallError):
    def __init__(self, detail: str = "Not found.") -> None:
        super().__init__(detail)


class ValidationError(OnCallError):
    """Bad input the client can fix (400). `fields` maps field names to messages when known."""

    def __init__(self, detail: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.fields = fields or {}

    def extra_body(self) -> dict[str, Any]:
        return dict(self.fields)


class ConflictError(ValidationError):
    """A request that contradicts the current state (OnCall answers these with 400 too)."""


class TokenTakenError(OnCallError):
    """An integration token given on create already belongs to another integration (409, never overwritten)."""


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


class RateLimitedError(OnCallError):
    """The integration's ingest rate limit is exhausted for the current window (429 with Retry-After)."""

    def __init__(self, detail: str, *, limit: dict[str, int], retry_after: int) -> None:
        super().__init__(detail)
        self.limit = limit
        self.retry_after = retry_after

    def extra_body(self) -> dict[str, Any]:
        return {"limit": self.limit, "retry_after": self.retry_after}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class ApiRateLimitedError(RateLimitedError):
    """An API token used up its requests for the current minute (429, OnCall's shape: `detail` only, plus the
    `RateLimit-Reset` and `Retry-After` headers in seconds)."""

    def __init__(self, detail: str, *, limit: int, retry_after: int) -> None:
        super().__init__(detail, limit={"requests": limit, "per_seconds": 60}, retry_after=retry_after)

    def extra_body(self) -> dict[str, Any]:
        return {}

    def headers(self) -> dict[str, str]:
        return {"RateLimit-Reset": str(self.retry_after), "Retry-After": str(self.retry_after)}


class StorageUnavailableError(OnCallError):
    """AWS failed while accepting something; the sender must retry (5xx)."""


UNAVAILABLE_DETAIL = "The service is temporarily unavailable; please retry."


class ServiceUnavailableError(OnCallError):
    """An AWS service behind an adapter (DynamoDB behind the store, SQS behind the ingest queue) failed or
    refused a request. Callers that can degrade or retry catch it by name; anywhere else it is a 503 whose body
    only says "retry" (`detail`), while `str()` (what the log shows) says what failed and why."""

    def __init__(self, message: str) -> None:
        super().__init__(UNAVAILABLE_DETAIL)
        self.message = message

    def __str__(self) -> str:
        return self.message


class SnsVerificationError(PermissionDeniedError):
    """An Amazon SNS delivery whose signature (or signing certificate) could not be verified (403)."""


class UpstreamError(OnCallError):
    """A service we depend on for this request (Amazon SNS, an iCal feed) failed or did not answer (502); the
    detail says which, without secrets. Senders retry."""
