"""What `route` does with one queued alert: templates → route → grouping → escalation → source actions.

At-least-once safe: a redelivered alert finds itself already grouped, nothing is appended twice, and the
escalation start is idempotent by execution name.
"""

from __future__ import annotations

from dataclasses import dataclass

from oncall import ids, timeline
from oncall.clock import Clock
from oncall.config_cache import ConfigCache
from oncall.escalation import plan_escalation
from oncall.grouping import Placement, evaluate_signals, place_alert
from oncall.models import AlertGroup, IngestMessage, ResolvedBy
from oncall.routing import select_route
from oncall.store import Store
from oncall.workflows import Escalations


class AlertMissingError(Exception):
    """The queued alert is not in the table. Ingest stores before it enqueues, so this is a fault: the
    message is retried and ends in the DLQ (with an alarm) rather than being dropped silently."""


@dataclass(frozen=True)
class ProcessOutcome:
    alert_id: str
    group_id: str | None
    group_created: bool = False
    escalation_started: bool = False
    resolved: bool = False
    skipped_reason: str | None = None


def process_alert(
    message: IngestMessage, *, store: Store, config: ConfigCache, escalations: Escalations, clock: Clock
) -> ProcessOutcome:
    alert = store.get_alert(message.alert_id)
    if alert is None:
        raise AlertMissingError(message.alert_id)
    integration = config.integration(alert.integration_id)
    if integration is None:
        return ProcessOutcome(alert.id, None, skipped_reason="integration deleted")

    labels: dict[str, str] = {}
    signals = evaluate_signals(integration, alert, labels)
    route = select_route(config.routes_of(integration.id), alert.payload, labels)

    def new_group(key: str | None, now) -> AlertGroup:
        group_id = ids.public_id(ids.PREFIX_ALERT_GROUP)
        steps = config.steps_of(route.escalation_chain_id) if route.escalation_chain_id else []
        snapshot = plan_escalation(group_id, route, steps, now)
        return AlertGroup(
            id=group_id,
            number=store.next_group_number(),
            integration_id=integration.id,
            route_id=route.id,
            grouping_key=key,
            title=signals.title,
            started_at=now,
            first_alert_id=alert.id,
            last_alert_id=alert.id,
            escalation=snapshot,
            escalation_finished=snapshot is None,
        )

    if alert.group_id:
        group = store.get_group(alert.group_id)
        placement = Placement(group, created=group.first_alert_id == alert.id) if group else None
    else:
        placement = None
    if placement is None:
        placement = place_alert(alert, route, signals, integration, store=store, clock=clock, new_group=new_group)
    group = placement.group

    if placement.created and not alert.group_id:
        store.add_timeline(
            timeline.entry(
                group.id,
                group.started_at,
                timeline.REGISTERED,
                f"Alert group registered from {integration.name}.",
                route_id=route.id,
            )
        )

    resolving = signals.is_resolve and integration.allow_source_based_resolving and not group.resolved
    started = False
    if placement.created and group.escalation is not None and not group.resolved and not resolving:
        escalations.start(group.escalation.execution_name, group.id)
        started = True

    resolved = False
    if resolving:
        now = clock.now()
        if store.resolve_group(group, ResolvedBy.SOURCE, now) is not None:
            store.add_timeline(timeline.entry(group.id, now, timeline.RESOLVED, "Resolved by the alert source."))
            resolved = True
        if group.escalation is not None:
            escalations.stop(group.escalation.execution_name)
    return ProcessOutcome(
        alert.id,
        group.id,
        group_created=placement.created and not alert.group_id,
        escalation_started=started,
        resolved=resolved,
    )
