"""Time-based auto-resolve (beyond OnCall, #2335): for sources that never send "resolved".

With `Integration.auto_resolve_minutes` set, every alert added to an open group schedules a timer (a Step
Functions execution of the timer kind below, named after the alert so a redelivery schedules nothing new).
When it fires, the group is resolved with ResolvedBy.TIMEOUT if it is still open and no newer alert arrived
since (the group's last alert is still the one that scheduled the timer); a newer alert has its own timer.
Turning the option off makes pending timers do nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from oncall.groups import actions
from oncall.groups.actions import ActionDeps
from oncall.models import SYSTEM, Alert, Integration, ResolvedBy
from oncall.platform.clock import iso

AUTO_RESOLVE_TIMER = "auto_resolve"


def timer_name(group_id: str, alert_id: str) -> str:
    return f"{group_id}-{AUTO_RESOLVE_TIMER.replace('_', '-')}-{alert_id}"


def schedule(integration: Integration, group_id: str, group_resolved: bool, alert: Alert, deps: ActionDeps) -> bool:
    """Start the timer for `alert` in its group if the integration wants one. Safe to repeat."""
    minutes = integration.auto_resolve_minutes
    if not minutes or group_resolved:
        return False
    fire_at = alert.received_at + timedelta(minutes=minutes)
    deps.escalations.start(
        timer_name(group_id, alert.id),
        group_id,
        AUTO_RESOLVE_TIMER,
        {"fire_at": iso(fire_at), "last_alert_id": alert.id},
    )
    return True


def fire(group_id: str, data: dict[str, Any], deps: ActionDeps) -> None:
    """The timer fired: resolve only if nothing newer arrived and the option is still on."""
    group = deps.store.get_group(group_id)
    if group is None or group.resolved or group.last_alert_id != data.get("last_alert_id"):
        return
    integration = deps.config.integration(group.integration_id)
    if integration is None or not integration.auto_resolve_minutes:
        return
    actions.resolve(group_id, SYSTEM, deps, strict=False, resolved_by=ResolvedBy.TIMEOUT)
