"""Reading the deployment's configuration from the API and applying a plan to it (the I/O half of
configuration as code; the model and the planner are in config_as_code.py).

A plan is applied in dependency order: settings, teams, users, schedules, escalation chains (names only),
integrations (with their routes, heartbeat and windows), webhooks (they may filter on integrations), then
the chains' steps (they may name users, schedules, teams and webhooks), and finally deletions, most
dependent first. Names become ids as resources are created.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from oncall_cli.client import ApiError, OnCallClient
from oncall_cli.config_as_code import (
    CHAIN,
    DELETE_ORDER,
    INTEGRATION,
    KINDS,
    SCHEDULE,
    SETTINGS,
    TEAM,
    USER,
    WEBHOOK,
    ChainSpec,
    Change,
    IntegrationSpec,
    Kind,
    Plan,
    RouteSpec,
    RuleSpec,
    ScheduleSpec,
    ShiftSpec,
    Snapshot,
    StepSpec,
    TeamSpec,
    UserSpec,
    WebhookSpec,
    WindowSpec,
    full_templates,
    sequence_ops,
    window_spec,
    windows_to_create,
    windows_to_delete,
)


def fetch_snapshot(
    api: OnCallClient,
    *,
    windows_for: Callable[[dict[str, Any]], bool] | None = None,
    reveal_secrets: bool = False,
) -> Snapshot:
    """Everything the configuration covers, as the API shows it. Maintenance windows are one request per
    integration: only for those `windows_for` accepts (default: all). `reveal_secrets` reads the resources that
    carry secrets with `reveal_secrets=true` (an admin token only, audited by the API; else ApiError 403)."""
    secret = {"reveal_secrets": "true"} if reveal_secrets else {}
    snapshot = Snapshot(
        settings=api.request("GET", "settings"),
        teams=api.list_all("teams"),
        users=api.list_all("users", **secret),
        schedules=api.list_all("schedules", **secret),
        webhooks=api.list_all("webhooks", **secret),
        chains=api.list_all("escalation_chains"),
        steps=api.list_all("escalation_policies", **secret),
        integrations=api.list_all("integrations"),
        routes=api.list_all("routes"),
        shifts=_optional_list(api, "on_call_shifts"),
    )
    for integration in snapshot.integrations:
        if windows_for is None or windows_for(integration):
            path = f"integrations/{integration['id']}/maintenance_windows"
            snapshot.windows[integration["id"]] = api.list_all(path)
    return snapshot


def _optional_list(api: OnCallClient, path: str) -> list[dict[str, Any]]:
    """A list older deployments do not serve (404): empty there."""
    try:
        return api.list_all(path)
    except ApiError as error:
        if error.status in (404, 405):
            return []
        raise


class ApplyError(Exception):
    def __init__(self, change: Change, done: int, total: int, error: ApiError) -> None:
        action = {"create": "creating", "update": "updating", "delete": "deleting"}[change.action]
        super().__init__(
            f'{action} {change.kind.label} "{change.name}" failed: {error}\n{done} of {total} changes were '
            "applied; fix the problem and apply again (what is done already plans as unchanged)."
        )
        self.change, self.done, self.total, self.error = change, done, total, error


Progress = Callable[[Change, int, int], None]


class Applier:
    def __init__(self, api: OnCallClient, snapshot: Snapshot, progress: Progress | None = None) -> None:
        self.api = api
        self.snapshot = snapshot
        self.progress = progress or (lambda _change, _done, _total: None)
        self.ids: dict[Kind, dict[str, str]] = {kind: snapshot.ids(kind) for kind in KINDS}

    # ------------------------------------------------------------------ names → ids
    def id(self, kind: Kind, name: str | None) -> str | None:
        if name is None:
            return None
        try:
            return self.ids[kind][name]
        except KeyError:
            raise ApiError(404, {"detail": f'no {kind.label} named "{name}"'}) from None

    # ------------------------------------------------------------------ the run
    def apply(self, plan: Plan) -> int:
        """Apply every change; returns how many. Raises ApplyError at the first failure."""
        total, done = len(plan.changes), 0
        chains: list[Change] = []

        def run(change: Change, action: Callable[[Change], None], report: bool = True) -> None:
            nonlocal done
            try:
                action(change)
            except ApiError as error:
                raise ApplyError(change, done, total, error) from error
            if report:
                done += 1
                self.progress(change, done, total)

        for change in plan.changes:
            if change.kind is SETTINGS:
                run(change, self._settings)
        for kind in KINDS:
            for change in plan.changes:
                if change.kind is not kind or change.action == "delete":
                    continue
                if kind is CHAIN:
                    run(change, self._chain, report=False)  # its steps come last: they name everything else
                    chains.append(change)
                else:
                    run(change, getattr(self, f"_{kind.section}"))
        for change in chains:
            run(change, self._steps)
        for kind in DELETE_ORDER:
            for change in plan.changes:
                if change.kind is kind and change.action == "delete":
                    run(change, self._delete)
        return done

    def _save(self, change: Change, resource: str, body: dict[str, Any], *, method: str = "PUT") -> str:
        """Create or update the change's resource; returns its id (and remembers it under its new name)."""
        kind = change.kind
        if change.action == "create":
            object_id = self.api.request("POST", resource, json=body)["id"]
        else:
            object_id = self.id(kind, change.current_name)
            self.api.request(method, f"{resource}/{object_id}", json=body)
        self.ids[kind][change.name] = object_id
        return object_id

    def _delete(self, change: Change) -> None:
        path = f"{change.kind.resource}/{self.id(change.kind, change.name)}"
        try:
            self.api.request("DELETE", path)
        except ApiError as error:
            raise _unsupported(error, change.kind, "DELETE", path) from error
        self.ids[change.kind].pop(change.name, None)

    # ------------------------------------------------------------------ resources
    def _settings(self, change: Change) -> None:
        self.api.request("PUT", "settings", json=change.desired.model_dump())

    def _teams(self, change: Change) -> None:
        spec: TeamSpec = change.desired
        self._save(change, "teams", {"name": spec.name, "email": spec.email})

    @staticmethod
    def _rules(rules: list[RuleSpec]) -> list[dict[str, Any]]:
        return [
            {"type": "notify", "contact": r.contact} if r.type == "notify" else {"type": "wait", "duration": r.duration}
            for r in rules
        ]

    def _users(self, change: Change) -> None:
        spec: UserSpec = change.desired
        body = {
            "username": spec.username,
            "name": spec.name,
            "email": spec.email,
            "phone": spec.phone,
            "timezone": spec.timezone,
            "teams": [self.id(TEAM, t) for t in spec.teams],
            "contacts": spec.contacts,
            "default_rules": self._rules(spec.default_rules),
            "important_rules": self._rules(spec.important_rules),
        }
        self._save(change, "users", body)

    def _schedules(self, change: Change) -> None:
        spec: ScheduleSpec = change.desired
        body = {
            "name": spec.name,
            "type": "ical" if spec.ical_url else "calendar",
            "time_zone": spec.time_zone,
            "team_id": self.id(TEAM, spec.team),
            "layers": [
                {
                    "users": [self.id(USER, u) for u in layer.users],
                    "frequency": layer.frequency,
                    "start": layer.start.isoformat(timespec="seconds"),
                    "shift_seconds": layer.shift_seconds,
                    "duration": layer.duration,
                }
                for layer in spec.layers
            ],
            "overrides": [
                {"user_id": self.id(USER, o.user), "start": _utc(o.start), "end": _utc(o.end)} for o in spec.overrides
            ],
            "ical_url_primary": spec.ical_url,
        }
        current: ScheduleSpec | None = change.current
        old_ids: list[str] = []
        if current is None or spec.shifts != current.shifts:
            # shifts are replaced as a whole: the new ones first, then the schedule, then the old ones go
            if current is not None:
                old_ids = next(
                    (s.get("shifts") or [] for s in self.snapshot.schedules if s["name"] == change.current_name), []
                )
            body["shifts"] = [
                self.api.request("POST", "on_call_shifts", json=self._shift(s))["id"] for s in spec.shifts
            ]
        self._save(change, "schedules", body)
        for shift_id in old_ids:
            self.api.request("DELETE", f"on_call_shifts/{shift_id}")

    def _shift(self, shift: ShiftSpec) -> dict[str, Any]:
        body = shift.model_dump(mode="json", exclude={"users", "rolling_users"})
        body["duration"] = shift.duration
        body["users"] = [self.id(USER, u) for u in shift.users] or None
        body["rolling_users"] = [[self.id(USER, u) for u in group] for group in shift.rolling_users] or None
        return body

    def _chain(self, change: Change) -> None:
        spec: ChainSpec = change.desired
        current: ChainSpec | None = change.current
        if current is not None and (current.name, current.team) == (spec.name, spec.team):
            return
        body = {"name": spec.name, "team_id": self.id(TEAM, spec.team)}
        try:
            self._save(change, "escalation_chains", body)
        except ApiError as error:
            if change.action == "create":
                raise
            raise _unsupported(
                error, CHAIN, "PUT", f"escalation_chains/{self.id(CHAIN, change.current_name)}"
            ) from error

    def _steps(self, change: Change) -> None:
        spec: ChainSpec = change.desired
        chain_id = self.id(CHAIN, change.name)
        current: list[StepSpec] = change.current.steps if change.current is not None else []
        existing = self.snapshot.steps_of(chain_id) if change.current is not None else []
        for op in sequence_ops(spec.steps, current):
            if op.action == "delete":
                self.api.request("DELETE", f"escalation_policies/{existing[op.current]['id']}")
            elif op.action == "create":
                body = {"escalation_chain_id": chain_id, "position": op.index, **self._step(spec.steps[op.index])}
                self.api.request("POST", "escalation_policies", json=body)
            else:
                body = {"position": op.index, **self._step(spec.steps[op.index])}
                self.api.request("PUT", f"escalation_policies/{existing[op.current]['id']}", json=body)

    def _step(self, step: StepSpec) -> dict[str, Any]:
        body: dict[str, Any] = {"type": step.type}
        match step.type:
            case "wait":
                body["duration"] = step.duration
            case "notify_persons":
                body["persons_to_notify"] = [self.id(USER, u) for u in step.persons or []]
            case "notify_person_next_each_time":
                body["persons_to_notify_next_each_time"] = [self.id(USER, u) for u in step.persons or []]
            case "notify_on_call_from_schedule":
                body["notify_on_call_from_schedule"] = self.id(SCHEDULE, step.schedule)
            case "notify_team_members":
                body["team_to_notify"] = self.id(TEAM, step.team)
            case "trigger_webhook":
                body["action_to_trigger"] = self.id(WEBHOOK, step.webhook)
            case "notify_channel":
                body["channel"] = step.channel
            case "notify_if_time_from_to":
                body["notify_if_time_from"] = step.notify_if_time_from
                body["notify_if_time_to"] = step.notify_if_time_to
            case "notify_if_num_alerts_in_window":
                body["num_alerts_in_window"] = step.num_alerts_in_window
                body["num_minutes_in_window"] = step.num_minutes_in_window
        if step.type in (
            "notify_persons",
            "notify_person_next_each_time",
            "notify_on_call_from_schedule",
        ) or step.type in (
            "notify_team_members",
            "notify_channel",
        ):
            body["important"] = step.important
        return body

    def _integrations(self, change: Change) -> None:
        spec: IntegrationSpec = change.desired
        current: IntegrationSpec | None = change.current
        options = {
            "name": spec.name,
            "team_id": self.id(TEAM, spec.team),
            "description_short": spec.description_short,
            "labels": spec.labels,
            "dynamic_labels": spec.dynamic_labels,
            "labels_template": spec.labels_template,
            "allow_source_based_resolving": spec.allow_source_based_resolving,
            "grouping_scope": spec.grouping_scope,
            "auto_resolve_minutes": spec.auto_resolve_minutes,
            "rate_limit": spec.rate_limit.model_dump() if spec.rate_limit else None,
            "default_route": {"escalation_chain_id": self.id(CHAIN, spec.default_chain)},
        }
        own = {"routes", "heartbeat", "maintenance_windows", "renamed_from"}
        if current is None:
            body = {"type": spec.type, "templates": spec.templates, **options}
            if spec.token:
                body["token"] = spec.token  # kept from elsewhere (needs an admin token)
            integration_id = self._save(change, "integrations", body)
        elif spec.model_dump(exclude=own) != current.model_dump(exclude=own):
            body = {"templates": full_templates(spec.templates), **options}
            integration_id = self._save(change, "integrations", body, method="PATCH")
        else:
            integration_id = self.id(INTEGRATION, change.current_name)
        self._routes(integration_id, spec.routes, current.routes if current else [])
        if spec.heartbeat is not None and (current is None or spec.heartbeat != current.heartbeat):
            body = spec.heartbeat.model_dump()
            self.api.request("PUT", f"integrations/{integration_id}/heartbeat", json=body)
        if spec.maintenance_windows is not None:
            self._windows(integration_id, spec.maintenance_windows, current is None)

    def _routes(self, integration_id: str, desired: list[RouteSpec], current: list[RouteSpec]) -> None:
        existing = self.snapshot.routes_of(integration_id) if current else []
        for op in sequence_ops(desired, current):
            if op.action == "delete":
                self.api.request("DELETE", f"routes/{existing[op.current]['id']}")
                continue
            route = desired[op.index]
            body: dict[str, Any] = {"escalation_chain_id": self.id(CHAIN, route.chain), "position": op.index}
            if route.labels:
                body.update({"routing_type": "labels", "routing_labels": route.labels})
            else:
                body.update(
                    {
                        "routing_type": "jinja2" if route.jinja2 else "regex",
                        "routing_regex": route.jinja2 or route.regex,
                    }
                )
            if op.action == "create":
                self.api.request("POST", "routes", json={"integration_id": integration_id, **body})
            else:
                self.api.request("PATCH", f"routes/{existing[op.current]['id']}", json=body)

    def _windows(self, integration_id: str, desired: list[WindowSpec], created: bool) -> None:
        path = f"integrations/{integration_id}/maintenance_windows"
        existing = [] if created else self.snapshot.windows.get(integration_id, [])
        current = [window_spec(w) for w in existing]
        gone = windows_to_delete(desired, current)
        for raw, spec in zip(existing, current, strict=True):
            if spec in gone:
                self.api.request("DELETE", f"{path}/{raw['id']}")
        for window in windows_to_create(desired, current, datetime.now(UTC)):
            body = window.model_dump(exclude={"start_at"})
            if window.start_at is not None:
                body["start_at"] = _utc(window.start_at)
            else:
                body.pop("start_at", None)
            self.api.request("POST", path, json=body)

    def _webhooks(self, change: Change) -> None:
        spec: WebhookSpec = change.desired
        body = spec.model_dump(exclude={"renamed_from", "integration_filter", "team"})
        body["integration_filter"] = [self.id(INTEGRATION, i) for i in spec.integration_filter]
        body["team"] = self.id(TEAM, spec.team)
        self._save(change, "webhooks", body)


def _unsupported(error: ApiError, kind: Kind, method: str, path: str) -> ApiError:
    """The resource was just read, so a 404 or 405 means the API lacks the endpoint (escalation chain
    changes and deletions came later than the rest)."""
    if kind is CHAIN and error.status in (404, 405):
        return ApiError(405, {"detail": f"this deployment's API has no {method} /api/v1/{path}/ yet"})
    return error


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
