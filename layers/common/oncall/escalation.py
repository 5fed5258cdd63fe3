"""Escalation: the chain snapshot taken when a group's escalation starts, and the step runner that the
Step Functions task calls. The runner executes consecutive instant steps in one invocation and returns at
the first wait, so each wait costs three state transitions (task, choice, wait) and nothing else.

Every run re-reads the group and stops if it is no longer firing or if a newer escalation replaced this one.
"""

from __future__ import annotations

from dataclasses import dataclass

from oncall import actions, timeline
from oncall.actions import ActionDeps
from oncall.channels import ChannelError, Notifier
from oncall.clock import Clock
from oncall.models import (
    SYSTEM,
    AlertGroup,
    AlertGroupState,
    EscalationStep,
    Integration,
    Notification,
    ResolvedBy,
    StepType,
)
from oncall.rendering import group_link, render_alert
from oncall.store import Store


@dataclass(frozen=True)
class StepOutcome:
    done: bool
    next_step: int
    wait_seconds: int = 0


def run_escalation(
    group_id: str,
    step: int,
    execution_name: str,
    *,
    deps: ActionDeps,
    notifier: Notifier,
    base_url: str,
) -> StepOutcome:
    store, clock = deps.store, deps.clock
    group = store.get_group(group_id)
    if group is None or group.escalation is None or group.escalation.execution_name != execution_name:
        return StepOutcome(done=True, next_step=step)
    steps = group.escalation.steps
    index = step
    while index < len(steps):
        if _stopped(store.get_group(group_id) if index != step else group):
            return StepOutcome(done=True, next_step=index)
        current = steps[index]
        if current.type == StepType.WAIT:
            return StepOutcome(done=False, next_step=index + 1, wait_seconds=max(int(current.duration or 0), 1))
        if current.type == StepType.RESOLVE:
            actions.resolve(
                group_id, SYSTEM, deps, strict=False, resolved_by=ResolvedBy.LAST_STEP, from_execution=execution_name
            )
            return StepOutcome(done=True, next_step=index + 1)
        if current.type == StepType.NOTIFY_CHANNEL:
            _notify_channel(
                group, index, current, execution_name, store=store, notifier=notifier, clock=clock, base_url=base_url
            )
        index += 1
    store.finish_escalation(group_id, execution_name)
    store.add_timeline(
        timeline.entry(group_id, clock.now(), timeline.ESCALATION_FINISHED, "Escalation finished: no steps left.")
    )
    return StepOutcome(done=True, next_step=index)


def record_failure(group_id: str, step: int, error: str, cause: str, *, store: Store, clock: Clock) -> None:
    """Called by the state machine's Catch: the failure goes on the group's timeline."""
    if store.get_group(group_id) is None:
        return
    store.add_timeline(
        timeline.entry(
            group_id,
            clock.now(),
            timeline.ESCALATION_FAILED,
            f"Escalation failed at step {step + 1}: {error}",
            error=error,
            cause=cause,
        )
    )


def _stopped(group: AlertGroup | None) -> bool:
    return group is None or group.state != AlertGroupState.FIRING


def _notify_channel(
    group: AlertGroup,
    index: int,
    step: EscalationStep,
    execution_name: str,
    *,
    store: Store,
    notifier: Notifier,
    clock: Clock,
    base_url: str,
) -> None:
    # One delivery per (execution, step): Step Functions may run a task twice.
    key = f"{execution_name}#{index}"
    now = clock.now()
    if not store.claim_delivery(group.id, key, now):
        return
    integration = store.get_integration(group.integration_id)
    alert = store.get_alert(group.first_alert_id)
    notification = _notification(group, integration, alert, step, key, base_url)
    try:
        notifier.deliver(notification)
    except ChannelError as error:
        store.add_timeline(
            timeline.entry(
                group.id,
                now,
                timeline.NOTIFICATION_FAILED,
                f"Could not notify {_channel_label(step)}: {error}",
                step=index,
            )
        )
        return
    except Exception:
        store.release_delivery(group.id, key)  # let the retry deliver it
        raise
    store.add_timeline(
        timeline.entry(
            group.id,
            now,
            timeline.NOTIFIED,
            f"Notified {_channel_label(step)}.",
            step=index,
            channel=_channel_label(step),
        )
    )


def _notification(
    group: AlertGroup, integration: Integration | None, alert, step: EscalationStep, key: str, base_url: str
) -> Notification:
    if integration is not None and alert is not None:
        rendered = render_alert(integration, group, alert, surface="web", base_url=base_url)
        title, message = rendered.title, rendered.message
    else:
        title, message = group.title, ""
    return Notification(
        group_id=group.id,
        group_number=group.number,
        integration_id=group.integration_id,
        integration_name=integration.name if integration else "",
        channel=step.channel or "",
        title=f"#{group.number} {title}",
        message=message,
        link=group_link(base_url, group.id),
        important=step.important,
        idempotency_key=key,
    )


def _channel_label(step: EscalationStep) -> str:
    channel = step.channel or "(no channel)"
    return channel.split("://", 1)[0] + "://…" if "://" in channel and not channel.startswith("outbox://") else channel
