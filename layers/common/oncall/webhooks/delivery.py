"""Delivering outgoing webhooks (docs/oncall-compatibility.md#outgoing-webhooks) for alert-group events.

An event message on the events queue goes to `fan_out`, which enqueues one delivery message per webhook the
event triggers. `deliver` makes one attempt of one delivery:

1. claim (webhook, event, attempt) with a conditional write: a redelivered SQS message finds it claimed and
   stops, so an event reaches a webhook at most once (each retry is its own claimed attempt);
2. build the event data (docs/oncall-compatibility.md#outgoing-webhooks: event, user, alert_group,
   alert_payload, integration, responses, …), and on the
   first attempt evaluate the trigger template (it runs only if the output, lower-cased, is "true" or "1");
3. render url (raw data), headers and data (JSON-escaped data); send through the SSRF-guarded client with an
   `Idempotency-Key` that is the same for every attempt of (event, webhook);
4. 2xx is delivered; timeouts, connection errors, 5xx, 408 and 429 are retried with an exponential SQS delay
   until `max_retries` retries are used; other 4xx, blocked targets, TLS and template errors are final.
   Every attempt is logged (the webhook's responses) and final failures go on the group's timeline.

A person's explicit test or resend (`send_now`) skips the claim: it is allowed to deliver again.
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Protocol
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from pydantic import BaseModel, Field, TypeAdapter

from oncall.configuration.cache import ConfigCache
from oncall.groups import timeline
from oncall.groups.events import (
    _EVENT_TRIGGERS,
    EventMessage,
    GroupEvent,
    GroupEventType,
    is_triggered,
)
from oncall.groups.presentation import present_alert_group, presentable_payload
from oncall.intake.types.catalog import get_type
from oncall.models import (
    Actor,
    Alert,
    AlertGroup,
    Integration,
    User,
    Webhook,
    WebhookResponse,
    WebhookTrigger,
)
from oncall.monitoring import maintenance
from oncall.platform import aws, ids
from oncall.platform.clock import Clock, api_time
from oncall.platform.masking import header_problem, is_harmless_header, mask_url
from oncall.platform.netguard import HttpResult, TargetError
from oncall.storage.protocols import ConfigurationStore, GroupStore, PeopleStore, Store, WebhookStore
from oncall.templates.engine import render
from oncall.webhooks.loops import HOP_HEADER
from oncall.webhooks.requests import SECRET_MASK

CONTENT_LIMIT = 50_000  # characters of a response body (and of the request body) kept in the log
_BYTES_LIMIT = 120_000  # and at most this many bytes of each, so a log item stays far below DynamoDB's 400 KB
BODY_RENDER_LIMIT = 256 * 1024
MAX_SQS_DELAY_SECONDS = 900
RETRYABLE_STATUSES = frozenset({408, 429})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
USER_AGENT = "Serverless-OnCall-Webhooks/1"

# A test send pretends to be this event for each trigger type.
SAMPLE_EVENT: dict[WebhookTrigger, GroupEventType] = {
    **{trigger: event for event, trigger in _EVENT_TRIGGERS.items()},
    WebhookTrigger.STATUS_CHANGE: GroupEventType.ACKNOWLEDGED,
}


# ------------------------------------------------------------------------------------------ messages
class DeliveryMessage(BaseModel):
    """One attempt of delivering one event to one webhook."""

    kind: Literal["delivery"] = "delivery"
    event: GroupEvent
    webhook_id: str
    attempt: int = 1


_MESSAGE = TypeAdapter(Annotated[EventMessage | DeliveryMessage, Field(discriminator="kind")])


def parse_message(body: str) -> EventMessage | DeliveryMessage:
    return _MESSAGE.validate_json(body)


class DeliveryQueue(Protocol):
    def send(self, message: DeliveryMessage, delay_seconds: int = 0) -> None: ...


class SqsDeliveryQueue:
    """Delivery messages go to the events queue too (one queue, one consumer)."""

    def __init__(self, queue_url: str) -> None:
        self._url = queue_url

    def send(self, message: DeliveryMessage, delay_seconds: int = 0) -> None:
        aws.client("sqs").send_message(
            QueueUrl=self._url, MessageBody=message.model_dump_json(), DelaySeconds=int(delay_seconds)
        )


class HttpSender(Protocol):
    def request(
        self, method: str, url: str, *, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResult: ...


@dataclass(frozen=True)
class DeliveryDeps:
    store: Store
    config: ConfigCache
    clock: Clock
    queue: DeliveryQueue
    http: HttpSender
    base_url: str = ""
    retry_base_seconds: float = 10.0
    hop: str = ""  # this deployment's marker, sent as X-OnCall-Hop (loops.py)


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"
    SKIPPED = "skipped"  # disabled, deleted, or the trigger template said no
    DUPLICATE = "duplicate"  # this attempt was claimed before (a redelivered message)


@dataclass(frozen=True)
class Report:
    outcome: Outcome
    webhook_id: str
    attempt: int
    response: WebhookResponse | None = None


# ------------------------------------------------------------------------------------------ matching
def trigger_template_allows(webhook: Webhook, data: dict[str, Any]) -> bool:
    """No template: run. Otherwise run only if the output lower-cased (not stripped) is "true" or "1"."""
    if not webhook.trigger_template:
        return True
    rendered = render(webhook.trigger_template, data)
    return rendered.ok and (rendered.text or "").lower() in ("true", "1")


def fan_out(event: GroupEvent, deps: DeliveryDeps) -> list[str]:
    """Enqueue the first attempt for every webhook this event triggers; returns their ids."""
    matched = [w.id for w in deps.config.webhooks() if is_triggered(w, event)]
    for webhook_id in matched:
        deps.queue.send(DeliveryMessage(event=event, webhook_id=webhook_id, attempt=1))
    return matched


# ------------------------------------------------------------------------------------------ event data
class SubjectStore(ConfigurationStore, GroupStore, PeopleStore, WebhookStore, Protocol):
    """An event's subjects: its group and alerts, integration, the people named, the latest responses."""


