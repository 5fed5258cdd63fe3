"""The escalation snapshot taken when an escalation starts (or restarts): the route's chain as it is now.
Later edits of the chain never change a running escalation."""

from __future__ import annotations

from datetime import datetime

from oncall.models import EscalationSnapshot, EscalationStep, Route


def plan_escalation(
    execution_name: str, route: Route, steps: list[EscalationStep], now: datetime
) -> EscalationSnapshot | None:
    """None when the route has no chain: the group never escalates."""
    if not route.escalation_chain_id:
        return None
    return EscalationSnapshot(
        execution_name=execution_name, chain_id=route.escalation_chain_id, steps=steps, started_at=now
    )
