"""Alert-group events (created, alert added, acknowledged, resolved, …) published for whoever reacts to
them (outgoing webhooks, reminders). Logic publishes to an EventSink; it never calls consumers directly."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, Field

from oncall import ids
from oncall.models import Actor, Entity

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
    """Sends every event to the events queue (standard SQS), where the webhooks function picks it up.

    Events are published after the change they describe is written, so a failure here must not undo or
    fail that change: it is logged with the event and counted (metric EventsNotPublished), not raised.
    """

    def __init__(self, queue_url: str) -> None:
        self._url = queue_url

    def publish(self, event: GroupEvent) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        from oncall.aws import client

        try:
            client("sqs").send_message(QueueUrl=self._url, MessageBody=EventMessage(event=event).model_dump_json())
        except (BotoCoreError, ClientError):
            _logger.exception(
                "event not published", extra={"event_id": event.id, "type": event.type, "group_id": event.group_id}
            )
            _metrics.add_metric(name="EventsNotPublished", unit=MetricUnit.Count, value=1)
