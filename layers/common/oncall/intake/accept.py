"""Accepting alerts: resolve the integration from the URL, turn the body into a payload, store it, then
enqueue it. A 2xx goes back only after both succeeded (decision 2,
docs/decisions/0002-ingest-acknowledges-only-what-is-durable.md)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qs

from oncall.configuration.cache import ConfigCache
from oncall.intake.queue import AlertQueue, QueueUnavailableError
from oncall.intake.types.catalog import get_type, url_slug_accepts
from oncall.models import Alert, IngestMessage, Integration
from oncall.platform import ids, json_bodies
from oncall.platform.clock import Clock
from oncall.platform.errors import (
    IntegrationTokenError,
    IntegrationTypeMismatchError,
    PayloadTooLargeError,
    StorageUnavailableError,
    ValidationError,
)
from oncall.storage.protocols import GroupStore, ItemTooLargeError, StoreRequestError


@dataclass(frozen=True)
class IngestRequest:
    url_slug: str
    token: str
    body: bytes
    content_type: str
    request_id: str


# Our tokens are 25 characters (OnCall's too); anything much longer is not one, and looking it up would be a
# DynamoDB ValidationException (keys are at most 2048 bytes), i.e. a 5xx for a typo.
MAX_TOKEN_LENGTH = 200


def find_integration(url_slug: str, token: str, config: ConfigCache) -> Integration:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise IntegrationTokenError("Integration key was not found. Permission denied.")
    integration = config.integration_by_token(token)
    if integration is None:
        raise IntegrationTokenError("Integration key was not found. Permission denied.")
    if not url_slug_accepts(url_slug, integration.type):
        kind = get_type(integration.type)
        hint = f"/integrations/v1/{kind.url_slug}/{token[:4]}…/" if kind and kind.has_ingest_url else "no ingest URL"
        raise IntegrationTypeMismatchError(
            f"This URL is for '{url_slug}' integrations, but the token belongs to a '{integration.type}' "
            f"integration (its URL is {hint})."
        )
    return integration


def is_json_media_type(content_type: str) -> bool:
    """application/json, text/json and any structured `+json` type (application/vnd.api+json)."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in ("application/json", "text/json") or media_type.endswith("+json")


def parse_payload(body: bytes, content_type: str, max_bytes: int) -> dict[str, Any]:
    """JSON and form bodies become the payload; any other body becomes {"message": <text>}.

    A body that claims to be JSON (its Content-Type) and does not parse is refused (400, saying where it
    breaks), so the sender learns its payload is broken; text that merely looks like JSON but is not is kept as
    text. JSON nested deeper than json_bodies.MAX_NESTING is refused whatever its content type. Every parser
    error is a ValidationError (400), never a 5xx."""
    if len(body) > max_bytes:
        raise PayloadTooLargeError(f"Request body is {len(body)} bytes; the limit is {max_bytes} bytes.")
    if not body.strip():
        raise ValidationError("Payload is required.")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        return _form_payload(body)
    if media_type == "multipart/form-data":
        return _multipart_payload(body, content_type)
    text = body.decode("utf-8", errors="replace")
    try:
        parsed = json_bodies.loads(text)
    except ValueError as error:
        if is_json_media_type(content_type):
            raise ValidationError(
                f"The body is not valid JSON (Content-Type: {media_type}): {error}. "
                "Send valid JSON, or send text with Content-Type: text/plain."
            ) from None
        return {"message": text}
    if isinstance(parsed, dict):
        return parsed
    # Valid JSON that is not an object (a list, a string): keep the text and the structure.
    return {"message": text, "data": parsed}


def _form_payload(body: bytes) -> dict[str, Any]:
    try:
        fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    except ValueError as error:  # parse_qs refuses some separators and field counts
        raise ValidationError(f"Malformed form body: {error}.") from None
    return {key: values[0] if len(values) == 1 else values for key, values in fields.items()}


