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
ESCALATION_ATTEMPT_FAILED = "escalation_attempt_failed"  # one run of the task failed; Step Functions retries it
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
USERS_PAGED = "users_paged"  # a notify step handed users to their personal notification rules
STEP_FAILED = "escalation_step_failed"  # a step could not do its job (nobody on call, no users, …)
TIME_WINDOW_WAIT = "time_window_wait"
ESCALATION_PAUSED = "escalation_paused"
ESCALATION_RESUMED = "escalation_resumed"
ESCALATION_REPEATED = "escalation_repeated"
WEBHOOK_TRIGGERED = "webhook_triggered"
ACK_REMINDER_SENT = "ack_reminder_sent"
ACKNOWLEDGEMENT_CONFIRMED = "acknowledgement_confirmed"
AUTO_UNACKNOWLEDGED = "auto_unacknowledged"


def entry(group_id: str, at: datetime, kind: str, text: str, **details: Any) -> TimelineEntry:
    return TimelineEntry(group_id=group_id, at=at, type=kind, text=text, details=details)


# maintenance (maintenance.py)
MAINTENANCE_STARTED = "maintenance_started"
MAINTENANCE_ENDED = "maintenance_ended"
ESCALATION_PAUSED = "escalation_paused"
ESCALATION_RESUMED = "escalation_resumed"
WOULD_HAVE_NOTIFIED = "would_have_notified"  # a dry run: debug maintenance
