"""Alert-group actions (docs/oncall-compatibility.md#actions): acknowledge, unacknowledge, resolve, unresolve, silence,
unsilence, attach,
unattach, wipe and delete, with their preconditions, state precedence and cascades.

Each action is a transition: read the group, check the preconditions, compute the changes, write them with an
optimistic lock on the group's version (retrying on a concurrent change), then apply the effects: stop or
restart the escalation, schedule timers, write the timeline, publish the event, cascade to attached groups.

`strict=True` is the public API's behaviour (a precondition that fails is a 400); automatic actions
(source templates, escalation steps, timers, cascades) use `strict=False` and quietly do nothing instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from oncall.configuration.cache import ConfigCache
from oncall.escalation.plan import plan_escalation
from oncall.escalation.stepfunctions import Escalations
from oncall.groups import timeline
from oncall.groups.events import EventSink, GroupEvent, GroupEventType
from oncall.models import SYSTEM, Actor, ActorKind, AlertGroup, AlertGroupState, ResolvedBy
from oncall.platform.clock import Clock, iso
from oncall.platform.errors import ConflictError, NotFoundError
from oncall.storage.protocols import GroupChangedError, Store

_MAX_ATTEMPTS = 8
UNSILENCE_TIMER = "unsilence"
ACK_REMINDER_TIMER = "ack_reminder"
AUTO_UNACK_TIMER = "auto_unack"
FOREVER = -1
# OnCall's ACKNOWLEDGE_REMINDER_TASK_EXPIRY_DAYS: reminders are not renewed for older groups.
ACK_REMINDER_MAX_AGE = timedelta(days=14)


@dataclass(frozen=True)
class ActionDeps:
    store: Store
    escalations: Escalations
    clock: Clock
    config: ConfigCache
    events: EventSink
    # Resolving a maintenance incident means stopping its maintenance (monitoring.maintenance.stop_for_incident).
    # Maintenance is built on these actions, so it is handed in by the wiring rather than imported here.
    stop_maintenance: Callable[[str, Actor, ActionDeps], AlertGroup]


class _Skip(Exception):
    """A precondition failed for an automatic action: nothing to do."""


@dataclass
class _Plan:
    """What a transition does: the changes to write and what to do once they are written."""

    changes: dict[str, Any] = field(default_factory=dict)
    close_grouping_key: bool = False
    stop_escalation: bool = False
    spare_execution: str | None = None  # the execution running this action: it ends by itself
    restart_escalation: bool = False
    timers: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (name, kind, data)
    timeline: list[tuple[str, str]] = field(default_factory=list)  # (type, text)
    event: GroupEventType | None = None
    cascade: Callable[[str, ActionDeps], None] | None = None


def _require_resolution_note(group: AlertGroup, deps: ActionDeps) -> None:
    """OnCall's organization setting: a person resolves a group only once it has a resolution note."""
    if deps.config.deployment_settings().require_resolution_note and not deps.store.list_resolution_notes(group.id):
        raise ConflictError(
            "Alert group without a resolution note cannot be resolved (the require_resolution_note setting): "
            "add one with POST /api/v1/resolution_notes/ first."
        )


def _refuse(strict: bool, message: str) -> None:
    if strict:
        raise ConflictError(message)
    raise _Skip(message)


def _load(group_id: str, deps: ActionDeps) -> AlertGroup:
    group = deps.store.get_group(group_id)
    if group is None:
        raise NotFoundError()
    return group


def _transition(
    group_id: str, deps: ActionDeps, actor: Actor, decide: Callable[[AlertGroup, datetime], _Plan]
) -> AlertGroup:
    for _ in range(_MAX_ATTEMPTS):
        group = _load(group_id, deps)
        now = deps.clock.now()
        try:
            plan = decide(group, now)
        except _Skip:
            return group
        if plan.restart_escalation:
            plan.changes.update(_restarted_escalation(group, deps, now))
        try:
            updated = deps.store.update_group(group, plan.changes, close_grouping_key=plan.close_grouping_key)
        except GroupChangedError:
            continue
        _apply_effects(group, updated, plan, actor, deps, now)
        return updated
    raise ConflictError("The alert group is changing too fast; please retry.")


