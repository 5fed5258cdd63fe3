"""The escalation snapshot taken when an escalation starts (or restarts): the route's chain as it is now.
Later edits of the chain never change a running escalation."""

from __future__ import annotations

from datetime import datetime

from oncall.models import AlertGroup, EscalationSnapshot, EscalationStep, Route, StepType


def plan_escalation(
    execution_name: str, route: Route, steps: list[EscalationStep], now: datetime
) -> EscalationSnapshot | None:
    """None when the route has no chain: the group never escalates."""
    if not route.escalation_chain_id:
        return None
    return EscalationSnapshot(
        execution_name=execution_name, chain_id=route.escalation_chain_id, steps=steps, started_at=now
    )


def can_pause(group: AlertGroup) -> bool:
    """Does the group's escalation have a step that may pause it? (Only then is a new alert worth a look.)"""
    return group.escalation is not None and any(
        s.type == StepType.NOTIFY_IF_NUM_ALERTS_IN_WINDOW for s in group.escalation.steps
    )
