"""The outgoing webhooks' write models (OnCall public API v1 field names): validated here, in the domain
that applies them; the API takes them as request bodies."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from oncall.models import WebhookTrigger, WebhookTriggerName
from oncall.platform.bodies import RefId, RequestBody

# Shown instead of a stored password or authorization header; sent back unchanged, it keeps the stored value.
SECRET_MASK = "****************"
WebhookMethod = Literal["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
_TEMPLATE_MAX = 50_000


class WebhookPatch(RequestBody):
    """PATCH: only the fields sent change. Also the base of WebhookIn (PUT/POST)."""

    name: str | None = Field(default=None, min_length=1, max_length=150)
    url: str | None = Field(default=None, min_length=1, max_length=_TEMPLATE_MAX)
    trigger_type: WebhookTriggerName | None = None
    is_webhook_enabled: bool | None = None
    http_method: WebhookMethod | None = None
    headers: str | None = Field(default=None, max_length=_TEMPLATE_MAX)
    data: str | None = Field(default=None, max_length=_TEMPLATE_MAX)
    forward_all: bool | None = None
    username: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=1000)
    authorization_header: str | None = Field(default=None, max_length=4000)
    trigger_template: str | None = Field(default=None, max_length=_TEMPLATE_MAX)
    integration_filter: list[RefId] | None = Field(default=None, max_length=500)
    team: RefId | None = None
    preset: Literal["simple_webhook", "advanced"] | None = None
    timeout_seconds: int | None = Field(default=None, ge=1, le=20)
    max_retries: int | None = Field(default=None, ge=0, le=10)

    @field_validator("http_method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "name",
        "url",
        "trigger_type",
        "is_webhook_enabled",
        "http_method",
        "forward_all",
        "timeout_seconds",
        "max_retries",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        """Sent as null (only sent values are validated): these fields have no "nothing"."""
        if value is None:
            raise PydanticCustomError("null", "This field may not be null")
        return value


class WebhookIn(WebhookPatch):
    """POST and PUT: the whole webhook; omitted fields take their defaults."""

    name: str = Field(min_length=1, max_length=150)
    url: str = Field(min_length=1, max_length=_TEMPLATE_MAX)
    trigger_type: WebhookTriggerName = WebhookTrigger.ESCALATION.value
    is_webhook_enabled: bool = True
    http_method: WebhookMethod = "POST"
    forward_all: bool = True
    timeout_seconds: int = Field(default=10, ge=1, le=20)
    max_retries: int = Field(default=3, ge=0, le=10)