def _restarted_escalation(group: AlertGroup, deps: ActionDeps, now: datetime) -> dict[str, Any]:
    """A fresh snapshot of the route's current chain under a new execution name (restarts start at step 0)."""
    restarts = group.escalation_restarts + 1
    route = deps.store.get_route(group.route_id)
    steps = deps.config.steps_of(route.escalation_chain_id) if route and route.escalation_chain_id else []
    snapshot = plan_escalation(f"{group.id}-{restarts}", route, steps, now) if route else None
    return {
        "escalation": snapshot,
        "escalation_finished": snapshot is None,
        "escalation_restarts": restarts,
        "escalation_pause": None,
    }


def _apply_effects(
    before: AlertGroup, after: AlertGroup, plan: _Plan, actor: Actor, deps: ActionDeps, now: datetime
) -> None:
    running = before.escalation.execution_name if before.escalation and not before.escalation_finished else None
    if (plan.stop_escalation or plan.restart_escalation) and running and running != plan.spare_execution:
        deps.escalations.stop(running)
    if plan.restart_escalation and after.escalation is not None:
        deps.escalations.start(after.escalation.execution_name, after.id)
    for name, kind, data in plan.timers:
        deps.escalations.start(name, after.id, kind, data)
    for kind, text in plan.timeline:
        deps.store.add_timeline(timeline.entry(after.id, now, kind, text, actor=actor.label))
    if plan.event is not None:
        deps.events.publish(
            GroupEvent(type=plan.event, group_id=after.id, integration_id=after.integration_id, at=now, actor=actor)
        )
    if plan.cascade is not None:
        for dependent_id in after.dependent_ids:
            plan.cascade(dependent_id, deps)


def _silence_cleared() -> dict[str, Any]:
    return {"silenced": False, "silenced_at": None, "silenced_until": None, "silenced_by": None}


def _ack_cleared() -> dict[str, Any]:
    return {"acknowledged": False, "acknowledged_at": None, "acknowledged_by": None, "ack_confirmed_at": None}


def _stamp(moment: datetime) -> str:
    """A timestamp usable in an execution name."""
    return moment.strftime("%Y%m%dT%H%M%S%f")


def ack_reminder_timer(group_id: str, confirmed_at: datetime, count: int, fire_at: datetime) -> tuple[str, str, dict]:
    """The timer that reminds whoever acknowledged (see reminders.py). `confirmed_at` ties it to one
    acknowledgement: once the group is unacknowledged or the acknowledgement confirmed again, it does nothing."""
    data = {"fire_at": iso(fire_at), "confirmed_at": iso(confirmed_at), "count": count}
    return f"{group_id}-ackr-{_stamp(confirmed_at)}-{count}", ACK_REMINDER_TIMER, data


def auto_unack_timer(group_id: str, confirmed_at: datetime, count: int, fire_at: datetime) -> tuple[str, str, dict]:
    data = {"fire_at": iso(fire_at), "confirmed_at": iso(confirmed_at), "count": count}
    return f"{group_id}-unack-{_stamp(confirmed_at)}-{count}", AUTO_UNACK_TIMER, data


def acknowledgement_is(group: AlertGroup | None, data: dict[str, Any]) -> bool:
    """Is `group` still acknowledged by the acknowledgement (or confirmation) a timer was made for?"""
    return (
        group is not None
        and group.acknowledged
        and not group.resolved
        and group.ack_confirmed_at is not None
        and iso(group.ack_confirmed_at) == data.get("confirmed_at")
    )


def _first_reminder(group: AlertGroup, deps: ActionDeps, now: datetime) -> list[tuple[str, str, dict]]:
    minutes = deps.config.deployment_settings().acknowledge_remind_timeout
    if minutes <= 0 or now - group.started_at > ACK_REMINDER_MAX_AGE:
        return []
    return [ack_reminder_timer(group.id, now, 1, now + timedelta(minutes=minutes))]


def _attached_refusal(group: AlertGroup, strict: bool, verb: str) -> None:
    if group.root_group_id:
        _refuse(strict, f"Can't {verb} an attached alert group; act on its root group {group.root_group_id}.")


def _is_maintenance_incident(group: AlertGroup) -> bool:
    return group.maintenance is not None and group.maintenance.role == "incident"


def _maintenance_incident_refusal(group: AlertGroup, strict: bool, verb: str) -> None:
    if _is_maintenance_incident(group):
        _refuse(strict, f"Can't {verb} a maintenance incident; resolve it (or stop the maintenance) instead.")


class _StopMaintenanceInstead(Exception):
    """Resolving the maintenance incident means stopping its maintenance (`ActionDeps.stop_maintenance`)."""