def _multipart_payload(body: bytes, content_type: str) -> dict[str, Any]:
    from email.policy import HTTP  # rare: a multipart body (email.policy adds its header parsers to cold start)

    try:
        return _multipart_fields(BytesParser(policy=HTTP), body, content_type)
    except ValidationError:
        raise
    except Exception as error:  # noqa: BLE001 - the email parser raises many kinds; each is a malformed body
        raise ValidationError(f"Malformed multipart body ({type(error).__name__}).") from None


def _multipart_fields(parser, body: bytes, content_type: str) -> dict[str, Any]:
    header = b"Content-Type: " + content_type.encode("utf-8", errors="replace") + b"\r\n\r\n"
    message = parser.parsebytes(header + body)
    if not message.is_multipart():
        raise ValidationError("Malformed multipart body.")
    payload: dict[str, Any] = {}
    for part in message.iter_parts():
        if part.get_filename():
            raise ValidationError("File uploads are not allowed.")
        name = part.get_param("name", header="content-disposition")
        if name:
            payload[str(name)] = _text_part(part) if part.get_content_maintype() == "text" else ""
    if not payload:
        raise ValidationError("Payload is required.")
    return payload


def _text_part(part) -> str:
    """A text field in its declared charset; an unknown charset is read as UTF-8 (never an error)."""
    raw = part.get_payload(decode=True) or b""
    try:
        return raw.decode(part.get_content_charset() or "utf-8", errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def normalize_payload(integration: Integration, payload: dict[str, Any]) -> dict[str, Any]:
    """Alertmanager-shaped ("v2") integrations get numFiring/numResolved, counted from alerts[].status,
    when the sender did not include numFiring (docs/oncall-compatibility.md#integration-types). The shape is
    not validated: a body without an alerts list counts zero of each."""
    kind = get_type(integration.type)
    if not (kind and kind.counts_alertmanager_alerts) or "numFiring" in payload:
        return payload
    alerts = payload.get("alerts")
    statuses = [a.get("status") for a in alerts if isinstance(a, dict)] if isinstance(alerts, list) else []
    return {**payload, "numFiring": statuses.count("firing"), "numResolved": statuses.count("resolved")}


def accept_alert(
    integration: Integration,
    payload: dict[str, Any],
    request_id: str,
    *,
    store: GroupStore,
    queue: AlertQueue,
    clock: Clock,
    is_demo: bool = False,
    alert_id: str | None = None,
) -> Alert:
    """`alert_id`: chosen by the caller when a retry must not create a second alert (heartbeat alerts)."""
    alert = Alert(
        id=alert_id or ids.public_id(ids.PREFIX_ALERT),
        integration_id=integration.id,
        payload=normalize_payload(integration, payload),
        received_at=clock.now(),
        request_id=request_id,
        is_demo=is_demo,
    )
    try:
        store.put_alert(alert)
    except ItemTooLargeError as error:
        # A body under the limit can still grow past DynamoDB's 400 KB item limit once stored (non-ASCII
        # text and control characters are escaped): refused for good, not "retry" forever.
        raise PayloadTooLargeError(
            "The alert is too large to store once encoded (DynamoDB's 400 KB item limit); "
            "send a smaller body (non-ASCII text and control characters take up to 6 bytes each)."
        ) from error
    except StoreRequestError as error:
        raise StorageUnavailableError("Could not store the alert; please retry.") from error
    try:
        queue.send(IngestMessage(alert_id=alert.id, integration_id=integration.id), deduplication_id=request_id)
    except QueueUnavailableError as error:
        _forget(store, alert)
        raise StorageUnavailableError("Could not enqueue the alert; please retry.") from error
    return alert


def _forget(store: GroupStore, alert: Alert) -> None:
    """Best effort: an alert that was never enqueued was never accepted (the sender retries it)."""
    with contextlib.suppress(StoreRequestError):
        store.delete_alert(alert.id)