@dataclass(frozen=True)
class Subjects:
    """What an event is about, read once per attempt."""

    group: AlertGroup | None
    integration: Integration | None
    first_alert: Alert | None
    event_alert: Alert | None
    users: dict[str, User]
    responses: dict[str, str]
    sample: bool = False
    last_alert: Alert | None = None  # the group's latest alert (what GET /alert_groups/<id> shows)


def load_subjects(event: GroupEvent, store: SubjectStore) -> Subjects:
    group = store.get_group(event.group_id) if event.group_id else None
    integration = store.get_integration(event.integration_id) if event.integration_id else None
    first_alert = store.get_alert(group.first_alert_id) if group else None
    alert_id = event.alert_id or (group.last_alert_id if group else None)
    event_alert = store.get_alert(alert_id) if alert_id else None
    user_ids = {event.actor.user_id if event.actor else None, event.data.get("user_id")}
    if group:
        for actor in (group.acknowledged_by, group.resolved_by_actor):
            user_ids.add(actor.user_id if actor else None)
    users = {uid: user for uid in user_ids if uid and (user := store.get_user(uid)) is not None}
    responses = store.latest_webhook_responses(group.id) if group else {}
    last_alert = event_alert
    if group and group.last_alert_id and group.last_alert_id != alert_id:
        last_alert = store.get_alert(group.last_alert_id)
    return Subjects(group, integration, first_alert, event_alert, users, responses, last_alert=last_alert)


def sample_subjects(webhook: Webhook, store: ConfigurationStore, now: datetime) -> Subjects:
    """For a test send with no alert group to show: a made-up group of the first filtered integration."""
    integration_id = webhook.integration_filter[0] if webhook.integration_filter else ""
    integration = store.get_integration(integration_id) if integration_id else None
    alert = Alert(
        id="ASAMPLE",
        integration_id=integration_id,
        payload={"message": "This is a test event from Serverless OnCall."},
        received_at=now,
        request_id="sample",
    )
    group = AlertGroup(
        id="ISAMPLE",
        number=0,
        integration_id=integration_id,
        route_id="",
        title="Test event from Serverless OnCall",
        started_at=now,
        first_alert_id=alert.id,
        last_alert_id=alert.id,
    )
    return Subjects(group, integration, alert, alert, {}, {}, sample=True, last_alert=alert)