# ------------------------------------------------------------------------------------------ acknowledge
def acknowledge(
    group_id: str, actor: Actor, deps: ActionDeps, *, strict: bool = True, remind: bool = True
) -> AlertGroup:
    """`remind`: schedule acknowledge reminders (deployment settings) — for people and API tokens, not for
    the alert source, automatic actions or groups acknowledged through their root."""

    def decide(group: AlertGroup, now: datetime) -> _Plan:
        _maintenance_incident_refusal(group, strict, "acknowledge")
        if group.resolved:
            _refuse(strict, "Can't acknowledge a resolved alert group.")
        if group.acknowledged:
            _refuse(strict, "Alert group is already acknowledged.")
        if strict:
            _attached_refusal(group, strict, "acknowledge")
        plan = _Plan(
            changes={
                "acknowledged": True,
                "acknowledged_at": now,
                "acknowledged_by": actor,
                "ack_confirmed_at": now,
                **_silence_cleared(),
            },
            stop_escalation=True,
            event=GroupEventType.ACKNOWLEDGED,
            cascade=lambda gid, d: acknowledge(gid, actor, d, strict=False, remind=False),
        )
        if remind and actor.kind in (ActorKind.USER, ActorKind.API) and group.root_group_id is None:
            plan.timers.extend(_first_reminder(group, deps, now))
        if group.silenced:
            plan.timeline.append((timeline.UNSILENCED, f"Unsilenced by {actor.label} (acknowledged)."))
        plan.timeline.append((timeline.ACKNOWLEDGED, f"Acknowledged by {actor.label}."))
        return plan

    return _transition(group_id, deps, actor, decide)


def confirm_acknowledgement(group_id: str, actor: Actor, deps: ActionDeps) -> AlertGroup:
    """The answer to an acknowledge reminder ("still working on it"): the acknowledgement stays, the pending
    auto-unacknowledge is off, and the next reminder comes one reminder period from now."""

    def decide(group: AlertGroup, now: datetime) -> _Plan:
        if group.resolved:
            _refuse(True, "The alert group is already resolved.")
        if not group.acknowledged:
            _refuse(True, "The alert group is not acknowledged any more; acknowledge it instead.")
        return _Plan(
            changes={"ack_confirmed_at": now},
            timers=_first_reminder(group, deps, now),
            timeline=[(timeline.ACKNOWLEDGEMENT_CONFIRMED, f"{actor.label} is still working on it.")],
        )

    return _transition(group_id, deps, actor, decide)


def auto_unacknowledge(group_id: str, data: dict[str, Any], deps: ActionDeps) -> None:
    """The auto-unacknowledge timer fired: nobody confirmed the acknowledgement after its reminder, so the
    group goes back to firing and escalation restarts (OnCall's AUTO_UN_ACK). Stale timers do nothing."""

    def decide(group: AlertGroup, now: datetime) -> _Plan:
        if not acknowledgement_is(group, data):
            raise _Skip("stale auto-unacknowledge timer")
        return _Plan(
            changes={**_ack_cleared(), **_silence_cleared()},
            restart_escalation=group.root_group_id is None,
            timeline=[
                (
                    timeline.AUTO_UNACKNOWLEDGED,
                    "Nobody confirmed the acknowledgement after the reminder: unacknowledged automatically; "
                    "escalation restarts.",
                )
            ],
            event=GroupEventType.UNACKNOWLEDGED,
            cascade=lambda gid, d: unacknowledge(gid, SYSTEM, d, strict=False),
        )

    if deps.store.get_group(group_id) is not None:
        _transition(group_id, deps, SYSTEM, decide)


def unacknowledge(group_id: str, actor: Actor, deps: ActionDeps, *, strict: bool = True) -> AlertGroup:
    def decide(group: AlertGroup, now: datetime) -> _Plan:
        _maintenance_incident_refusal(group, strict, "unacknowledge")
        if group.resolved:
            _refuse(strict, "Can't unacknowledge a resolved alert group.")
        if not group.acknowledged:
            _refuse(strict, "The alert group is not acknowledged.")
        if strict:
            _attached_refusal(group, strict, "unacknowledge")
        return _Plan(
            changes={**_ack_cleared(), **_silence_cleared()},
            restart_escalation=group.root_group_id is None,
            timeline=[(timeline.UNACKNOWLEDGED, f"Unacknowledged by {actor.label}; escalation restarts.")],
            event=GroupEventType.UNACKNOWLEDGED,
            cascade=lambda gid, d: unacknowledge(gid, actor, d, strict=False),
        )

    return _transition(group_id, deps, actor, decide)


