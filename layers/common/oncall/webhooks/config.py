"""Outgoing webhooks: configuration with OnCall's rules (unique names, templates that compile, masked secrets
that keep their stored value when sent back), the triggers other code calls (an escalation step's
`trigger_webhook`, personal notification rules), and a person's test send and resend.
Delivery itself is in webhook_delivery."""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from oncall.groups.actions import ActionDeps
from oncall.groups.events import GroupEvent, GroupEventType
from oncall.models import SYSTEM, Actor, Webhook, WebhookResponse, WebhookTrigger
from oncall.platform import ids
from oncall.platform.clock import Clock
from oncall.platform.errors import NotFoundError, ValidationError
from oncall.platform.masking import (
    MASK,
    MaskedValueError,
    header_problem,
    is_harmless_header,
    mask_headers,
    origin,
    parse_headers,
    unmask,
)
from oncall.storage.protocols import ConfigurationStore, PeopleStore, WebhookNameTakenError, WebhookStore
from oncall.templates.engine import check_syntax
from oncall.webhooks.delivery import SAMPLE_EVENT, DeliveryDeps, send_now
from oncall.webhooks.requests import SECRET_MASK, WebhookIn, WebhookPatch

_TEMPLATE_FIELDS = ("url", "headers", "data", "trigger_template")
_SECRETS = ("password", "authorization_header")


class WebhookReferenceStore(ConfigurationStore, PeopleStore, Protocol):
    """What a webhook names: integrations (its filter) and a team."""


class WebhookConfigStore(WebhookStore, WebhookReferenceStore, Protocol):
    """Saving a webhook checks what it names."""


def _harmless_headers_only(text: str | None) -> str | None:
    parsed = parse_headers(text)
    if not parsed:
        return None
    kept = {k: v for k, v in parsed.items() if is_harmless_header(k)}
    return json.dumps(kept) if kept else None


def _unmask_headers(sent: str | None, stored: str | None, *, same_origin: bool) -> str | None:
    """Headers sent back with masked values keep the stored values, on the same origin only."""
    if sent is None or MASK not in sent:
        return sent
    if not same_origin:
        raise _field_error(
            "headers",
            "The target changed: send the header values again (masked values are kept "
            "only for the same scheme, host and port).",
        )
    if sent == mask_headers(stored):
        return stored
    parsed, kept = parse_headers(sent), parse_headers(stored) or {}
    if parsed is None:
        raise _field_error("headers", f"contains the mask {MASK!r}: send the real values, or exactly what was read")
    by_name = {k.lower(): v for k, v in kept.items()}
    merged: dict[str, Any] = {}
    for name, value in parsed.items():
        if value == MASK:
            if name.lower() not in by_name:
                raise _field_error("headers", f"'{name}' is masked but no value is stored for it: send the value")
            merged[name] = by_name[name.lower()]
        elif isinstance(value, str) and MASK in value:
            raise _field_error("headers", f"'{name}' contains the mask {MASK!r}: send the real value")
        else:
            merged[name] = value
    return json.dumps(merged)


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", {field: [message]})


def _values(request: WebhookPatch, fields: set[str]) -> dict[str, Any]:
    values = request.model_dump(include=fields)
    if "team" in values:
        values["team_id"] = values.pop("team")
    if "integration_filter" in values:
        values["integration_filter"] = values["integration_filter"] or []
    if values.get("preset") == "simple_webhook":
        values.update(http_method="POST", forward_all=True, trigger_type=WebhookTrigger.ESCALATION)
    return values


def _check(webhook: Webhook, store: WebhookReferenceStore) -> None:
    for field in _TEMPLATE_FIELDS:
        text = getattr(webhook, field)
        if text and (error := check_syntax(text)):
            raise _field_error(field, error)
    if "{" not in webhook.url and not webhook.url.strip().lower().startswith(("http://", "https://")):
        raise _field_error("url", "Must be an http:// or https:// URL (or a template that renders one).")
    if webhook.headers:
        parsed = parse_headers(webhook.headers)
        if parsed is None and "{%" not in webhook.headers and "{{" not in webhook.headers:
            raise _field_error("headers", "Must be a JSON object of header names to values (or a template).")
        for name, value in (parsed or {}).items():
            text = value if isinstance(value, str) else json.dumps(value)
            if "{{" in name + text or "{%" in name + text:
                continue  # templated: checked once rendered, at delivery
            if problem := header_problem(name, text):
                raise _field_error("headers", f"{problem}.")
    for field in ("authorization_header", "username", "password"):
        value = getattr(webhook, field)
        if value and re.search(r"[\r\n\x00]", value):
            raise _field_error(field, "May not contain a line break or NUL.")
    missing = [i for i in webhook.integration_filter if store.get_integration(i) is None]
    if missing:
        raise _field_error("integration_filter", f"Integration {missing[0]} does not exist.")
    if webhook.team_id and store.get_team(webhook.team_id) is None:
        raise _field_error("team", f"Team {webhook.team_id} does not exist.")


def _save(webhook: Webhook, store: WebhookConfigStore, previous_name: str | None = None) -> Webhook:
    _check(webhook, store)
    try:
        store.put_webhook(webhook, previous_name=previous_name)
    except WebhookNameTakenError:
        raise _field_error("name", f"An outgoing webhook named '{webhook.name}' already exists.") from None
    return webhook


