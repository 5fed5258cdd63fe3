"""Grouping (OnCall's `Alert.create` rules, docs/oncall-compatibility.md#grouping).

The key is (integration, route, md5 of the grouping template's output); with the integration option
grouping_scope="integration" the route is left out, so a firing and a resolve that route differently meet
(OnCall #4421) and the group keeps the route of its first alert. An empty or failed grouping
output, or a demo alert, never groups. Firing alerts join only the key's open group; a resolve signal with
no open group joins the key's latest resolved group (when source resolving is on); otherwise a new group is
opened. One open group per key is enforced by conditional writes in the store; the loser of a race re-reads.

A storm repeats a few keys many times, so the container remembers each key's open group (`OpenGroupHints`)
and joins it without reading the key: the join itself only succeeds while the group is open, so a stale
hint costs one refused write and a fresh read, never a wrong placement.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from oncall.escalation.plan import can_pause
from oncall.intake.types.catalog import get_type
from oncall.models import Alert, AlertGroup, GroupingScope, Integration, Route
from oncall.platform.clock import Clock
from oncall.storage.protocols import AlertAlreadyGroupedError, GroupClosedError, GroupKeyTakenError, GroupStore
from oncall.templates.engine import render, render_condition, render_title

_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class AlertSignals:
    distinction: str | None  # md5 of the grouping output; None = this alert never groups
    is_resolve: bool
    is_acknowledge: bool
    title: str


def template_for(integration: Integration, slot: str) -> str | None:
    """The integration's override for a slot, else its type's default."""
    override = integration.templates.get(slot)
    if override:
        return override
    kind = get_type(integration.type)
    return kind.default_template(slot) if kind else None


def behaviour_context(payload: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    """What grouping, resolve and acknowledge templates (and jinja2 routes) see."""
    return {"payload": payload, "labels": labels}


def evaluate_signals(integration: Integration, alert: Alert, labels: dict[str, str]) -> AlertSignals:
    context = behaviour_context(alert.payload, labels)
    distinction = None
    grouping = template_for(integration, "grouping_id")
    if grouping and not alert.is_demo:
        output = render(grouping, context)
        if output.ok and output.text:
            distinction = hashlib.md5(output.text.encode(), usedforsecurity=False).hexdigest()
    title_template = template_for(integration, "web_title")
    title = render_title(title_template, context).value if title_template else ""
    return AlertSignals(
        distinction=distinction,
        is_resolve=render_condition(template_for(integration, "resolve_condition"), context),
        is_acknowledge=render_condition(template_for(integration, "acknowledge_condition"), context),
        title=title.strip() or "Untitled alert group",
    )


def grouping_key(
    integration_id: str, route_id: str, distinction: str | None, scope: GroupingScope = "route"
) -> str | None:
    if not distinction:
        return None
    if scope == "integration":
        return f"{integration_id}#{distinction}"
    return f"{integration_id}#{route_id}#{distinction}"


@dataclass(frozen=True)
class Placement:
    """Where an alert went. `group` is the group as read or created; a join of an open group does not read
    it (the join's write checks what matters), so there only `group_id`, `paused` and `resolved` are known."""

    group_id: str
    created: bool
    group: AlertGroup | None = None
    paused: bool = False  # its escalation was paused when the alert joined (the alert may resume it)
    resolved: bool = False
    redelivered: bool = False  # the alert was already in this group (a redelivered message)


class OpenGroupHints(Protocol):
    def open_group(self, key: str) -> str | None: ...
    def remember_open_group(self, key: str, group_id: str) -> None: ...
    def forget_open_group(self, key: str) -> None: ...


NewGroupFactory = Callable[[str | None, datetime], AlertGroup]


def place_alert(
    alert: Alert,
    route: Route,
    signals: AlertSignals,
    integration: Integration,
    *,
    store: GroupStore,
    clock: Clock,
    new_group: NewGroupFactory,
    hints: OpenGroupHints | None = None,
) -> Placement:
    """Put the alert into its group, creating the group if needed. Safe to repeat for the same alert."""
    key = grouping_key(integration.id, route.id, signals.distinction, integration.grouping_scope)
    for _ in range(_MAX_ATTEMPTS):
        try:
            placement = _try_place(
                alert, key, signals, integration, store=store, clock=clock, new_group=new_group, hints=hints
            )
        except AlertAlreadyGroupedError:
            return _existing_placement(alert.id, store)
        except (GroupKeyTakenError, GroupClosedError):
            if hints is not None and key is not None:
                hints.forget_open_group(key)
            continue  # lost a race with another worker; look again
        return placement
    raise RuntimeError(f"could not place alert {alert.id} after {_MAX_ATTEMPTS} attempts")


def _try_place(
    alert: Alert,
    key: str | None,
    signals: AlertSignals,
    integration: Integration,
    *,
    store: GroupStore,
    clock: Clock,
    new_group: NewGroupFactory,
    hints: OpenGroupHints | None,
) -> Placement:
    if key is not None:
        open_group_id = hints.open_group(key) if hints is not None else None
        pointer = None
        if open_group_id is None:
            pointer = store.get_group_key(key)
            open_group_id = pointer.open_group_id
        if open_group_id:
            joined = store.add_alert_to_group(open_group_id, alert, must_be_open=True)
            if hints is not None:
                hints.remember_open_group(key, open_group_id)
            return Placement(open_group_id, created=False, paused=joined.paused)
        last_resolved = pointer.last_resolved_group_id if pointer else None
        if signals.is_resolve and integration.allow_source_based_resolving and last_resolved:
            group = store.get_group(last_resolved)
            if group is not None:
                joined = store.add_alert_to_group(group.id, alert, must_be_open=False)
                return Placement(group.id, created=False, group=group, paused=joined.paused, resolved=group.resolved)
    group = new_group(key, clock.now())
    store.create_group(group, alert)
    if hints is not None and key is not None:
        hints.remember_open_group(key, group.id)
    return Placement(group.id, created=True, group=group)


def _existing_placement(alert_id: str, store: GroupStore) -> Placement:
    stored = store.get_alert(alert_id)
    group = store.get_group(stored.group_id) if stored and stored.group_id else None
    if group is None:
        raise RuntimeError(f"alert {alert_id} is marked grouped but its group is missing")
    return existing_placement(alert_id, group)


def existing_placement(alert_id: str, group: AlertGroup) -> Placement:
    """A redelivered alert, already in `group`."""
    return Placement(
        group.id,
        created=group.first_alert_id == alert_id,
        group=group,
        paused=can_pause(group),
        resolved=group.resolved,
        redelivered=True,
    )