# ------------------------------------------------------------------------------------------ resolve
def resolve(
    group_id: str,
    actor: Actor,
    deps: ActionDeps,
    *,
    strict: bool = True,
    resolved_by: ResolvedBy = ResolvedBy.USER,
    note: str = "",
    from_execution: str | None = None,
) -> AlertGroup:
    """`from_execution`: the escalation resolving its own group (a resolve step) is not stopped."""

    def decide(group: AlertGroup, now: datetime) -> _Plan:
        if group.resolved:
            _refuse(strict, "Alert group is already resolved.")
        if strict:
            _attached_refusal(group, strict, "resolve")
        if _is_maintenance_incident(group) and resolved_by != ResolvedBy.DISABLE_MAINTENANCE:
            raise _StopMaintenanceInstead()
        if strict and resolved_by == ResolvedBy.USER:
            _require_resolution_note(group, deps)
        return _Plan(
            changes={
                "resolved": True,
                "resolved_at": now,
                "resolved_by": resolved_by,
                "resolved_by_actor": actor,
                "escalation_finished": True,
                **_silence_cleared(),
            },
            close_grouping_key=True,
            stop_escalation=True,
            spare_execution=from_execution,
            timeline=[(timeline.RESOLVED, note or _resolved_text(resolved_by, actor))],
            event=GroupEventType.RESOLVED,
            cascade=lambda gid, d: resolve(gid, actor, d, strict=False, resolved_by=resolved_by),
        )

    try:
        return _transition(group_id, deps, actor, decide)
    except _StopMaintenanceInstead:
        return deps.stop_maintenance(group_id, actor, deps)


def _resolved_text(resolved_by: ResolvedBy, actor: Actor) -> str:
    return {
        ResolvedBy.SOURCE: "Resolved by the alert source.",
        ResolvedBy.LAST_STEP: "Resolved automatically by the escalation's resolve step.",
        ResolvedBy.WIPED: f"Resolved by wipe ({actor.label}).",
        ResolvedBy.DISABLE_MAINTENANCE: "Resolved by stop maintenance.",
        ResolvedBy.TIMEOUT: "Resolved automatically: no new alerts for the configured time.",
    }.get(resolved_by, f"Resolved by {actor.label}.")


def unresolve(group_id: str, actor: Actor, deps: ActionDeps, *, strict: bool = True) -> AlertGroup:
    def decide(group: AlertGroup, now: datetime) -> _Plan:
        _maintenance_incident_refusal(group, strict, "unresolve")
        if not group.resolved:
            _refuse(strict, "The alert group is not resolved.")
        if group.wiped_at is not None:
            _refuse(strict, "Can't unresolve a wiped alert group.")
        if strict:
            _attached_refusal(group, strict, "unresolve")
        # As in OnCall, unresolving does not reopen grouping: the next alert with this key opens a new group.
        return _Plan(
            changes={
                "resolved": False,
                "resolved_at": None,
                "resolved_by": None,
                "resolved_by_actor": None,
                **_ack_cleared(),
                **_silence_cleared(),
            },
            restart_escalation=group.root_group_id is None,
            timeline=[(timeline.UNRESOLVED, f"Unresolved by {actor.label}; escalation restarts.")],
            event=GroupEventType.UNRESOLVED,
            cascade=lambda gid, d: unresolve(gid, actor, d, strict=False),
        )

    return _transition(group_id, deps, actor, decide)


# ------------------------------------------------------------------------------------------ silence
def silence(group_id: str, actor: Actor, deps: ActionDeps, delay: int, *, strict: bool = True) -> AlertGroup:
    """Silence for `delay` seconds; -1 (or 0) means forever. A timed silence ends by itself and then the
    escalation restarts from step 0."""
    if delay < FOREVER:
        raise ConflictError("delay must be -1 (forever) or a number of seconds.")

    def decide(group: AlertGroup, now: datetime) -> _Plan:
        if group.resolved:
            _refuse(strict, "Can't silence a resolved alert group.")
        if group.acknowledged:
            _refuse(strict, "Can't silence an acknowledged alert group.")
        if strict:
            _attached_refusal(group, strict, "silence")
        until = now + timedelta(seconds=delay) if delay > 0 else None
        plan = _Plan(
            changes={"silenced": True, "silenced_at": now, "silenced_until": until, "silenced_by": actor},
            stop_escalation=True,
            timeline=[
                (timeline.SILENCED, f"Silenced by {actor.label} " + (f"until {iso(until)}." if until else "forever."))
            ],
            event=GroupEventType.SILENCED,
            cascade=lambda gid, d: silence(gid, actor, d, delay, strict=False),
        )
        if until is not None:
            timer_name = f"{group.id}-{UNSILENCE_TIMER}-{group.version + 1}"
            plan.timers.append((timer_name, UNSILENCE_TIMER, {"fire_at": iso(until), "until": iso(until)}))
        return plan

    return _transition(group_id, deps, actor, decide)


