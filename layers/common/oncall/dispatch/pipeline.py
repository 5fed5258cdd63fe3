"""What `route` does with one queued alert: labels → templates → route → grouping → escalation → source
actions (acknowledge before resolve) → auto-resolve timer.

At-least-once safe: a redelivered alert finds itself already grouped, nothing is appended twice, and the
escalation start is idempotent by execution name.

The common case, an alert joining its key's open group, costs two writes and no read but the batch's
(`read_alerts`, eventually consistent): the open group comes from the container's hint
(grouping.OpenGroupHints), and the join's write says whether the escalation is paused. The group itself is
read only for acknowledge signals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools import Logger

from oncall.dispatch import auto_resolve
from oncall.dispatch.grouping import AlertSignals, Placement, evaluate_signals, existing_placement, place_alert
from oncall.dispatch.routing import select_route
from oncall.escalation.plan import plan_escalation
from oncall.groups import actions, timeline
from oncall.groups.actions import ActionDeps
from oncall.groups.events import GroupEvent, GroupEventType
from oncall.models import SOURCE, Alert, AlertGroup, IngestMessage, Integration, ResolvedBy, Route
from oncall.monitoring import maintenance
from oncall.platform import ids
from oncall.storage.protocols import GroupStore, StoreRequestError
from oncall.templates import budget as template_budget
from oncall.templates.engine import alert_budget
from oncall.templates.labels import alert_labels, group_labels

_logger = Logger(child=True)


class AlertMissingError(Exception):
    """The queued alert is not in the table. Ingest stores before it enqueues, so this is a fault: the
    message is retried and ends in the DLQ (with an alarm) rather than being dropped silently."""


@dataclass(frozen=True)
class ProcessOutcome:
    alert_id: str
    group_id: str | None
    group_created: bool = False
    escalation_started: bool = False
    acknowledged: bool = False
    resolved: bool = False
    auto_resolve_scheduled: bool = False
    skipped_reason: str | None = None


def read_alerts(messages: list[IngestMessage], store: GroupStore) -> dict[str, Alert]:
    """The batch's alerts in one read. Best effort: what this cannot read, process_alert reads itself.

    Eventually consistent (half the read units): an alert not visible yet is read again by process_alert, and
    a membership not visible yet only makes a redelivered alert take the longer way, through the conditional
    writes of grouping, which find it already grouped (AlertAlreadyGroupedError)."""
    try:
        return store.get_alerts([m.alert_id for m in messages], consistent=False)
    except StoreRequestError:
        _logger.warning("batch read of alerts failed; reading them one by one", exc_info=True)
        return {}


def process_alert(message: IngestMessage, *, deps: ActionDeps, alert: Alert | None = None) -> ProcessOutcome:
    """`alert`: the stored alert if the caller read it already (read_alerts)."""
    store = deps.store
    alert = alert or store.get_alert(message.alert_id)
    if alert is None:
        raise AlertMissingError(message.alert_id)
    integration = deps.config.integration(alert.integration_id)
    if integration is None:
        return ProcessOutcome(alert.id, None, skipped_reason="integration deleted")
    now = deps.clock.now()
    suspended = template_budget.is_suspended(integration, now)
    if suspended:
        integration = template_budget.with_default_templates(integration)
    with alert_budget(template_budget.alert_seconds()) as spent:
        outcome = _process(alert, integration, deps)
    if spent.exhausted and not suspended and template_budget.STRIKE_COUNTER.strike(integration.id, now):
        until = now + template_budget.SUSPENSION
        _logger.warning(
            "templates suspended: they keep exhausting the per-alert budget",
            extra={"integration_id": integration.id, "until": until.isoformat()},
        )
        deps.store.suspend_templates(integration.id, until)
    return outcome


def _process(alert: Alert, integration: Integration, deps: ActionDeps) -> ProcessOutcome:
    store = deps.store

    labels = alert_labels(integration, alert.payload)
    signals = evaluate_signals(integration, alert, labels)
    route = select_route(deps.config.routes_of(integration.id), alert.payload, labels)
    placement = _existing_placement(alert, deps) or place_alert(
        alert,
        route,
        signals,
        integration,
        store=store,
        clock=deps.clock,
        # maintenance hook: a group created during maintenance is collected (no escalation) or a dry run (debug)
        new_group=lambda key, now: maintenance.mark_new_group(
            _new_group(alert, integration, route, signals, labels, key, now, deps), deps
        ),
        hints=deps.config,
    )
    group = placement.group  # None when the alert joined an open group without reading it
    first_delivery = not placement.redelivered
    created = placement.created and first_delivery
    # A redelivery may follow a crash between grouping and what comes after it: write what may be missing.
    if placement.created and group is not None and (first_delivery or not _registered(group.id, deps)):
        store.add_timeline(
            timeline.entry(
                group.id,
                group.started_at,
                timeline.REGISTERED,
                f"Alert group registered from {integration.name}.",
                route_id=route.id,
            )
        )
    # Published on every delivery under an id derived from the alert: consumers drop the repeat (webhook
    # deliveries are claimed per event id), and a crash before the first publish loses nothing.
    _publish(deps, GroupEventType.CREATED if placement.created else GroupEventType.ALERT_ADDED, placement, alert)

    resolving = signals.is_resolve and integration.allow_source_based_resolving and not placement.resolved
    started = False
    if placement.created and group is not None:
        maintenance.collect(group, deps)  # maintenance hook: attach to the maintenance incident (if collected)
        if group.escalation is not None and not group.resolved and not resolving:
            deps.escalations.start(group.escalation.execution_name, group.id)
            started = True

    acknowledged = False
    if signals.is_acknowledge and not placement.resolved:
        current = group or store.get_group(placement.group_id)
        if current is not None and not current.acknowledged and not current.resolved:
            acknowledged = actions.acknowledge(current.id, SOURCE, deps, strict=False).acknowledged
    resolved = False
    if resolving:
        resolved = actions.resolve(
            placement.group_id, SOURCE, deps, strict=False, resolved_by=ResolvedBy.SOURCE
        ).resolved
    # Repeated on redelivery on purpose: the timer is named after the alert, so starting it again is harmless.
    timer = not resolved and auto_resolve.schedule(integration, placement.group_id, placement.resolved, alert, deps)
    if not placement.created and placement.paused and not resolved and not acknowledged:
        # A "notify if X alerts in Y minutes" step paused the escalation: this alert resumes it (see
        # docs/oncall-compatibility.md#escalation-steps).
        # resume_if_paused reads the group again (the escalation checks too, after writing its pause).
        # Imported here: the escalation steps (paging, schedules) are not in route's cold start.
        from oncall.escalation.steps import resume_if_paused

        started = resume_if_paused(placement.group_id, deps)
    return ProcessOutcome(
        alert.id,
        placement.group_id,
        group_created=created,
        escalation_started=started,
        acknowledged=acknowledged,
        resolved=resolved,
        auto_resolve_scheduled=timer,
    )


def _existing_placement(alert: Alert, deps: ActionDeps) -> Placement | None:
    """A redelivered alert is already in its group."""
    if not alert.group_id:
        return None
    group = deps.store.get_group(alert.group_id)
    return existing_placement(alert.id, group) if group else None


def _registered(group_id: str, deps: ActionDeps) -> bool:
    return any(e.type == timeline.REGISTERED for e in deps.store.list_timeline(group_id))


def _new_group(
    alert: Alert,
    integration: Integration,
    route: Route,
    signals: AlertSignals,
    labels: dict[str, str],
    key: str | None,
    now: datetime,
    deps: ActionDeps,
) -> AlertGroup:
    group_id = ids.public_id(ids.PREFIX_ALERT_GROUP)
    steps = deps.config.steps_of(route.escalation_chain_id) if route.escalation_chain_id else []
    snapshot = plan_escalation(group_id, route, steps, now)
    return AlertGroup(
        id=group_id,
        number=deps.store.next_group_number(),
        integration_id=integration.id,
        route_id=route.id,
        grouping_key=key,
        title=signals.title,
        started_at=now,
        labels=group_labels(labels),
        first_alert_id=alert.id,
        last_alert_id=alert.id,
        escalation=snapshot,
        escalation_finished=snapshot is None,
    )


def _publish(deps: ActionDeps, kind: GroupEventType, placement: Placement, alert: Alert) -> None:
    integration_id = placement.group.integration_id if placement.group else alert.integration_id
    deps.events.publish(
        GroupEvent(
            id=f"{ids.PREFIX_EVENT}{alert.id}",  # one event per alert, whichever delivery publishes it
            type=kind,
            group_id=placement.group_id,
            integration_id=integration_id,
            at=deps.clock.now(),
            alert_id=alert.id,
        )
    )
