"""Alert-group events (created, alert added, acknowledged, resolved, …) published for whoever reacts to
them (outgoing webhooks, reminders). Logic publishes to an EventSink; it never calls consumers directly."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import Field

from oncall.models import Actor, Entity


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


class GroupEvent(Entity):
    type: GroupEventType
    group_id: str
    integration_id: str
    at: datetime
    actor: Actor | None = None
    alert_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


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
