"""`oncall alert-groups` (list, inspect, act) and `oncall tail` (follow them live by polling the API)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.text import Text

from oncall_cli.client import OnCallClient
from oncall_cli.commands import refs
from oncall_cli.ui import (
    JsonOption,
    YesOption,
    client,
    command,
    confirm_delete,
    console,
    details,
    errors,
    label_pairs,
    print_json,
    print_table,
    seconds_option,
    show,
)

alert_groups_app = typer.Typer(help="Alert groups: list, inspect and act on them.", no_args_is_help=True)

GroupArg = Annotated[str, typer.Argument(help="Alert group id.")]
GroupsArg = Annotated[list[str], typer.Argument(help="Alert group ids.")]
_FIELDS = [
    "id",
    "title",
    "state",
    "alerts_count",
    "integration_id",
    "route_id",
    "created_at",
    "acknowledged_at",
    "acknowledged_by",
    "resolved_at",
    "resolved_by",
    "silenced_at",
    "silenced_until",
    "root_alert_group_id",
    "labels",
    "permalinks",
]


def _label_params(labels: list[str] | None) -> list[tuple[str, str]]:
    """KEY=VALUE or KEY:VALUE (as every command takes labels) into the API's `label=key:value` filters."""
    params = []
    for label in labels or []:
        for key, value in label_pairs([label]).items():
            params.append(("label", f"{key}:{value}"))
    return params


def _labels(group: dict[str, Any]) -> str:
    return ", ".join(f"{pair['key']['name']}={pair['value']['name']}" for pair in group.get("labels") or [])