def _user(user: User | None) -> dict[str, Any] | None:
    return {"id": user.id, "username": user.username, "email": user.email} if user else None


def _actor_user(actor: Actor | None, users: dict[str, User]) -> dict[str, Any] | None:
    if actor is None or not actor.user_id:
        return None
    return _user(users.get(actor.user_id)) or {"id": actor.user_id, "username": actor.name, "email": None}


def event_data(
    event: GroupEvent, webhook: Webhook, subjects: Subjects, *, base_url: str, now: datetime
) -> dict[str, Any]:
    """The template context of a webhook (docs/oncall-compatibility.md#outgoing-webhooks), JSON-compatible
    throughout."""
    group = subjects.group
    if event.type in (GroupEventType.ESCALATION, GroupEventType.PERSONAL_NOTIFICATION):
        moment = now
    elif event.type == GroupEventType.CREATED and group is not None:
        moment = group.started_at
    else:
        moment = event.at
    described: dict[str, Any] = {"type": event.type.value, "time": api_time(moment)}
    if event.type == GroupEventType.SILENCED:
        described["until"] = api_time(group.silenced_until) if group and group.silenced else None
    notified = subjects.users.get(event.data.get("user_id") or "")
    if event.type == GroupEventType.PERSONAL_NOTIFICATION:
        described["user"] = _user(notified)
    integration = subjects.integration
    kind = get_type(integration.type) if integration else None
    responses: dict[str, Any] = {}
    for webhook_id, content in subjects.responses.items():
        if webhook_id != webhook.id:
            try:
                responses[webhook_id] = json.loads(content)
            except ValueError:
                responses[webhook_id] = content
    return {
        "event": described,
        "user": _actor_user(event.actor, subjects.users),
        # The group as GET /alert_groups/<id> shows it (its team is the integration's, its last alert the latest).
        "alert_group": present_alert_group(
            group, subjects.last_alert, base_url, team_id=integration.team_id if integration else None
        )
        if group
        else None,
        "alert_group_id": group.id if group else event.group_id,
        "alert_payload": presentable_payload(subjects.first_alert) if subjects.first_alert else {},
        # Ours (grafana/oncall#3395, #4978): the alert this event is about, or the group's latest alert.
        "latest_alert_payload": presentable_payload(subjects.event_alert) if subjects.event_alert else {},
        "integration": {
            "id": integration.id,
            "type": kind.url_slug if kind else integration.type,
            "name": integration.name,
            "team": integration.team_id,
        }
        if integration
        else None,
        "notified_users": [_user(notified)] if notified else [],
        "users_to_be_notified": [],
        "alert_group_acknowledged_by": _actor_user(group.acknowledged_by, subjects.users) if group else None,
        "alert_group_resolved_by": _actor_user(group.resolved_by_actor, subjects.users) if group else None,
        "responses": responses,
        "webhook": {"id": webhook.id, "name": webhook.name},
    }


