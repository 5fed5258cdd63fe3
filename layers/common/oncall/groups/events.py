"""Alert-group events (created, alert added, acknowledged, resolved, …) published for whoever reacts to
them (outgoing webhooks, reminders). Logic publishes to an EventSink; it never calls consumers directly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, Field

from oncall.models import Actor, Entity, Webhook, WebhookTrigger
from oncall.platform import aws, ids

_logger = Logger(child=True)
_metrics = Metrics()


class GroupEventType(StrEnum):
    CREATED = "alert group created"
    ALERT_ADDED = "alert added to group"
    ACKNOWLEDGED = "acknowledge"
    UNACKNOWLEDGED = "unacknowledge"
    RESOLVED = "resolve"
    UNRESOLVED = "unresolve"
    SILENCED = "silence"
    UNSILENCED = "unsilence"
    ATTACHED = "attach"
    UNATTACHED = "unattach"
    WIPED = "wipe"
    DELETED = "delete"
    # Aimed at one webhook (data["webhook_id"]): an escalation step's trigger_webhook, a personal rule.
    ESCALATION = "escalation"
    PERSONAL_NOTIFICATION = "personal notification"


# ------------------------------------------------------------------------------------------ which webhooks
STATUS_CHANGES = frozenset(
    {
        WebhookTrigger.ACKNOWLEDGE,
        WebhookTrigger.UNACKNOWLEDGE,
        WebhookTrigger.RESOLVE,
        WebhookTrigger.UNRESOLVE,
        WebhookTrigger.SILENCE,
        WebhookTrigger.UNSILENCE,
    }
)
_EVENT_TRIGGERS: dict[GroupEventType, WebhookTrigger] = {
    GroupEventType.CREATED: WebhookTrigger.ALERT_GROUP_CREATED,
    GroupEventType.ALERT_ADDED: WebhookTrigger.ALERT_ADDED,
    GroupEventType.ACKNOWLEDGED: WebhookTrigger.ACKNOWLEDGE,
    GroupEventType.UNACKNOWLEDGED: WebhookTrigger.UNACKNOWLEDGE,
    GroupEventType.RESOLVED: WebhookTrigger.RESOLVE,
    GroupEventType.UNRESOLVED: WebhookTrigger.UNRESOLVE,
    GroupEventType.SILENCED: WebhookTrigger.SILENCE,
    GroupEventType.UNSILENCED: WebhookTrigger.UNSILENCE,
    GroupEventType.ESCALATION: WebhookTrigger.ESCALATION,
    GroupEventType.PERSONAL_NOTIFICATION: WebhookTrigger.PERSONAL_NOTIFICATION,
}


def trigger_of(event_type: GroupEventType) -> WebhookTrigger | None:
    return _EVENT_TRIGGERS.get(event_type)


def is_triggered(webhook: Webhook, event: GroupEvent) -> bool:
    """Trigger type (status change = any of the six status actions) and integration filter. Events aimed
    at one webhook (escalation steps, personal rules) trigger only that one."""
    if not webhook.is_webhook_enabled:
        return False
    if webhook.integration_filter and event.integration_id not in webhook.integration_filter:
        return False
    target = event.data.get("webhook_id")
    if target:
        return webhook.id == target
    trigger = trigger_of(event.type)
    if trigger is None:
        return False
    return webhook.trigger_type == trigger or (
        webhook.trigger_type == WebhookTrigger.STATUS_CHANGE and trigger in STATUS_CHANGES
    )


def event_id() -> str:
    return ids.public_id(ids.PREFIX_EVENT, 16)


class GroupEvent(Entity):
    # Unique per event: consumers deduplicate on it (webhook deliveries, Idempotency-Key).
    id: str = Field(default_factory=event_id)
    type: GroupEventType
    group_id: str
    integration_id: str
    at: datetime
    actor: Actor | None = None
    alert_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class EventMessage(BaseModel):
    """The body of an events-queue message that carries one event."""

    kind: Literal["event"] = "event"
    event: GroupEvent


class EventSink(Protocol):
    def publish(self, event: GroupEvent) -> None: ...


class NullSink:
    """Used where nothing consumes events yet."""

    def publish(self, event: GroupEvent) -> None:
        return None


class MemorySink:
    def __init__(self) -> None:
        self.events: list[GroupEvent] = []

    def publish(self, event: GroupEvent) -> None:
        self.events.append(event)


class SqsEventSink:
    """Sends events to the events queue (standard SQS), where the webhooks function picks them up.

    Only events some webhook wants are sent (`wanted`, from the 5 s configuration cache): the webhooks
    function is the queue's only consumer, and "alert added" events of a storm would otherwise cost a
    SendMessage per alert for nobody. If `wanted` cannot answer, the event is sent anyway.

    Events are published after the change they describe is written, so a failure here must not undo or
    fail that change: it is logged with the event and counted (metric EventsNotPublished), not raised.
    """

    def __init__(self, queue_url: str, wanted: Callable[[GroupEvent], bool] | None = None) -> None:
        self._url = queue_url
        self._wanted = wanted

    def _is_wanted(self, event: GroupEvent) -> bool:
        if self._wanted is None:
            return True
        try:
            return self._wanted(event)
        except Exception:  # noqa: BLE001 - an unreadable webhook list must not lose the event
            _logger.exception("could not tell whether a webhook wants the event", extra={"event_id": event.id})
            return True

    def publish(self, event: GroupEvent) -> None:
        if not self._is_wanted(event):
            return
        try:
            aws.client("sqs").send_message(QueueUrl=self._url, MessageBody=EventMessage(event=event).model_dump_json())
        except aws.AWS_ERRORS:
            _logger.exception(
                "event not published", extra={"event_id": event.id, "type": event.type, "group_id": event.group_id}
            )
            _metrics.add_metric(name="EventsNotPublished", unit=MetricUnit.Count, value=1)