@command(alert_groups_app, "list")
def alert_groups_list(
    state: Annotated[str | None, typer.Option(help="firing (alias new), acknowledged, resolved or silenced.")] = None,
    integration: Annotated[str | None, typer.Option(help="Integration id or name.")] = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", help="KEY=VALUE (or KEY:VALUE), repeatable (all must match).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Newest first, at most this many.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """List alert groups, newest first."""
    api = client()
    params: list[tuple[str, Any]] = [("perpage", limit), *_label_params(label)]
    if state:
        params.append(("state", state))
    if integration:
        params.append(("integration_id", refs.integration(api, integration)["id"]))
    groups = api.request("GET", "alert_groups", params=params)["results"]
    if as_json:
        print_json(groups)
        return
    names = refs.names(api, "integrations")
    rows = [
        {**g, "integration": names.get(g["integration_id"], g["integration_id"]), "labels": _labels(g)} for g in groups
    ]
    print_table(rows, ["id", "state", "alerts_count", "integration", "title", "created_at"], empty="No alert groups.")


@command(alert_groups_app, "get")
def alert_groups_get(group: GroupArg, as_json: JsonOption = False) -> None:
    """Show an alert group (with its latest alert's payload under --json)."""
    found = client().request("GET", f"alert_groups/{group}")
    show(found, as_json, lambda g: console.print(details({**g, "labels": _labels(g)}, _FIELDS)))


def _act(groups: list[str], action: str, done: str, body: dict[str, Any] | None, as_json: bool) -> None:
    api = client()
    results = [api.request("POST", f"alert_groups/{group}/{action}", json=body) for group in groups]
    if as_json:
        print_json(results if len(results) > 1 else results[0])
        return
    for result in results:
        console.print(f"{done} {result['id']} ({result['title']}): now {result['state']}.")


@command(alert_groups_app, "ack")
def alert_groups_ack(groups: GroupsArg, as_json: JsonOption = False) -> None:
    """Acknowledge: escalation stops (reminders may follow, see settings)."""
    _act(groups, "acknowledge", "Acknowledged", None, as_json)


@command(alert_groups_app, "unack")
def alert_groups_unack(groups: GroupsArg, as_json: JsonOption = False) -> None:
    """Unacknowledge: escalation starts again from step 0."""
    _act(groups, "unacknowledge", "Unacknowledged", None, as_json)


@command(alert_groups_app, "resolve")
def alert_groups_resolve(groups: GroupsArg, as_json: JsonOption = False) -> None:
    """Resolve."""
    _act(groups, "resolve", "Resolved", None, as_json)


@command(alert_groups_app, "unresolve")
def alert_groups_unresolve(groups: GroupsArg, as_json: JsonOption = False) -> None:
    """Unresolve: escalation starts again from step 0."""
    _act(groups, "unresolve", "Unresolved", None, as_json)


@command(alert_groups_app, "silence")
def alert_groups_silence(
    groups: GroupsArg,
    duration: Annotated[str, typer.Option("--for", help="30m, 1h, 1d … or forever.")] = "1h",
    as_json: JsonOption = False,
) -> None:
    """Silence: no escalation until it ends (or `unsilence`)."""
    delay = -1 if duration.strip().lower() == "forever" else seconds_option(duration, "--for")
    _act(groups, "silence", "Silenced", {"delay": delay}, as_json)


@command(alert_groups_app, "unsilence")
def alert_groups_unsilence(groups: GroupsArg, as_json: JsonOption = False) -> None:
    """Unsilence: escalation starts again from step 0."""
    _act(groups, "unsilence", "Unsilenced", None, as_json)


@command(alert_groups_app, "delete")
def alert_groups_delete(
    groups: GroupsArg,
    mode: Annotated[str, typer.Option(help="wipe (keep the group, drop its alerts' content) or delete.")] = "wipe",
    yes: YesOption = False,
) -> None:
    """Wipe (default, as OnCall's API) or delete alert groups."""
    confirm_delete(f"{'(wipe) ' if mode == 'wipe' else ''}alert group(s) {', '.join(groups)}", yes)
    api = client()
    for group in groups:
        api.request("DELETE", f"alert_groups/{group}", json={"mode": mode})
        console.print(f"{'Wiped' if mode == 'wipe' else 'Deleted'} {group}.")


@command(alert_groups_app, "timeline")
def alert_groups_timeline(group: GroupArg, as_json: JsonOption = False) -> None:
    """What happened to a group: routing, escalation steps, notifications, actions."""
    entries = client().request("GET", f"alert_groups/{group}/timeline")["results"]
    show(entries, as_json, lambda e: print_table(e, ["at", "type", "text"], empty="(empty timeline)"))


# ------------------------------------------------------------------------------------------ tail
# Timelines read per poll, after the first: groups that are new or changed (at most this many; the rest
# wait for the next poll), plus this many other open groups in turn (their escalations page people without
# the group changing). At the default 2 s interval a quiet deployment costs 90 requests a minute, well
# within the API's 300 per token.
CHANGED_TIMELINES_PER_POLL = 10
OPEN_TIMELINES_PER_POLL = 2
_BACK_TO_FIRING = {"acknowledged": "unacknowledged", "resolved": "unresolved", "silenced": "unsilenced"}
_STATE_TIMES = {"acknowledged": "acknowledged_at", "resolved": "resolved_at", "silenced": "silenced_at"}


def _second(text: str | None) -> str:
    return (text or "")[:19]


class Tailer:
    """Turns successive polls of the API into events: new groups, state changes, new alerts, and new timeline
    entries (notifications, escalation steps, webhooks). The first poll only records what exists."""

    def __init__(self, api: OnCallClient, *, integration_id: str | None = None, timelines: bool = True) -> None:
        self.api = api
        self.integration_id = integration_id
        self.timelines = timelines
        self.groups: dict[str, dict[str, Any]] = {}
        self.seen: dict[str, set[tuple[str, str, str]]] = {}
        self.marker: dict[str, str] = {}  # groups resolved before we started: older entries are history
        self.pending: dict[str, dict[str, Any]] = {}  # new or changed groups whose timeline is to be read
        self.last_read: dict[str, int] = {}  # group id → the poll its timeline was last read in
        self.polls = 0
        self.started = False

    def poll(self) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"perpage": 50}
        if self.integration_id:
            params["integration_id"] = self.integration_id
        page = self.api.request("GET", "alert_groups", params=params)["results"]
        events: list[dict[str, Any]] = []
        baseline: list[dict[str, Any]] = []
        for group in reversed(page):  # oldest first, so events print in order
            before = self.groups.get(group["id"])
            self.groups[group["id"]] = group
            if before is None and not self.started:
                if group["state"] == "resolved":
                    self.marker[group["id"]] = _second(group["resolved_at"])
                else:
                    baseline.append(group)
                continue
            events += self._changes(group, before)
            if before != group:
                self.pending[group["id"]] = group
        self.polls += 1
        if self.timelines:
            for group in baseline or self._timelines_to_read(page):
                events.extend(self._timeline(group))
        self.started = True
        return events

    def _changes(self, group: dict[str, Any], before: dict[str, Any] | None) -> list[dict[str, Any]]:
        if before is None:
            count = group["alerts_count"]
            return [self._event(group, group["created_at"], "new", f"new group ({count} alert(s))")]
        events = []
        if group["state"] != before["state"] and not self.timelines:  # else the timeline says who did it
            at = group.get(_STATE_TIMES.get(group["state"], ""))
            back = _BACK_TO_FIRING.get(before["state"], "firing")
            events.append(
                self._event(group, at, back if group["state"] == "firing" else group["state"], "now " + group["state"])
            )
        if group["alerts_count"] > before["alerts_count"]:
            added = group["alerts_count"] - before["alerts_count"]
            at = (group.get("last_alert") or {}).get("created_at")
            events.append(self._event(group, at, "alert", f"+{added} alert(s), {group['alerts_count']} in all"))
        return events

    def _timelines_to_read(self, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
        changed = list(self.pending.values())[:CHANGED_TIMELINES_PER_POLL]
        for group in changed:
            del self.pending[group["id"]]
        chosen = {g["id"] for g in changed}
        idle = [g for g in page if g["state"] != "resolved" and g["id"] not in chosen]
        idle.sort(key=lambda g: self.last_read.get(g["id"], 0))
        return changed + idle[:OPEN_TIMELINES_PER_POLL]

    def _timeline(self, group: dict[str, Any]) -> list[dict[str, Any]]:
        entries = self.api.request("GET", f"alert_groups/{group['id']}/timeline")["results"]
        self.last_read[group["id"]] = self.polls
        seen = self.seen.setdefault(group["id"], set())
        baseline = not self.started
        marker = self.marker.pop(group["id"], None)
        events = []
        for entry in entries:
            key = (entry["at"], entry["type"], entry["text"])
            if key in seen:
                continue
            seen.add(key)
            old = baseline or (marker is not None and _second(entry["at"]) <= marker)
            if not old and entry["type"] != "registered":  # "new" said it already
                events.append(self._event(group, entry["at"], entry["type"], entry["text"]))
        return events

    @staticmethod
    def _event(group: dict[str, Any], at: str | None, kind: str, text: str) -> dict[str, Any]:
        return {
            "at": at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "alert_group_id": group["id"],
            "integration_id": group["integration_id"],
            "title": group["title"],
            "state": group["state"],
            "event": kind,
            "text": text,
        }


_STYLES = {
    "new": "bold red",
    "alert": "red",
    "acknowledged": "yellow",
    "resolved": "green",
    "silenced": "blue",
    "notified": "cyan",
    "notification_failed": "magenta",
}


def _print_event(event: dict[str, Any], integrations: dict[str, str]) -> None:
    where = integrations.get(event["integration_id"], event["integration_id"])
    line = Text(f"{event['at'][11:19]}  {event['alert_group_id']}  ")
    line.append(f"{event['event']:<20}", style=_STYLES.get(event["event"]))
    line.append(f"  {where}: {event['title']} — {event['text']}")
    console.print(line)


def tail(
    integration: Annotated[str | None, typer.Option(help="Only this integration (id or name).")] = None,
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 2.0,
    stop_after: Annotated[
        str | None, typer.Option("--for", help="Stop after this long (30s, 5m); default: Ctrl-C.")
    ] = None,
    no_timeline: Annotated[
        bool, typer.Option("--no-timeline", help="Only new groups and state changes (fewer API calls).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Follow alert groups live (polls the API; Ctrl-C stops).

    Prints new groups, new alerts, state changes and, from the timelines, notifications and escalation
    steps. --json prints one JSON object per line."""
    limit = seconds_option(stop_after, "--for")
    if interval <= 0:
        raise typer.BadParameter("must be positive", param_hint="--interval")
    api = client()
    integration_id = refs.integration(api, integration)["id"] if integration else None
    tailer = Tailer(api, integration_id=integration_id, timelines=not no_timeline)
    names = refs.names(api, "integrations")
    emit: Callable[[dict[str, Any]], None] = (
        (lambda e: print(json.dumps(e, ensure_ascii=False), flush=True))
        if as_json
        else (lambda e: _print_event(e, names))
    )
    deadline = time.monotonic() + limit if limit is not None else None
    try:
        tailer.poll()
        open_groups = sum(1 for g in tailer.groups.values() if g["state"] != "resolved")
        errors.print(f"Watching {api.url} ({open_groups} open alert groups). Ctrl-C stops.", style="dim")
        while deadline is None or time.monotonic() < deadline:
            time.sleep(interval if deadline is None else max(0.0, min(interval, deadline - time.monotonic())))
            for event in tailer.poll():
                if event["integration_id"] not in names:
                    names.update(refs.names(api, "integrations"))
                emit(event)
    except KeyboardInterrupt:
        errors.print("Stopped.", style="dim")
