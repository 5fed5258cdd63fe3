"""Maintenance of an integration (OnCall's maintenance mode), scheduled windows and recurring windows.

Modes:
- `maintenance`: a maintenance incident is opened (an alert group on a hidden `maintenance` integration,
  never escalated). Alert groups created during the window do not escalate and are attached to it. When the
  window ends (its time is up, `maintenance_stop`, or someone resolves the incident) the incident and every
  group attached to it are resolved "by stop maintenance".
- `debug`: alerts are grouped, routed and escalated as usual, but nothing leaves the system: no notification
  on any channel, no outgoing webhook (escalation steps, personal rules, event triggers), no reminder. What
  would have been sent is written on the group's timeline ("Would have notified …"), and only that. This
  holds for every group of the integration while the window lasts, and for good for the groups created
  during it (their escalation is a dry run to the end). Nothing is resolved at the end.
Escalations already running when a window starts keep running (as OnCall; in debug mode as a dry run),
unless the window pauses them: their executions are stopped, and restarted from step 0 at the end if the
group is still firing.

State: one `Maintenance` item per integration (created with a conditional put, so two starts never both
win) and `MaintenanceWindow` items; both sit in the sparse `maintenance` index at the time the 1-minute sweep
must act (the end, the next start). Ends and window starts are claimed with a conditional write and a lease
before they act, so overlapping sweeps never start or end twice, and a crashed one is retried after the lease.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from oncall.groups import actions, timeline
from oncall.groups.actions import ActionDeps
from oncall.models import (
    SYSTEM,
    Actor,
    ActorKind,
    Alert,
    AlertGroup,
    AlertGroupState,
    Integration,
    Maintenance,
    MaintenanceMark,
    MaintenanceMode,
    MaintenanceWindow,
    ResolvedBy,
    Route,
    WindowClaim,
)
from oncall.platform import cron, ids
from oncall.platform.clock import Clock, humanize_duration
from oncall.platform.errors import ConflictError, NotFoundError, ValidationError
from oncall.storage.protocols import (
    ConfigurationStore,
    GroupStore,
    ItemChangedError,
    MaintenanceStore,
)

MIN_DURATION_SECONDS = 60
MAX_DURATION_SECONDS = 30 * 86400
LEASE = timedelta(minutes=2)
PREFIX_MAINTENANCE = "MN"
PREFIX_WINDOW = "MW"
# The hidden per-deployment integration that holds maintenance incidents (fixed ids: created once, on demand).
HIDDEN_INTEGRATION_ID = "CMAINTENANCE1"
HIDDEN_ROUTE_ID = "RMAINTENANCE1"
HIDDEN_INTEGRATION_NAME = "Maintenance incidents"
_MAX_ATTEMPTS = 8


def is_active(maintenance: Maintenance | None, now: datetime) -> bool:
    """In effect for new alert groups: started, not past its end, not being ended."""
    return maintenance is not None and maintenance.ending_since is None and now < maintenance.end_at


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# ------------------------------------------------------------------------------------------ start
def hidden_integration(store: ConfigurationStore, clock: Clock) -> Integration:
    found = store.get_integration(HIDDEN_INTEGRATION_ID)
    if found is not None:
        return found
    now = clock.now()
    route = Route(id=HIDDEN_ROUTE_ID, integration_id=HIDDEN_INTEGRATION_ID, position=0, is_default=True, created_at=now)
    integration = Integration(
        id=HIDDEN_INTEGRATION_ID,
        name=HIDDEN_INTEGRATION_NAME,
        type="maintenance",
        token=ids.integration_token(),
        description_short="Holds the maintenance incidents of this deployment.",
        default_route_id=route.id,
        created_at=now,
    )
    try:
        store.create_integration(integration, route)
    except Exception:  # another start created it first (the store refuses a second one)
        found = store.get_integration(HIDDEN_INTEGRATION_ID)
        if found is None:
            raise
        return found
    return integration


def _open_incident(
    integration: Integration, incident_id: str, maintenance_id: str, end_at: datetime, actor: Actor, deps: ActionDeps
) -> AlertGroup:
    store, now = deps.store, deps.clock.now()
    existing = store.get_group(incident_id)
    if existing is not None:
        return existing
    hidden = hidden_integration(store, deps.clock)
    title = f"Maintenance of {integration.name} for {humanize_duration((end_at - now).total_seconds())}"
    message = (
        f"Started by {actor.label}. Until {_when(end_at)}, new alert groups of {integration.name} are collected "
        "here without escalation; they are resolved when the maintenance ends. Resolve this incident to end "
        "the maintenance early."
    )
    alert = Alert(
        id=ids.public_id(ids.PREFIX_ALERT),
        integration_id=hidden.id,
        payload={"title": title, "message": message},
        received_at=now,
        request_id=maintenance_id,
    )
    incident = AlertGroup(
        id=incident_id,
        number=store.next_group_number(),
        integration_id=hidden.id,
        route_id=hidden.default_route_id,
        title=title,
        started_at=now,
        first_alert_id=alert.id,
        last_alert_id=alert.id,
        escalation_finished=True,
        maintenance=MaintenanceMark(role="incident", integration_id=integration.id, maintenance_id=maintenance_id),
    )
    store.put_alert(alert)
    store.create_group(incident, alert)
    store.add_timeline(
        timeline.entry(
            incident.id,
            now,
            timeline.MAINTENANCE_STARTED,
            f"Maintenance of {integration.name} started.",
            actor=actor.label,
        )
    )
    return incident


def _running_escalations(integration_id: str, store: GroupStore) -> dict[str, str]:
    return {
        group.id: group.escalation.execution_name
        for group in store.list_groups()
        if group.integration_id == integration_id
        and group.state == AlertGroupState.FIRING
        and group.root_group_id is None
        and group.escalation is not None
        and not group.escalation_finished
    }


def check_end(start: datetime, end_at: datetime, field_name: str) -> None:
    seconds = (end_at - start).total_seconds()
    if not MIN_DURATION_SECONDS <= seconds <= MAX_DURATION_SECONDS:
        message = f"A maintenance lasts from 1 minute to 30 days (this one: {humanize_duration(seconds)})."
        if seconds <= 0:
            message = "The end must be in the future."
        raise ValidationError(f"{field_name}: {message}", {field_name: [message]})


def start(
    integration_id: str,
    mode: MaintenanceMode,
    end_at: datetime,
    *,
    actor: Actor,
    deps: ActionDeps,
    pause_running_escalations: bool = False,
    window_id: str | None = None,
    maintenance_id: str | None = None,
    incident_id: str | None = None,
) -> Maintenance:
    """Start a maintenance now, until `end_at`. Raises ConflictError("Already on maintenance") if one is
    in effect. With `maintenance_id` (a window's retry), starting the same maintenance again is a no-op."""
    store, now = deps.store, deps.clock.now()
    integration = store.get_integration(integration_id)
    if integration is None:
        raise NotFoundError()
    if integration.type == "maintenance":
        raise ConflictError("The maintenance integration itself can't be put in maintenance.")
    current = store.get_maintenance(integration_id)
    if current is not None:
        if maintenance_id is not None and current.id == maintenance_id:
            return current
        raise ConflictError("Already on maintenance")
    maintenance_id = maintenance_id or ids.public_id(PREFIX_MAINTENANCE)
    paused = _running_escalations(integration_id, store) if pause_running_escalations else {}
    incident = None
    if mode == MaintenanceMode.MAINTENANCE:
        incident = _open_incident(
            integration, incident_id or ids.public_id(ids.PREFIX_ALERT_GROUP), maintenance_id, end_at, actor, deps
        )
    record = Maintenance(
        id=maintenance_id,
        integration_id=integration_id,
        mode=mode,
        started_at=now,
        end_at=end_at,
        author=actor.label,
        incident_id=incident.id if incident else None,
        window_id=window_id,
        pause_running_escalations=pause_running_escalations,
        paused=paused,
        check_at=end_at,
    )
    try:
        record = store.put_maintenance(record, expected_version=None)
    except ItemChangedError:
        if incident is not None and incident_id is None:  # a concurrent start won: close our stray incident
            actions.resolve(incident.id, SYSTEM, deps, strict=False, resolved_by=ResolvedBy.DISABLE_MAINTENANCE)
        raise ConflictError("Already on maintenance") from None
    text = f"Escalation paused: {integration.name} is in {mode.value} until {_when(end_at)}."
    for group_id in paused:
        with contextlib.suppress(NotFoundError):
            actions.pause_escalation(group_id, actor, deps, text=text)
    return record


# ------------------------------------------------------------------------------------------ end
def stop(
    integration_id: str, actor: Actor, deps: ActionDeps, *, maintenance_id: str | None = None
) -> Maintenance | None:
    """End the integration's maintenance (or only `maintenance_id`): resolve the incident and what it
    collected, restart paused escalations. Returns None if there was nothing to end (or another worker is
    ending it right now)."""
    store = deps.store
    for _ in range(_MAX_ATTEMPTS):
        now = deps.clock.now()
        current = store.get_maintenance(integration_id)
        if current is None or (maintenance_id is not None and current.id != maintenance_id):
            return None
        if current.ending_since is not None and current.ending_since + LEASE > now:
            return None
        try:
            claimed = store.put_maintenance(
                current.model_copy(update={"ending_since": now, "check_at": now + LEASE}),
                expected_version=current.version,
            )
        except ItemChangedError:
            continue
        _finish(claimed, actor, deps)
        return claimed
    raise ConflictError("The maintenance is changing too fast; please retry.")


def _finish(maintenance: Maintenance, actor: Actor, deps: ActionDeps) -> None:
    """Idempotent: a retry after a crash finds the resolved groups resolved and the restarted ones restarted."""
    store = deps.store
    integration = store.get_integration(maintenance.integration_id)
    name = integration.name if integration else maintenance.integration_id
    if maintenance.incident_id is not None:
        with contextlib.suppress(NotFoundError):
            incident = actions.resolve(
                maintenance.incident_id, actor, deps, strict=False, resolved_by=ResolvedBy.DISABLE_MAINTENANCE
            )
            for dependent_id in incident.dependent_ids:  # the cascade did this, unless a crash cut it short
                with contextlib.suppress(NotFoundError):
                    actions.resolve(dependent_id, actor, deps, strict=False, resolved_by=ResolvedBy.DISABLE_MAINTENANCE)
            store.add_timeline(
                timeline.entry(
                    incident.id,
                    deps.clock.now(),
                    timeline.MAINTENANCE_ENDED,
                    f"Maintenance of {name} ended; {len(incident.dependent_ids)} collected alert group(s) resolved.",
                    actor=actor.label,
                )
            )
    text = f"Maintenance of {name} ended; escalation restarts."
    for group_id, execution_name in maintenance.paused.items():
        with contextlib.suppress(NotFoundError):
            actions.resume_escalation(group_id, SYSTEM, deps, paused_execution=execution_name, text=text)
    store.delete_maintenance(maintenance.integration_id, maintenance.id)


def stop_for_incident(incident_id: str, actor: Actor, deps: ActionDeps) -> AlertGroup:
    """Resolving the maintenance incident stops the maintenance (which resolves the incident)."""
    incident = deps.store.get_group(incident_id)
    if incident is None:
        raise NotFoundError()
    mark = incident.maintenance
    if mark is not None and mark.role == "incident":
        ended = stop(mark.integration_id, actor, deps, maintenance_id=mark.maintenance_id)
        current = deps.store.get_maintenance(mark.integration_id)
        if ended is None and (current is None or current.id != mark.maintenance_id):
            # Its maintenance is gone (ended by a crashed worker): resolve the incident on its own.
            actions.resolve(incident_id, actor, deps, strict=False, resolved_by=ResolvedBy.DISABLE_MAINTENANCE)
    return deps.store.get_group(incident_id) or incident


# ------------------------------------------------------------------------------------------ alert processing
def mark_new_group(group: AlertGroup, deps: ActionDeps) -> AlertGroup:
    """A group being created during maintenance: in `maintenance` mode it will not escalate (and is
    attached to the incident by `collect`); in `debug` mode its escalation is a dry run.

    "No maintenance" is taken from the 5 s configuration cache (most integrations never have one, and a
    storm opens many groups); a cached maintenance is read again, since it may have been stopped since."""
    current = deps.config.maintenance(group.integration_id)
    if current is not None:
        current = deps.store.get_maintenance(group.integration_id)
    if current is None or not is_active(current, deps.clock.now()):
        return group
    if current.mode == MaintenanceMode.DEBUG:
        mark = MaintenanceMark(role="debug", integration_id=group.integration_id, maintenance_id=current.id)
        return group.model_copy(update={"maintenance": mark})
    mark = MaintenanceMark(
        role="collected",
        integration_id=group.integration_id,
        maintenance_id=current.id,
        incident_id=current.incident_id,
    )
    return group.model_copy(update={"maintenance": mark, "escalation": None, "escalation_finished": True})


def collect(group: AlertGroup, deps: ActionDeps) -> None:
    """Attach a group created during maintenance to the maintenance incident (safe to repeat)."""
    mark = group.maintenance
    if mark is None or mark.role != "collected" or not mark.incident_id or group.root_group_id:
        return
    try:
        actions.attach(group.id, mark.incident_id, SYSTEM, deps)
    except (ConflictError, NotFoundError):
        pass  # the maintenance ended while this group was being created: it ends with it
    else:
        incident = deps.store.get_group(mark.incident_id)
        if incident is not None and not incident.resolved:
            return
    actions.resolve(group.id, SYSTEM, deps, strict=False, resolved_by=ResolvedBy.DISABLE_MAINTENANCE)


# ------------------------------------------------------------------------------------------ debug mode
def delivers_nothing(group: AlertGroup, store: MaintenanceStore, now: datetime) -> bool:
    """Debug maintenance: nothing about this group leaves the system — no notification on any channel, no
    outgoing webhook (escalation steps, personal rules, event triggers), no reminder. True for a group created
    during debug maintenance (for good: its whole escalation is a dry run) and for any group of an integration
    that is in debug maintenance now (read, not cached: a window that just started counts)."""
    if group.maintenance is not None and group.maintenance.role == "debug":
        return True
    current = store.get_maintenance(group.integration_id)
    return current is not None and current.mode == MaintenanceMode.DEBUG and is_active(current, now)


def would_have(group: AlertGroup, what: str, now: datetime, store: GroupStore, **details) -> None:
    """The timeline entry of a delivery debug maintenance held back ("Would have notified …")."""
    store.add_timeline(
        timeline.entry(
            group.id,
            now,
            timeline.WOULD_HAVE_NOTIFIED,
            f"Would have {what} (debug maintenance: nothing was sent).",
            **details,
        )
    )


# ------------------------------------------------------------------------------------------ windows
class WindowStore(ConfigurationStore, MaintenanceStore, Protocol):
    """A window belongs to an integration (read from the configuration) and is kept with the maintenances."""


@dataclass(frozen=True)
class WindowSpec:
    mode: MaintenanceMode
    duration_seconds: int
    start_at: datetime | None = None
    cron: str | None = None
    timezone: str = "UTC"
    pause_running_escalations: bool = False


def _field_error(name: str, message: str) -> ValidationError:
    return ValidationError(f"{name}: {message}", {name: [message]})


def first_start(window: MaintenanceWindow, now: datetime) -> datetime | None:
    """The start of the first occurrence that has not ended yet (it may have begun already)."""
    duration = timedelta(seconds=window.duration_seconds)
    if window.cron:
        return cron.next_after(window.cron, window.timezone, now - duration)
    if window.start_at is not None and window.start_at + duration > now:
        return window.start_at
    return None


def create_window(integration_id: str, spec: WindowSpec, actor: Actor, *, store: WindowStore, clock: Clock):
    integration = store.get_integration(integration_id)
    if integration is None:
        raise NotFoundError()
    if integration.type == "maintenance":
        raise ConflictError("The maintenance integration itself can't be put in maintenance.")
    if (spec.start_at is None) == (spec.cron is None):
        raise _field_error("start_at", "Give either start_at (one window) or cron (a recurring window).")
    if not MIN_DURATION_SECONDS <= spec.duration_seconds <= MAX_DURATION_SECONDS:
        raise _field_error("duration", "A maintenance lasts from 60 seconds to 30 days.")
    if spec.cron and (problem := cron.check_expression(spec.cron)):
        raise _field_error("cron", problem)
    if problem := cron.check_timezone(spec.timezone):
        raise _field_error("timezone", problem)
    now = clock.now()
    window = MaintenanceWindow(
        id=ids.public_id(PREFIX_WINDOW),
        integration_id=integration_id,
        mode=spec.mode,
        duration_seconds=spec.duration_seconds,
        start_at=spec.start_at,
        cron=spec.cron,
        timezone=spec.timezone,
        pause_running_escalations=spec.pause_running_escalations,
        created_at=now,
        created_by=actor.label,
    )
    first = first_start(window, now)
    if first is None:
        raise _field_error("start_at", "This window has already ended.")
    window = window.model_copy(update={"next_start_at": first, "check_at": first})
    return store.put_maintenance_window(window, expected_version=None)


def delete_window(integration_id: str, window_id: str, *, store: MaintenanceStore) -> None:
    """Forget a scheduled window. A maintenance it already started goes on (stop it with maintenance_stop)."""
    if store.get_maintenance_window(integration_id, window_id) is None:
        raise NotFoundError()
    store.delete_maintenance_window(integration_id, window_id, expected_version=None)


def _window_actor(window: MaintenanceWindow) -> Actor:
    by = f" by {window.created_by}" if window.created_by else ""
    return Actor(kind=ActorKind.SYSTEM, name=f"maintenance window {window.id} (scheduled{by})")


def _advance(window: MaintenanceWindow, store: MaintenanceStore, *, after: datetime) -> None:
    """Schedule the window's next occurrence after `after`; a one-off window is done."""
    with contextlib.suppress(ItemChangedError):  # deleted or changed meanwhile: nothing left to schedule
        if not window.cron:
            store.delete_maintenance_window(window.integration_id, window.id, expected_version=window.version)
            return
        following = cron.next_after(window.cron, window.timezone, after)
        store.put_maintenance_window(
            window.model_copy(update={"claim": None, "next_start_at": following, "check_at": following}),
            expected_version=window.version,
        )


def start_window(window: MaintenanceWindow, deps: ActionDeps) -> str:
    """The sweep found a window due: start its occurrence. Returns what happened: started, skipped (another
    maintenance was in effect), missed (the occurrence ended before any sweep saw it), busy, gone."""
    store, now = deps.store, deps.clock.now()
    if window.claim is not None and window.claim.until > now:
        return "busy"
    occurrence = window.claim.occurrence if window.claim else window.next_start_at
    if occurrence is None:
        return "gone"
    end_at = occurrence + timedelta(seconds=window.duration_seconds)
    if end_at <= now:
        _advance(window, store, after=now - timedelta(seconds=window.duration_seconds))
        return "missed"
    claim = window.claim or WindowClaim(
        occurrence=occurrence,
        maintenance_id=ids.public_id(PREFIX_MAINTENANCE),
        incident_id=ids.public_id(ids.PREFIX_ALERT_GROUP),
        until=now,
    )
    claim = claim.model_copy(update={"until": now + LEASE})
    try:
        claimed = store.put_maintenance_window(
            window.model_copy(update={"claim": claim, "check_at": claim.until}), expected_version=window.version
        )
    except ItemChangedError:
        return "busy"  # another sweep claimed it
    outcome = "started"
    try:
        start(
            window.integration_id,
            window.mode,
            end_at,
            actor=_window_actor(window),
            deps=deps,
            pause_running_escalations=window.pause_running_escalations,
            window_id=window.id,
            maintenance_id=claim.maintenance_id,
            incident_id=claim.incident_id,
        )
    except ConflictError:
        outcome = "skipped"
    except NotFoundError:
        outcome = "gone"
    _advance(claimed, store, after=occurrence)
    return outcome


# ------------------------------------------------------------------------------------------ sweep
@dataclass
class SweepResult:
    started: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # window occurrences that could not start
    failed: list[str] = field(default_factory=list)


def sweep(*, deps: ActionDeps, on_error: Callable[[str, Exception], None] | None = None) -> SweepResult:
    """Maintenances whose time is up end (first), then due windows start."""
    result = SweepResult()
    due = deps.store.list_due_maintenance(deps.clock.now())
    due.sort(key=lambda item: isinstance(item, MaintenanceWindow))
    for item in due:
        try:
            if isinstance(item, Maintenance):
                if stop(item.integration_id, SYSTEM, deps, maintenance_id=item.id) is not None:
                    result.ended.append(item.integration_id)
                continue
            outcome = start_window(item, deps)
        except Exception as error:  # noqa: BLE001 - isolate items; the lease makes the next sweep retry
            result.failed.append(item.integration_id)
            if on_error is not None:
                on_error(item.integration_id, error)
            continue
        if outcome == "started":
            result.started.append(item.integration_id)
        elif outcome in ("skipped", "missed"):
            result.skipped.append(item.integration_id)
    return result