def json_escaped(value: Any) -> Any:
    """A copy whose strings are JSON-escaped, so `"{{ alert_payload.x }}"` inside a JSON template stays valid
    JSON whatever the value contains (quotes, backslashes, newlines)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)[1:-1]
    if isinstance(value, dict):
        return {key: json_escaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_escaped(item) for item in value]
    return value


# ------------------------------------------------------------------------------------------ requests
class WebhookTemplateError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class PreparedRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None


def _has_header(headers: dict[str, str], name: str) -> bool:
    return any(key.lower() == name.lower() for key in headers)


def idempotency_key(event_id: str, webhook_id: str) -> str:
    """The same for every attempt of delivering one event to one webhook."""
    return f"{event_id}-{webhook_id}"


def _rendered_headers(webhook: Webhook, escaped: dict[str, Any]) -> dict[str, str]:
    if not webhook.headers:
        return {}
    rendered = render(webhook.headers, escaped)
    if not rendered.ok:
        raise WebhookTemplateError("headers", rendered.error or "")
    try:
        parsed = json.loads(rendered.text or "")
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise WebhookTemplateError("headers", "must render a JSON object")
    headers = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in parsed.items()}
    for name, value in headers.items():
        if problem := header_problem(name, value):  # rendered values are checked again: CR/LF, framing
            raise WebhookTemplateError("headers", problem)
    return headers


def prepare_request(webhook: Webhook, data: dict[str, Any], *, key: str, hop: str = "") -> PreparedRequest:
    url = render(webhook.url, data)
    if not url.ok:
        raise WebhookTemplateError("url", url.error or "")
    target = (url.text or "").strip()
    if not target:
        raise WebhookTemplateError("url", "the URL template rendered nothing")
    escaped = json_escaped(data)
    headers = _rendered_headers(webhook, escaped)
    if webhook.username and not webhook.authorization_header:
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        credentials = f"{webhook.username}:{webhook.password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
    if webhook.authorization_header:
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        headers["Authorization"] = webhook.authorization_header
    body: bytes | None = None
    content_type = "application/json"
    if webhook.http_method in _BODY_METHODS:
        if webhook.forward_all:
            body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        elif webhook.data:
            rendered = render(webhook.data, escaped, max_length=BODY_RENDER_LIMIT)
            if not rendered.ok:
                raise WebhookTemplateError("data", rendered.error or "")
            text = rendered.text or ""
            try:
                json.loads(text)
            except ValueError:
                content_type = "text/plain; charset=utf-8"
            body = text.encode("utf-8")
    if body is not None and not _has_header(headers, "Content-Type"):
        headers["Content-Type"] = content_type
    if not _has_header(headers, "Idempotency-Key"):
        headers["Idempotency-Key"] = key
    if not _has_header(headers, "User-Agent"):
        headers["User-Agent"] = USER_AGENT
    if hop:
        headers[HOP_HEADER] = hop  # our ingest refuses what carries it (loops.py)
    return PreparedRequest(webhook.http_method, target, headers, body)


def masked_headers(headers: dict[str, str]) -> dict[str, str]:
    """Every value masked but those of harmless headers (Content-Type, Accept, User-Agent, …)."""
    return {k: v if is_harmless_header(k) else SECRET_MASK for k, v in headers.items()}


def masked_url(url: str) -> str:
    """Where we sent, without credentials, path tokens or query values (as the webhook's URL reads)."""
    return mask_url(url)


_MIN_SECRET = 4  # shorter values are not worth hunting for in a body (and would mask half of it)
_SECRET_KEY = re.compile(r"token|key|secret|pass|auth|sig|code|session|cred", re.IGNORECASE)


def _token_like(text: str) -> bool:
    """A URL piece that looks like a credential (a Slack path token, an API key in the query) rather than a
    word: long, or a mix of letters and digits."""
    return len(text) >= 20 or (len(text) >= 8 and any(c.isdigit() for c in text) and any(c.isalpha() for c in text))


def secret_values(webhook: Webhook, request: PreparedRequest) -> list[str]:
    """Every secret value this request carries, in the forms a target may echo it back (as sent, JSON-escaped,
    URL-encoded), longest first: the webhook's password, authorization header and Basic credentials, every
    header value but harmless ones, and the URL's credentials, path segments and query values."""
    found: set[str] = set()
    for value in (webhook.password, webhook.authorization_header):
        if value:
            found.add(value)
    if webhook.username and webhook.password:
        basic = f"{webhook.username}:{webhook.password}"
        found |= {basic, base64.b64encode(basic.encode()).decode("ascii")}
    for name, value in request.headers.items():
        if not is_harmless_header(name):
            found.add(value)
            if value.lower().startswith(("basic ", "bearer ", "token ")):
                found.add(value.split(" ", 1)[1].strip())
    try:
        parts = urlsplit(request.url)
        found |= {parts.username or "", parts.password or ""}
        found |= {unquote(p) for p in parts.path.split("/") if _token_like(unquote(p))}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if _token_like(value) or _SECRET_KEY.search(key):
                found.add(value)
        if parts.username is not None:
            basic = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            found |= {basic, base64.b64encode(basic.encode()).decode("ascii")}
    except ValueError:
        pass
    variants = set()
    for value in found:
        if len(value.strip()) >= _MIN_SECRET:
            variants |= {value, json.dumps(value)[1:-1], quote(value, safe="")}
    return sorted((v for v in variants if len(v) >= _MIN_SECRET), key=len, reverse=True)


def scrub_secrets(text: str | None, secrets: list[str]) -> str | None:
    if not text:
        return text
    for secret in secrets:
        text = text.replace(secret, SECRET_MASK)
    return text


def clip(text: str | None) -> str | None:
    if text is None:
        return None
    clipped = text[:CONTENT_LIMIT]
    encoded = clipped.encode("utf-8")
    if len(encoded) > _BYTES_LIMIT:
        clipped = encoded[:_BYTES_LIMIT].decode("utf-8", errors="ignore")
    return clipped


def backoff_seconds(attempt: int, base: float) -> int:
    """The delay before the attempt after `attempt`: base, 2×base, 4×base, … (1 s to 900 s, SQS's limits)."""
    return int(min(MAX_SQS_DELAY_SECONDS, max(1, math.ceil(base * 2 ** (attempt - 1)))))


def _attempt(
    webhook: Webhook,
    event: GroupEvent,
    data: dict[str, Any],
    *,
    attempt: int,
    key: str,
    trigger: str,
    group_id: str | None,
    deps: DeliveryDeps,
) -> tuple[WebhookResponse, bool]:
    """Render and send once. Returns the logged response (outcome delivered or failed) and whether a
    failure is worth retrying."""
    now = deps.clock.now()
    logged: dict[str, Any] = {
        "id": ids.sortable_id(ids.PREFIX_WEBHOOK_RESPONSE, now),
        "webhook_id": webhook.id,
        "event_id": event.id,
        "event": event.model_dump(mode="json"),
        "group_id": group_id,
        "trigger": trigger,
        "attempt": attempt,
        "at": now,
        "method": webhook.http_method,
    }
    try:
        request = prepare_request(webhook, data, key=key, hop=deps.hop)
    except WebhookTemplateError as error:
        return WebhookResponse(**logged, error=f"Template error in {error}", outcome="failed"), False
    # The log is readable by viewers: every secret configured on the webhook is masked wherever it appears
    # (URL, headers, the request body a template built, the answer of a target that echoes what it got).
    secrets = secret_values(webhook, request)
    body_text = request.body.decode("utf-8", errors="replace") if request.body is not None else None
    logged.update(
        url=masked_url(request.url),
        request_headers=masked_headers(request.headers),
        request_data=clip(scrub_secrets(body_text, secrets)),
    )
    started = time.monotonic()
    try:
        result = deps.http.request(
            request.method, request.url, headers=request.headers, body=request.body, timeout=webhook.timeout_seconds
        )
    except TargetError as error:
        took = round((time.monotonic() - started) * 1000)
        failed = WebhookResponse(**logged, error=scrub_secrets(str(error), secrets), outcome="failed", duration_ms=took)
        return failed, error.retryable
    took = round((time.monotonic() - started) * 1000)
    delivered = 200 <= result.status < 300
    response = WebhookResponse(
        **logged,
        status_code=result.status,
        content=clip(scrub_secrets(result.body.decode("utf-8", errors="replace"), secrets)),
        error=None if delivered else f"HTTP {result.status}",
        outcome="delivered" if delivered else "failed",
        duration_ms=took,
    )
    return response, result.status >= 500 or result.status in RETRYABLE_STATUSES


def deliver(message: DeliveryMessage, deps: DeliveryDeps) -> Report:
    """One attempt of one delivery (see the module docstring)."""
    event, attempt = message.event, message.attempt
    webhook = deps.store.get_webhook(message.webhook_id)
    if webhook is None or not webhook.is_webhook_enabled:
        return Report(Outcome.SKIPPED, message.webhook_id, attempt)
    if not deps.store.claim_webhook_attempt(webhook.id, event.id, attempt, deps.clock.now()):
        return Report(Outcome.DUPLICATE, webhook.id, attempt)
    subjects = load_subjects(event, deps.store)
    if subjects.group is not None and _held_back(webhook, event, subjects.group, deps):
        deps.store.settle_webhook_attempt(webhook.id, event.id, attempt, Outcome.SKIPPED)
        return Report(Outcome.SKIPPED, webhook.id, attempt)
    data = event_data(event, webhook, subjects, base_url=deps.base_url, now=deps.clock.now())
    if attempt == 1 and not trigger_template_allows(webhook, data):
        deps.store.settle_webhook_attempt(webhook.id, event.id, attempt, Outcome.SKIPPED)
        return Report(Outcome.SKIPPED, webhook.id, attempt)
    group_id = subjects.group.id if subjects.group else None
    response, retryable = _attempt(
        webhook,
        event,
        data,
        attempt=attempt,
        key=idempotency_key(event.id, webhook.id),
        trigger=event.type.value,
        group_id=group_id,
        deps=deps,
    )
    if response.outcome == "failed" and retryable and attempt <= webhook.max_retries:
        delay = backoff_seconds(attempt, deps.retry_base_seconds)
        response = response.model_copy(update={"outcome": "retrying", "next_attempt_in_seconds": delay})
        # Enqueue before settling: if settling fails, the next attempt may still claim (sending → n + 1).
        try:
            deps.queue.send(DeliveryMessage(event=event, webhook_id=webhook.id, attempt=attempt + 1), delay)
        except aws.AWS_ERRORS as error:
            # A redelivery of this message would find the attempt claimed and drop it: rather than losing the
            # delivery silently, it ends here as a final failure (logged, on the timeline).
            code = aws.error_code(error)
            response = response.model_copy(
                update={
                    "outcome": "failed",
                    "next_attempt_in_seconds": None,
                    "error": f"{response.error}; the retry could not be scheduled ({code})",
                }
            )
    deps.store.settle_webhook_attempt(webhook.id, event.id, attempt, response.outcome)
    deps.store.add_webhook_response(response)
    if group_id and _on_timeline(response, event):
        _record_on_timeline(group_id, webhook, response, deps)
    return Report(Outcome(response.outcome), webhook.id, attempt, response)


def _held_back(webhook: Webhook, event: GroupEvent, group: AlertGroup, deps: DeliveryDeps) -> bool:
    """Debug maintenance: no outgoing webhook leaves about the group, whatever its trigger; the first
    attempt records what would have been sent on the group's timeline."""
    now = deps.clock.now()
    if not maintenance.delivers_nothing(group, deps.store, now):
        return False
    maintenance.would_have(group, f"sent outgoing webhook '{webhook.name}' ({event.type.value})", now, deps.store)
    return True


def _on_timeline(response: WebhookResponse, event: GroupEvent) -> bool:
    """Final failures always; successes of webhooks aimed at this group (escalation steps, personal rules)."""
    if response.outcome == "failed":
        return True
    return response.outcome == "delivered" and bool(event.data.get("webhook_id"))


def _record_on_timeline(group_id: str, webhook: Webhook, response: WebhookResponse, deps: DeliveryDeps) -> None:
    result = f"HTTP {response.status_code}" if response.status_code is not None else response.error
    verb = "sent" if response.outcome == "delivered" else "failed"
    deps.store.add_timeline(
        timeline.entry(
            group_id,
            response.at,
            timeline.WEBHOOK_SENT if response.outcome == "delivered" else timeline.WEBHOOK_FAILED,
            f"Outgoing webhook '{webhook.name}' ({response.trigger}) {verb} after {response.attempt} "
            f"attempt{'s' if response.attempt > 1 else ''}: {result}.",
            webhook_id=webhook.id,
            webhook_name=webhook.name,
            response_id=response.id,
            trigger=response.trigger,
        )
    )


# ------------------------------------------------------------------------------------------ by a person
def send_now(webhook: Webhook, event: GroupEvent, *, trigger: str, deps: DeliveryDeps) -> WebhookResponse:
    """Deliver once, now, without a claim and without retries (a person's test or resend), and log it.
    The trigger template is not evaluated: the person asked for this request."""
    now = deps.clock.now()
    subjects = load_subjects(event, deps.store)
    if subjects.group is None:
        subjects = sample_subjects(webhook, deps.store, now)
    data = event_data(event, webhook, subjects, base_url=deps.base_url, now=now)
    key = f"{idempotency_key(event.id, webhook.id)}-{trigger}-{ids.public_id('', 8)}"
    group_id = None if subjects.sample else subjects.group.id if subjects.group else None
    response, _ = _attempt(webhook, event, data, attempt=1, key=key, trigger=trigger, group_id=group_id, deps=deps)
    deps.store.add_webhook_response(response)
    return response
