"""In-memory stand-ins for the AWS-backed interfaces, for unit tests. The store fake follows the same
contract as DynamoStore (tests/integration/test_store_contract.py runs one suite against both)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from oncall.models import (
    Alert,
    AlertGroup,
    ApiToken,
    DeploymentSettings,
    EscalationChain,
    EscalationStep,
    Heartbeat,
    HeartbeatSignal,
    HeartbeatSignalWrite,
    IngestMessage,
    Integration,
    Maintenance,
    MaintenanceWindow,
    Notification,
    OnCallShift,
    ResolutionNote,
    Route,
    Schedule,
    ShiftSwap,
    Team,
    TimelineEntry,
    User,
    Webhook,
    WebhookResponse,
)
from oncall.storage.protocols import (
    AlertAlreadyGroupedError,
    GroupChangedError,
    GroupClosedError,
    GroupJoin,
    GroupKeyPointer,
    GroupKeyTakenError,
    IntegrationTokenTakenError,
    ItemChangedError,
    MissingReferenceError,
    ReferencedSinceError,
    RotationChangedError,
    RotationState,
    StoreConflictError,
    WebhookNameTakenError,
    schedule_user_ids,
)


class FixedClock:
    """A clock that only moves when the test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class InMemoryStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.integrations: dict[str, Integration] = {}
        self.tokens: dict[str, str] = {}
        self.routes: dict[str, Route] = {}
        self.chains: dict[str, EscalationChain] = {}
        self.steps: dict[str, EscalationStep] = {}
        self.api_tokens: dict[str, ApiToken] = {}
        self.users: dict[str, User] = {}
        self.resolution_notes: dict[str, ResolutionNote] = {}
        self.on_call_shifts: dict[str, OnCallShift] = {}
        self.shift_swaps: dict[str, ShiftSwap] = {}
        self.teams: dict[str, Team] = {}
        self.schedules: dict[str, Schedule] = {}
        self.alerts: dict[str, Alert] = {}
        self.groups: dict[str, AlertGroup] = {}
        self.keys: dict[str, GroupKeyPointer] = {}
        self.timeline: list[TimelineEntry] = []
        self.deliveries: set[tuple[str, str]] = set()
        self.heartbeats: dict[str, Heartbeat] = {}
        self.reference_epochs: dict[str, int] = {}
        self.counters: dict[str, int] = {}
        self.maintenances: dict[str, Maintenance] = {}
        self.windows: dict[tuple[str, str], MaintenanceWindow] = {}
        self.settings = DeploymentSettings()
        self.rotations: dict[str, RotationState] = {}
        self.picks: dict[tuple[str, str], str] = {}
        self.counter = 0
        self.webhooks: dict[str, Webhook] = {}
        self.webhook_claims: dict[tuple[str, str], tuple[int, str]] = {}  # (webhook, event) -> (attempt, status)
        self.webhook_responses: dict[str, list[WebhookResponse]] = {}
        self.group_webhook_responses: dict[str, dict[str, str]] = {}

    # configuration
    def create_integration(self, integration: Integration, default_route: Route) -> None:
        with self._lock:
            if integration.token in self.tokens:
                raise IntegrationTokenTakenError(integration.id)
            self.integrations[integration.id] = integration
            self.tokens[integration.token] = integration.id
            self.routes[default_route.id] = default_route

    def get_integration(self, integration_id: str) -> Integration | None:
        return self.integrations.get(integration_id)

    def find_integration_by_token(self, token: str) -> Integration | None:
        integration_id = self.tokens.get(token)
        return self.integrations.get(integration_id) if integration_id else None

    def list_integrations(self) -> list[Integration]:
        return sorted(self.integrations.values(), key=lambda i: (i.created_at, i.id))

    def put_integration(self, integration: Integration) -> None:
        with self._lock:
            if integration.id not in self.integrations:
                raise StoreConflictError(integration.id)
            self.integrations[integration.id] = integration

    def suspend_templates(self, integration_id: str, until) -> None:
        with self._lock:
            if integration_id in self.integrations:
                current = self.integrations[integration_id]
                self.integrations[integration_id] = current.model_copy(update={"templates_suspended_until": until})

    def delete_integration(self, integration_id: str) -> None:
        with self._lock:
            integration = self.integrations.pop(integration_id, None)
            if integration is not None:
                self.tokens.pop(integration.token, None)
            self.routes = {k: r for k, r in self.routes.items() if r.integration_id != integration_id}
            self.heartbeats.pop(integration_id, None)

    def put_route(self, route: Route) -> None:
        self.routes[route.id] = route

    def write_routes(self, routes: list[Route], delete_ids: tuple[str, ...] = ()) -> None:
        with self._lock:
            for route in routes:
                self.routes[route.id] = route
            for route_id in delete_ids:
                self.routes.pop(route_id, None)

    def get_route(self, route_id: str) -> Route | None:
        return self.routes.get(route_id)

    def list_routes(self) -> list[Route]:
        return list(self.routes.values())

    def put_chain(self, chain: EscalationChain) -> None:
        self.chains[chain.id] = chain

    def get_chain(self, chain_id: str) -> EscalationChain | None:
        return self.chains.get(chain_id)

    def list_chains(self) -> list[EscalationChain]:
        return sorted(self.chains.values(), key=lambda c: (c.created_at, c.id))

    def delete_chain(self, chain_id: str) -> None:
        with self._lock:
            for route in list(self.routes.values()):
                if route.escalation_chain_id == chain_id:
                    self.routes[route.id] = route.model_copy(update={"escalation_chain_id": None})
            self.steps = {k: s for k, s in self.steps.items() if s.escalation_chain_id != chain_id}
            self.chains.pop(chain_id, None)

    def put_step(self, step: EscalationStep) -> None:
        self.steps[step.id] = step

    def get_step(self, step_id: str) -> EscalationStep | None:
        return self.steps.get(step_id)

    def list_steps(self) -> list[EscalationStep]:
        return list(self.steps.values())

    def delete_step(self, step_id: str) -> None:
        self.steps.pop(step_id, None)

    def put_user(self, user: User) -> None:
        self.users[user.id] = user

    def get_user(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    def list_users(self) -> list[User]:
        return sorted(self.users.values(), key=lambda u: (u.username, u.id))

    def delete_user(self, user_id: str) -> None:
        self.users.pop(user_id, None)

    def put_team(self, team: Team) -> None:
        self.teams[team.id] = team

    def get_team(self, team_id: str) -> Team | None:
        return self.teams.get(team_id)

    def list_teams(self) -> list[Team]:
        return sorted(self.teams.values(), key=lambda t: (t.name, t.id))

    def delete_team(self, team_id: str) -> None:
        self.teams.pop(team_id, None)

    def put_schedule(self, schedule: Schedule) -> None:
        self.schedules[schedule.id] = schedule

    def get_schedule(self, schedule_id: str) -> Schedule | None:
        return self.schedules.get(schedule_id)

    def list_schedules(self) -> list[Schedule]:
        return sorted(self.schedules.values(), key=lambda s: (s.name, s.id))

    def delete_schedule(self, schedule_id: str) -> None:
        self.schedules.pop(schedule_id, None)

    def _reference(self, users: list[str], teams: list[str]) -> None:
        missing = [u for u in users if u not in self.users] + [t for t in teams if t not in self.teams]
        if missing:
            raise MissingReferenceError(missing)
        for item_id in [*users, *teams]:
            self.reference_epochs[item_id] = self.reference_epochs.get(item_id, 0) + 1

    def save_user(self, user: User) -> None:
        with self._lock:
            self._reference([], list(dict.fromkeys(user.team_ids)))
            self.users[user.id] = user

    def save_schedule(self, schedule: Schedule) -> None:
        with self._lock:
            self._reference(schedule_user_ids(schedule), [schedule.team_id] if schedule.team_id else [])
            self.schedules[schedule.id] = schedule.model_copy(
                update={"on_call_shifts": [], "taken_swaps": []}
            )  # never stored

    def reference_epoch(self, item_id: str) -> int:
        return self.reference_epochs.get(item_id, 0)

    def _delete_unreferenced(self, items: dict, item_id: str, epoch: int) -> None:
        with self._lock:
            if self.reference_epochs.get(item_id, 0) != epoch:
                raise ReferencedSinceError(item_id)
            items.pop(item_id, None)
            self.reference_epochs.pop(item_id, None)

    def delete_user_unreferenced(self, user_id: str, epoch: int) -> None:
        self._delete_unreferenced(self.users, user_id, epoch)

    def delete_team_unreferenced(self, team_id: str, epoch: int) -> None:
        self._delete_unreferenced(self.teams, team_id, epoch)

    def put_api_token(self, token: ApiToken) -> None:
        self.api_tokens[token.digest] = token

    def get_api_token(self, digest: str) -> ApiToken | None:
        return self.api_tokens.get(digest)

    def list_api_tokens(self) -> list[ApiToken]:
        return sorted(self.api_tokens.values(), key=lambda t: (t.created_at, t.id))

    def delete_api_token(self, token_id: str) -> ApiToken | None:
        with self._lock:
            for digest, token in list(self.api_tokens.items()):
                if token.id == token_id:
                    return self.api_tokens.pop(digest)
        return None

    def get_deployment_settings(self) -> DeploymentSettings:
        return self.settings

    def put_deployment_settings(self, settings: DeploymentSettings) -> None:
        self.settings = settings

    # round robin
    def get_rotation(self, step_id: str) -> RotationState:
        return self.rotations.get(step_id, RotationState())

    def get_rotation_pick(self, group_id: str, key: str) -> str | None:
        return self.picks.get((group_id, key))

    def record_rotation_pick(
        self, step_id: str, expected: RotationState, user_id: str, group_id: str, key: str
    ) -> None:
        with self._lock:
            if self.get_rotation(step_id).version != expected.version or (group_id, key) in self.picks:
                raise RotationChangedError(step_id)
            self.rotations[step_id] = RotationState(last_user_id=user_id, version=expected.version + 1)
            self.picks[(group_id, key)] = user_id

    # alerts and groups
    def put_alert(self, alert: Alert) -> None:
        with self._lock:
            if alert.id in self.alerts:
                raise ValueError("alert exists")
            self.alerts[alert.id] = alert

    def get_alert(self, alert_id: str) -> Alert | None:
        return self.alerts.get(alert_id)

    def get_alerts(self, alert_ids: list[str]) -> dict[str, Alert]:
        return {i: self.alerts[i] for i in alert_ids if i in self.alerts}

    def delete_alert(self, alert_id: str) -> None:
        self.alerts.pop(alert_id, None)

    def list_alerts(self, group_id: str) -> list[Alert]:
        return sorted((a for a in self.alerts.values() if a.group_id == group_id), key=lambda a: (a.received_at, a.id))

    def alert_ids_since(self, group_id: str, since: datetime) -> list[str]:
        return [a.id for a in self.list_alerts(group_id) if a.received_at >= since]

    def next_group_number(self) -> int:
        with self._lock:
            self.counter += 1
            return self.counter

    def get_group_key(self, key: str) -> GroupKeyPointer:
        return self.keys.get(key, GroupKeyPointer())

    def _assign(self, alert: Alert, group_id: str) -> None:
        stored = self.alerts.get(alert.id)
        if stored is None:
            raise KeyError(alert.id)
        if stored.group_id is not None:
            raise AlertAlreadyGroupedError(alert.id)

    def create_group(self, group: AlertGroup, alert: Alert) -> None:
        with self._lock:
            self._assign(alert, group.id)
            if group.grouping_key and self.get_group_key(group.grouping_key).open_group_id:
                raise GroupKeyTakenError(group.grouping_key)
            self.groups[group.id] = group
            self.alerts[alert.id] = self.alerts[alert.id].model_copy(update={"group_id": group.id})
            if group.grouping_key:
                pointer = self.get_group_key(group.grouping_key)
                self.keys[group.grouping_key] = GroupKeyPointer(group.id, pointer.last_resolved_group_id)

    def add_alert_to_group(self, group_id: str, alert: Alert, *, must_be_open: bool) -> GroupJoin:
        with self._lock:
            stored = self.groups.get(group_id)
            if stored is None or (
                must_be_open and self.get_group_key(stored.grouping_key or "").open_group_id != group_id
            ):
                raise GroupClosedError(group_id)
            self._assign(alert, group_id)
            self.groups[group_id] = stored.model_copy(
                update={"alerts_count": stored.alerts_count + 1, "last_alert_id": alert.id}
            )
            self.alerts[alert.id] = self.alerts[alert.id].model_copy(update={"group_id": group_id})
            return GroupJoin(paused=stored.escalation_pause is not None)

    def get_group(self, group_id: str) -> AlertGroup | None:
        return self.groups.get(group_id)

    def list_groups(self) -> list[AlertGroup]:
        return sorted(self.groups.values(), key=lambda g: (g.started_at, g.id), reverse=True)

    def update_group(
        self, group: AlertGroup, changes: dict[str, Any], *, close_grouping_key: bool = False
    ) -> AlertGroup:
        with self._lock:
            stored = self.groups.get(group.id)
            if stored is None or stored.version != group.version:
                raise GroupChangedError(group.id)
            # Only the changed fields are written: concurrent alert appends (alerts_count) are kept.
            self.groups[group.id] = stored.model_copy(update={**changes, "version": group.version + 1})
            key = group.grouping_key
            if close_grouping_key and key and self.get_group_key(key).open_group_id == group.id:
                self.keys[key] = GroupKeyPointer(None, group.id)
            return group.model_copy(update={**changes, "version": group.version + 1})

    def finish_escalation(self, group_id: str, execution_name: str) -> None:
        group = self.groups[group_id]
        if group.escalation and group.escalation.execution_name == execution_name:
            self.groups[group_id] = group.model_copy(update={"escalation_finished": True})

    def delete_group(self, group_id: str) -> None:
        with self._lock:
            self.groups.pop(group_id, None)
            for alert_id in [a.id for a in self.alerts.values() if a.group_id == group_id]:
                del self.alerts[alert_id]
            self.timeline = [e for e in self.timeline if e.group_id != group_id]
            self.deliveries = {d for d in self.deliveries if d[0] != group_id}
            self.group_webhook_responses.pop(group_id, None)
            self.picks = {k: v for k, v in self.picks.items() if k[0] != group_id}

    def wipe_alerts(self, group_id: str, text: str) -> None:
        for alert in self.list_alerts(group_id):
            self.alerts[alert.id] = alert.model_copy(update={"payload": {"message": text}})

    # timeline and deliveries
    def put_on_call_shift(self, shift: OnCallShift) -> None:
        with self._lock:
            self.on_call_shifts[shift.id] = shift

    def get_on_call_shift(self, shift_id: str) -> OnCallShift | None:
        return self.on_call_shifts.get(shift_id)

    def list_on_call_shifts(self) -> list[OnCallShift]:
        return sorted(self.on_call_shifts.values(), key=lambda s: (s.created_at, s.id))

    def delete_on_call_shift(self, shift_id: str) -> None:
        with self._lock:
            self.on_call_shifts.pop(shift_id, None)

    def put_shift_swap(self, swap: ShiftSwap) -> None:
        with self._lock:
            self.shift_swaps[swap.id] = swap

    def get_shift_swap(self, swap_id: str) -> ShiftSwap | None:
        return self.shift_swaps.get(swap_id)

    def list_shift_swaps(self) -> list[ShiftSwap]:
        return sorted(self.shift_swaps.values(), key=lambda s: (s.created_at, s.id))

    def delete_shift_swap(self, swap_id: str) -> None:
        with self._lock:
            self.shift_swaps.pop(swap_id, None)

    def put_resolution_note(self, note: ResolutionNote) -> None:
        with self._lock:
            self.resolution_notes[note.id] = note

    def get_resolution_note(self, note_id: str) -> ResolutionNote | None:
        return self.resolution_notes.get(note_id)

    def list_resolution_notes(self, alert_group_id: str | None = None) -> list[ResolutionNote]:
        mine = [n for n in self.resolution_notes.values() if alert_group_id in (None, n.alert_group_id)]
        return sorted(mine, key=lambda n: (n.created_at, n.id))

    def delete_resolution_note(self, note_id: str) -> None:
        with self._lock:
            self.resolution_notes.pop(note_id, None)

    def add_timeline(self, entry: TimelineEntry) -> None:
        self.timeline.append(entry)

    def list_timeline(self, group_id: str) -> list[TimelineEntry]:
        return [e for e in self.timeline if e.group_id == group_id]

    def claim_delivery(self, group_id: str, key: str, at: datetime, *, group_version: int | None = None) -> bool:
        with self._lock:
            if (group_id, key) in self.deliveries:
                return False
            if group_version is not None:
                stored = self.groups.get(group_id)
                if stored is None or stored.version != group_version:
                    raise GroupChangedError(group_id)
            self.deliveries.add((group_id, key))
            return True

    def release_delivery(self, group_id: str, key: str) -> None:
        self.deliveries.discard((group_id, key))

    # outgoing webhooks
    def put_webhook(self, webhook: Webhook, *, previous_name: str | None = None) -> None:
        with self._lock:
            if any(w.name == webhook.name and w.id != webhook.id for w in self.webhooks.values()):
                raise WebhookNameTakenError(webhook.name)
            self.webhooks[webhook.id] = webhook

    def get_webhook(self, webhook_id: str) -> Webhook | None:
        return self.webhooks.get(webhook_id)

    def list_webhooks(self) -> list[Webhook]:
        return sorted(self.webhooks.values(), key=lambda w: (w.created_at, w.id))

    def delete_webhook(self, webhook_id: str) -> None:
        self.webhooks.pop(webhook_id, None)

    def claim_webhook_attempt(self, webhook_id: str, event_id: str, attempt: int, at: datetime) -> bool:
        with self._lock:
            current = self.webhook_claims.get((webhook_id, event_id))
            if attempt == 1:
                allowed = current is None
            else:
                allowed = current is not None and current[0] == attempt - 1 and current[1] in ("sending", "retrying")
            if allowed:
                self.webhook_claims[(webhook_id, event_id)] = (attempt, "sending")
            return allowed

    def settle_webhook_attempt(self, webhook_id: str, event_id: str, attempt: int, outcome: str) -> None:
        with self._lock:
            current = self.webhook_claims.get((webhook_id, event_id))
            if current is not None and current[0] == attempt:
                self.webhook_claims[(webhook_id, event_id)] = (attempt, outcome)

    def add_webhook_response(self, response: WebhookResponse) -> None:
        with self._lock:
            self.webhook_responses.setdefault(response.webhook_id, []).append(response)
            if response.group_id and response.content is not None:
                self.group_webhook_responses.setdefault(response.group_id, {})[response.webhook_id] = response.content

    def list_webhook_responses(self, webhook_id: str, limit: int = 100) -> list[WebhookResponse]:
        return sorted(self.webhook_responses.get(webhook_id, []), key=lambda r: r.id, reverse=True)[:limit]

    def get_webhook_response(self, webhook_id: str, response_id: str) -> WebhookResponse | None:
        return next((r for r in self.webhook_responses.get(webhook_id, []) if r.id == response_id), None)

    def latest_webhook_responses(self, group_id: str) -> dict[str, str]:
        return dict(self.group_webhook_responses.get(group_id, {}))

    # rate limits
    def count_within_limit(self, key: str, limit: int, expires_at: datetime) -> bool:
        with self._lock:
            if self.counters.get(key, 0) >= limit:
                return False
            self.counters[key] = self.counters.get(key, 0) + 1
            return True

    # heartbeats
    def record_heartbeat_signal(self, integration_id: str, write: HeartbeatSignalWrite) -> Heartbeat | None:
        with self._lock:
            old = self.heartbeats.get(integration_id)
            current = old or Heartbeat(integration_id=integration_id)
            changes: dict[str, Any] = {
                "enabled": True,
                "last_signal": write.kind,
                "down_at": write.down_at,
                "check_at": write.down_at,
                "version": current.version + 1,
            }
            if write.kind == HeartbeatSignal.PING:
                changes.update(
                    last_ping_at=write.at,
                    expected_at=write.expected_at or write.down_at,
                    last_start_at=None,
                    pings=current.pings + 1,
                )
            elif write.kind == HeartbeatSignal.START:
                changes["last_start_at"] = write.at
            else:
                changes.update(last_fail_at=write.at, last_start_at=None)
            self.heartbeats[integration_id] = current.model_copy(update=changes)
            return old

    def check_heartbeat_now(self, integration_id: str, at: datetime) -> None:
        with self._lock:
            current = self.heartbeats.get(integration_id)
            if current is not None:
                self.heartbeats[integration_id] = current.model_copy(
                    update={"check_at": at, "version": current.version + 1}
                )

    def get_heartbeat(self, integration_id: str) -> Heartbeat | None:
        return self.heartbeats.get(integration_id)

    def get_heartbeats(self, integration_ids: list[str]) -> dict[str, Heartbeat]:
        return {i: self.heartbeats[i] for i in integration_ids if i in self.heartbeats}

    def _check_version(self, stored: Any, expected_version: int | None, key: str) -> None:
        if (stored.version if stored is not None else None) != expected_version:
            raise ItemChangedError(key)

    def put_heartbeat(self, heartbeat: Heartbeat, *, expected_version: int | None) -> Heartbeat:
        with self._lock:
            self._check_version(
                self.heartbeats.get(heartbeat.integration_id), expected_version, heartbeat.integration_id
            )
            stored = heartbeat.model_copy(update={"version": (expected_version or 0) + 1})
            self.heartbeats[heartbeat.integration_id] = stored
            return stored

    def clear_heartbeat_pending(self, integration_id: str, alert_id: str, check_at: datetime) -> bool:
        with self._lock:
            current = self.heartbeats.get(integration_id)
            if current is None or current.pending is None or current.pending.alert_id != alert_id:
                return False
            self.heartbeats[integration_id] = current.model_copy(
                update={"pending": None, "check_at": check_at, "version": current.version + 1}
            )
            return True

    def list_due_heartbeats(self, now: datetime) -> list[Heartbeat]:
        return [h for h in self.heartbeats.values() if h.check_at is not None and h.check_at <= now]

    # maintenance
    def get_maintenance(self, integration_id: str) -> Maintenance | None:
        return self.maintenances.get(integration_id)

    def get_maintenances(self, integration_ids: list[str]) -> dict[str, Maintenance]:
        return {i: self.maintenances[i] for i in integration_ids if i in self.maintenances}

    def put_maintenance(self, maintenance: Maintenance, *, expected_version: int | None) -> Maintenance:
        with self._lock:
            key = maintenance.integration_id
            self._check_version(self.maintenances.get(key), expected_version, key)
            stored = maintenance.model_copy(update={"version": (expected_version or 0) + 1})
            self.maintenances[key] = stored
            return stored

    def delete_maintenance(self, integration_id: str, maintenance_id: str) -> None:
        with self._lock:
            current = self.maintenances.get(integration_id)
            if current is not None and current.id == maintenance_id:
                del self.maintenances[integration_id]

    def put_maintenance_window(self, window: MaintenanceWindow, *, expected_version: int | None) -> MaintenanceWindow:
        with self._lock:
            key = (window.integration_id, window.id)
            self._check_version(self.windows.get(key), expected_version, window.id)
            stored = window.model_copy(update={"version": (expected_version or 0) + 1})
            self.windows[key] = stored
            return stored

    def get_maintenance_window(self, integration_id: str, window_id: str) -> MaintenanceWindow | None:
        return self.windows.get((integration_id, window_id))

    def list_maintenance_windows(self, integration_id: str) -> list[MaintenanceWindow]:
        found = [w for (owner, _), w in self.windows.items() if owner == integration_id]
        return sorted(found, key=lambda w: (w.created_at, w.id))

    def delete_maintenance_window(self, integration_id: str, window_id: str, *, expected_version: int | None) -> None:
        with self._lock:
            current = self.windows.get((integration_id, window_id))
            if expected_version is not None:
                self._check_version(current, expected_version, window_id)
            self.windows.pop((integration_id, window_id), None)

    def list_due_maintenance(self, now: datetime) -> list[Maintenance | MaintenanceWindow]:
        items: list[Maintenance | MaintenanceWindow] = [*self.maintenances.values(), *self.windows.values()]
        return [m for m in items if m.check_at is not None and m.check_at <= now]


@dataclass
class FakeQueue:
    sent: list[tuple[IngestMessage, str]] = field(default_factory=list)
    fail: Exception | None = None

    def send(self, message: IngestMessage, deduplication_id: str) -> None:
        if self.fail:
            raise self.fail
        self.sent.append((message, deduplication_id))


@dataclass
class FakeEscalations:
    started: list[tuple[str, str]] = field(default_factory=list)  # escalations: (execution name, group id)
    timers: list[tuple[str, str, dict]] = field(default_factory=list)  # (execution name, kind, data)
    stopped: list[str] = field(default_factory=list)
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)  # execution -> (step, repetition)

    def start(
        self,
        execution_name: str,
        group_id: str,
        kind: str = "escalation",
        data: dict | None = None,
        *,
        step: int = 0,
        repetition: int = 0,
    ) -> None:
        self.positions[execution_name] = (step, repetition)
        if kind == "escalation":
            self.started.append((execution_name, group_id))
        else:
            self.timers.append((execution_name, kind, data or {}))

    def of_kind(self, kind: str) -> list[tuple[str, dict]]:
        return [(name, data) for name, k, data in self.timers if k == kind]

    def stop(self, execution_name: str) -> None:
        self.stopped.append(execution_name)


@dataclass
class FakeNotifier:
    delivered: list[Notification] = field(default_factory=list)
    fail: Exception | None = None

    def deliver(self, notification: Notification) -> None:
        if self.fail:
            raise self.fail
        self.delivered.append(notification)