def unsilence(group_id: str, actor: Actor, deps: ActionDeps, *, strict: bool = True, reason: str = "") -> AlertGroup:
    def decide(group: AlertGroup, now: datetime) -> _Plan:
        if not group.silenced:
            _refuse(strict, "The alert group is not silenced.")
        if group.resolved:
            _refuse(strict, "Can't unsilence a resolved alert group.")
        if group.acknowledged:
            _refuse(strict, "Can't unsilence an acknowledged alert group.")
        if strict:
            _attached_refusal(group, strict, "unsilence")
        return _Plan(
            changes=_silence_cleared(),
            restart_escalation=group.root_group_id is None,
            timeline=[(timeline.UNSILENCED, reason or f"Unsilenced by {actor.label}; escalation restarts.")],
            event=GroupEventType.UNSILENCED,
            cascade=lambda gid, d: unsilence(gid, actor, d, strict=False),
        )

    return _transition(group_id, deps, actor, decide)


def auto_unsilence(group_id: str, data: dict[str, Any], deps: ActionDeps) -> None:
    """The unsilence timer fired: unsilence only if the group is still silenced by that same silence."""
    group = deps.store.get_group(group_id)
    if group is None or not group.silenced or group.silenced_until is None:
        return
    if iso(group.silenced_until) != data.get("until"):
        return
    unsilence(group_id, SYSTEM, deps, strict=False, reason="Silence ended; escalation restarts.")


# ------------------------------------------------------------------------------------------ attach
def attach(group_id: str, root_id: str, actor: Actor, deps: ActionDeps) -> AlertGroup:
    """Attach a group to a root group: it stops escalating and follows the root's actions from now on."""
    if group_id == root_id:
        raise ConflictError("Can't attach an alert group to itself.")
    root = _load(root_id, deps)
    if root.root_group_id:
        raise ConflictError("The target alert group is itself attached; attach to its root instead.")
    if root.resolved:
        raise ConflictError("Can't attach to a resolved alert group.")

    def decide(group: AlertGroup, now: datetime) -> _Plan:
        if group.root_group_id:
            _refuse(True, "The alert group is already attached.")
        if group.dependent_ids:
            _refuse(True, "The alert group has attached groups; it can't be attached itself.")
        _maintenance_incident_refusal(group, True, "attach")
        copied = {
            "acknowledged": root.acknowledged,
            "acknowledged_at": root.acknowledged_at,
            "acknowledged_by": root.acknowledged_by,
            "silenced": root.silenced,
            "silenced_at": root.silenced_at,
            "silenced_until": root.silenced_until,
            "silenced_by": root.silenced_by,
        }
        return _Plan(
            changes={"root_group_id": root_id, "escalation_finished": True, **copied},
            stop_escalation=True,
            timeline=[(timeline.ATTACHED, f"Attached to #{root.number} by {actor.label}.")],
            event=GroupEventType.ATTACHED,
        )

    attached = _transition(group_id, deps, actor, decide)
    _update_dependents(root_id, deps, add=group_id)
    deps.store.add_timeline(
        timeline.entry(root_id, deps.clock.now(), timeline.ATTACHED, f"#{attached.number} was attached.")
    )
    return attached


def unattach(group_id: str, actor: Actor, deps: ActionDeps) -> AlertGroup:
    group = _load(group_id, deps)
    root_id = group.root_group_id

    def decide(group: AlertGroup, now: datetime) -> _Plan:
        if not group.root_group_id:
            _refuse(True, "The alert group is not attached.")
        return _Plan(
            changes={"root_group_id": None},
            restart_escalation=not group.resolved,
            timeline=[(timeline.UNATTACHED, f"Unattached by {actor.label}; escalation restarts.")],
            event=GroupEventType.UNATTACHED,
        )

    unattached = _transition(group_id, deps, actor, decide)
    if root_id:
        _update_dependents(root_id, deps, remove=group_id)
    return unattached