def create_webhook(request: WebhookIn, *, store: WebhookConfigStore, clock: Clock) -> Webhook:
    values = _values(request, set(WebhookIn.model_fields))
    for secret in _SECRETS:
        if values.get(secret) == SECRET_MASK:  # nothing stored yet to keep
            values[secret] = None
    try:
        values["url"] = unmask(values["url"], None)
    except MaskedValueError as error:
        raise _field_error("url", f"{error}.") from None
    values["headers"] = _unmask_headers(values.get("headers"), None, same_origin=True)
    webhook = Webhook(id=ids.public_id(ids.PREFIX_WEBHOOK), created_at=clock.now(), **values)
    return _save(webhook, store)


def update_webhook(webhook_id: str, request: WebhookPatch, *, replace: bool, store: WebhookConfigStore) -> Webhook:
    """PUT (`replace`: omitted fields return to their defaults) or PATCH (only the fields sent change).
    A secret sent back as the mask keeps its stored value, but only while the target's origin (scheme, host,
    port) stays the same: a new origin drops every secret the request does not supply again (password,
    authorization header, header values; URL credentials come with the new URL)."""
    current = get_webhook(webhook_id, store)
    values = _values(request, set(WebhookIn.model_fields) if replace else set(request.model_fields_set))
    if "url" in values:
        try:
            values["url"] = unmask(values["url"], current.url)
        except MaskedValueError as error:
            raise _field_error("url", f"{error}.") from None
    # A secret is for the target it was configured for: a new scheme, host or port keeps none of them.
    same_origin = origin(values.get("url", current.url)) == origin(current.url)
    for secret in _SECRETS:
        if values.get(secret) == SECRET_MASK:
            if not same_origin:
                raise _field_error(
                    secret,
                    "The target changed: send it again, or null (a masked value keeps the stored one only for "
                    "the same scheme, host and port).",
                )
            values[secret] = getattr(current, secret)
        elif secret not in values and not same_origin:
            values[secret] = None
    if "headers" in values:
        values["headers"] = _unmask_headers(values["headers"], current.headers, same_origin=same_origin)
    elif not same_origin:
        values["headers"] = _harmless_headers_only(current.headers)
    if replace:
        values.setdefault("integration_filter", [])
    updated = Webhook.model_validate({**current.model_dump(), **values})
    return _save(updated, store, previous_name=current.name)


def get_webhook(webhook_id: str, store: WebhookStore) -> Webhook:
    webhook = store.get_webhook(webhook_id)
    if webhook is None:
        raise NotFoundError()
    return webhook


def delete_webhook(webhook_id: str, store: WebhookStore) -> None:
    get_webhook(webhook_id, store)
    store.delete_webhook(webhook_id)


# ------------------------------------------------------------------------------------------ triggers
def trigger_escalation_webhook(
    webhook_id: str, group_id: str, *, deps: ActionDeps, event_id: str | None = None
) -> None:
    """An escalation step's `trigger_webhook`: publish an "escalation" event aimed at this one webhook.
    `event_id` (optional) makes a retried step publish the same event, so it is delivered once."""
    group = deps.store.get_group(group_id)
    if group is None:
        return
    if deps.store.get_webhook(webhook_id) is None:
        raise NotFoundError(f"Outgoing webhook {webhook_id} does not exist.")
    extra = {"id": event_id} if event_id else {}
    deps.events.publish(
        GroupEvent(
            type=GroupEventType.ESCALATION,
            group_id=group.id,
            integration_id=group.integration_id,
            at=deps.clock.now(),
            actor=SYSTEM,
            data={"webhook_id": webhook_id},
            **extra,
        )
    )


def trigger_personal_notification_webhooks(
    group_id: str, user_id: str, *, deps: ActionDeps, webhook_id: str | None = None, event_id: str | None = None
) -> None:
    """A personal notification rule notified `user_id`: fire the "personal notification" webhooks (or only
    `webhook_id`). The event data's `event.user` is that user."""
    group = deps.store.get_group(group_id)
    if group is None:
        return
    data: dict[str, Any] = {"user_id": user_id}
    if webhook_id:
        data["webhook_id"] = webhook_id
    extra = {"id": event_id} if event_id else {}
    deps.events.publish(
        GroupEvent(
            type=GroupEventType.PERSONAL_NOTIFICATION,
            group_id=group.id,
            integration_id=group.integration_id,
            at=deps.clock.now(),
            actor=SYSTEM,
            data=data,
            **extra,
        )
    )


# ------------------------------------------------------------------------------------------ by a person
def send_test_event(webhook_id: str, actor: Actor, deps: DeliveryDeps) -> WebhookResponse:
    """Send a sample event now: the webhook's own trigger, about the newest alert group it would see (or
    a made-up one when there is none)."""
    webhook = get_webhook(webhook_id, deps.store)
    groups = deps.store.list_groups()
    group = next(
        (g for g in groups if not webhook.integration_filter or g.integration_id in webhook.integration_filter),
        None,
    )
    event = GroupEvent(
        type=SAMPLE_EVENT[webhook.trigger_type],
        group_id=group.id if group else "",
        integration_id=group.integration_id if group else "",
        at=deps.clock.now(),
        actor=actor,
        data={"webhook_id": webhook.id, "test": True},
    )
    return send_now(webhook, event, trigger="test", deps=deps)


def resend(webhook_id: str, response_id: str, deps: DeliveryDeps) -> WebhookResponse:
    """Deliver the event of a logged attempt again (a person decided to: no at-most-once claim)."""
    webhook = get_webhook(webhook_id, deps.store)
    logged = deps.store.get_webhook_response(webhook_id, response_id)
    if logged is None:
        raise NotFoundError()
    if not logged.event:
        raise ValidationError("This response has no event to resend.")
    return send_now(webhook, GroupEvent.model_validate(logged.event), trigger="resend", deps=deps)
