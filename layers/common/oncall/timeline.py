"""Timeline entries: what happened to an alert group, in words a responder reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oncall.models import TimelineEntry

REGISTERED = "registered"
ROUTE_ASSIGNED = "route_assigned"
ESCALATION_STARTED = "escalation_started"
NOTIFIED = "notified"
NOTIFICATION_FAILED = "notification_failed"
ESCALATION_FINISHED = "escalation_finished"
ESCALATION_FAILED = "escalation_failed"
RESOLVED = "resolved"
UNRESOLVED = "unresolved"
ACKNOWLEDGED = "acknowledged"
UNACKNOWLEDGED = "unacknowledged"
SILENCED = "silenced"
UNSILENCED = "unsilenced"
ATTACHED = "attached"
UNATTACHED = "unattached"
WIPED = "wiped"
WEBHOOK_SENT = "webhook_sent"
WEBHOOK_FAILED = "webhook_failed"


def entry(group_id: str, at: datetime, kind: str, text: str, **details: Any) -> TimelineEntry:
    return TimelineEntry(group_id=group_id, at=at, type=kind, text=text, details=details)


# maintenance (maintenance.py)
MAINTENANCE_STARTED = "maintenance_started"
MAINTENANCE_ENDED = "maintenance_ended"
ESCALATION_PAUSED = "escalation_paused"
ESCALATION_RESUMED = "escalation_resumed"
WOULD_HAVE_NOTIFIED = "would_have_notified"  # a dry run: debug maintenance