def _update_dependents(root_id: str, deps: ActionDeps, *, add: str | None = None, remove: str | None = None) -> None:
    for _ in range(_MAX_ATTEMPTS):
        root = deps.store.get_group(root_id)
        if root is None:
            return
        dependents = [d for d in root.dependent_ids if d != remove]
        if add and add not in dependents:
            dependents.append(add)
        try:
            deps.store.update_group(root, {"dependent_ids": dependents})
            return
        except GroupChangedError:
            continue
    raise ConflictError("The root alert group is changing too fast; please retry.")


# ------------------------------------------------------------------------------------------ delete
def wipe(group_id: str, actor: Actor, deps: ActionDeps) -> AlertGroup:
    """Resolve (by wipe), forget every alert's content and stop grouping on this key."""
    now = deps.clock.now()
    text = f"Wiped by {actor.label} at {iso(now)}"

    def decide(group: AlertGroup, now: datetime) -> _Plan:
        changes: dict[str, Any] = {"wiped_at": now, "title": text}
        if not group.resolved:
            changes.update(
                resolved=True,
                resolved_at=now,
                resolved_by=ResolvedBy.WIPED,
                resolved_by_actor=actor,
                escalation_finished=True,
                **_silence_cleared(),
            )
        return _Plan(
            changes=changes,
            close_grouping_key=True,
            stop_escalation=True,
            timeline=[(timeline.WIPED, f"Wiped by {actor.label}.")],
            event=GroupEventType.WIPED,
        )

    wiped = _transition(group_id, deps, actor, decide)
    deps.store.wipe_alerts(group_id, text)
    return wiped


def delete(group_id: str, actor: Actor, deps: ActionDeps) -> None:
    """Hard delete. A deleted root releases its attached groups first."""
    group = _load(group_id, deps)
    for dependent_id in group.dependent_ids:
        if deps.store.get_group(dependent_id) is not None:
            unattach(dependent_id, actor, deps)
    if group.root_group_id:
        _update_dependents(group.root_group_id, deps, remove=group_id)
    if group.escalation and not group.escalation_finished:
        deps.escalations.stop(group.escalation.execution_name)
    # Free the grouping key before the group disappears, so the next alert opens a new group. Re-read: the
    # unattaches above changed this group's dependents (and its version); anything else may change it too.
    for _ in range(_MAX_ATTEMPTS):
        current = deps.store.get_group(group_id)
        if current is None or current.resolved:
            break
        try:
            deps.store.update_group(current, {"resolved": True}, close_grouping_key=True)
            break
        except GroupChangedError:
            continue
    deps.store.delete_group(group_id)
    deps.events.publish(
        GroupEvent(
            type=GroupEventType.DELETED,
            group_id=group_id,
            integration_id=group.integration_id,
            at=deps.clock.now(),
            actor=actor,
        )
    )


# ------------------------------------------------------------------------------------------ maintenance
def pause_escalation(group_id: str, actor: Actor, deps: ActionDeps, *, text: str) -> AlertGroup:
    """Stop a running escalation for a while (a maintenance window that pauses running escalations)."""

    def decide(group: AlertGroup, now: datetime) -> _Plan:
        if group.state != AlertGroupState.FIRING or group.root_group_id or group.escalation_finished:
            raise _Skip("not escalating")
        if group.escalation is None:
            raise _Skip("no escalation")
        return _Plan(
            changes={"escalation_finished": True},
            stop_escalation=True,
            timeline=[(timeline.ESCALATION_PAUSED, text)],
        )

    return _transition(group_id, deps, actor, decide)


def resume_escalation(group_id: str, actor: Actor, deps: ActionDeps, *, paused_execution: str, text: str) -> AlertGroup:
    """Restart from step 0 an escalation `pause_escalation` stopped, if the group is still firing and nothing
    restarted it meanwhile (an unacknowledge, say)."""

    def decide(group: AlertGroup, now: datetime) -> _Plan:
        if group.state != AlertGroupState.FIRING or group.root_group_id:
            raise _Skip("not firing")
        running = group.escalation.execution_name if group.escalation else None
        if running != paused_execution or not group.escalation_finished:
            raise _Skip("restarted meanwhile")
        return _Plan(restart_escalation=True, timeline=[(timeline.ESCALATION_RESUMED, text)])

    return _transition(group_id, deps, actor, decide)
