"""The data-access interface the logic depends on. `storage.dynamo.DynamoStore` implements them on DynamoDB;
tests use an in-memory fake with the same contract (checked by one shared contract suite)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from oncall.models import (
    Alert,
    AlertGroup,
    ApiToken,
    DeploymentSettings,
    EscalationChain,
    EscalationStep,
    Heartbeat,
    HeartbeatSignalWrite,
    Integration,
    Maintenance,
    MaintenanceWindow,
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
from oncall.platform.errors import ServiceUnavailableError


class StoreRequestError(ServiceUnavailableError):
    """DynamoDB failed or refused a request (throttled, unreachable, an AWS error): the store translates
    botocore's errors into this, so logic that degrades or retries needs no botocore. Uncaught, the error map
    answers it as any AWS failure: a 503 saying "retry" (the console: its "try again" page)."""

    def __init__(self, *, operation: str, reason: str) -> None:
        super().__init__(f"The store could not complete {operation}: {reason}")
        self.operation = operation
        self.reason = reason


class ItemTooLargeError(StoreRequestError):
    """The item is over DynamoDB's 400 KB limit once encoded: refused for good, retrying cannot help."""


def store_request_error(error: Exception, operation: str) -> StoreRequestError:
    """The domain error for a botocore failure of `operation` (ItemTooLargeError for a size refusal)."""
    details = getattr(error, "response", {}).get("Error", {})
    too_large = details.get("Code") == "ValidationException" and "size" in str(details.get("Message", "")).lower()
    return (ItemTooLargeError if too_large else StoreRequestError)(operation=operation, reason=str(error))


class StoreConflictError(Exception):
    """A conditional write lost a race; the caller re-reads and decides again."""


class GroupKeyTakenError(StoreConflictError):
    """Another worker opened a group for this grouping key first."""


class GroupClosedError(StoreConflictError):
    """The open group this alert was about to join was resolved in the meantime."""


class AlertAlreadyGroupedError(StoreConflictError):
    """The alert already belongs to a group (a redelivered message)."""


class WebhookNameTakenError(StoreConflictError):
    """Another outgoing webhook already has this name."""


class GroupChangedError(StoreConflictError):
    """The group's state changed since it was read (optimistic lock on `version`)."""


class MissingReferenceError(StoreConflictError):
    """A saved item names users or teams that do not exist (any more); `ids` lists them."""

    def __init__(self, ids: list[str]) -> None:
        super().__init__(", ".join(ids))
        self.ids = ids


class ReferencedSinceError(StoreConflictError):
    """Something started referring to the item after its references were checked; check again."""


class ItemChangedError(StoreConflictError):
    """A heartbeat, maintenance or maintenance window changed (or appeared) since it was read."""


class IntegrationTokenTakenError(StoreConflictError):
    """create_integration: another integration already has this token (nothing was written)."""


class RotationChangedError(StoreConflictError):
    """A round-robin rotation moved since it was read, or this pick was already recorded."""


@dataclass(frozen=True)
class RotationState:
    """Where a round-robin step's rotation stands: who was paged last, and how often it moved."""

    last_user_id: str | None = None
    version: int = 0


@dataclass(frozen=True)
class GroupJoin:
    """What joining a group tells: whether its escalation was paused at that moment (the new alert may resume
    it: see escalation.resume_if_paused)."""

    paused: bool = False


@dataclass(frozen=True)
class GroupKeyPointer:
    open_group_id: str | None = None
    last_resolved_group_id: str | None = None


def schedule_user_ids(schedule: Schedule) -> list[str]:
    """Every user a schedule names (layers, then overrides), once each."""
    named = [u for layer in schedule.layers for u in layer.users] + [o.user_id for o in schedule.overrides]
    return list(dict.fromkeys(named))


class ConfigurationStore(Protocol):
    """Integrations (and their token lookup), routes, escalation chains and steps, deployment settings."""

    def create_integration(self, integration: Integration, default_route: Route) -> None:
        """Raises IntegrationTokenTakenError (writing nothing) if the token belongs to another integration."""
        ...

    def get_integration(self, integration_id: str) -> Integration | None: ...
    def find_integration_by_token(self, token: str) -> Integration | None: ...
    def list_integrations(self) -> list[Integration]: ...
    def put_integration(self, integration: Integration) -> None:
        """Save a changed integration (its token never changes). Raises StoreConflictError if it is gone."""
        ...

    def suspend_templates(self, integration_id: str, until: datetime | None) -> None:
        """Set (or clear, with None) the integration's `templates_suspended_until`, and nothing else; nothing
        happens if the integration is gone."""
        ...

    def delete_integration(self, integration_id: str) -> None:
        """Delete the integration, its token lookup, its routes and its heartbeat; alert groups stay."""
        ...

    def put_route(self, route: Route) -> None: ...
    def write_routes(self, routes: list[Route], delete_ids: tuple[str, ...] = ()) -> None:
        """Save `routes` and delete `delete_ids` all at once (a reorder is never seen half-done)."""
        ...

    def get_route(self, route_id: str) -> Route | None: ...
    def list_routes(self) -> list[Route]: ...
    def put_chain(self, chain: EscalationChain) -> None: ...
    def get_chain(self, chain_id: str) -> EscalationChain | None: ...
    def list_chains(self) -> list[EscalationChain]: ...
    def delete_chain(self, chain_id: str) -> None:
        """Delete the chain and its steps; routes that escalated through it keep no chain (running
        escalations keep their snapshot)."""
        ...

    def put_step(self, step: EscalationStep) -> None: ...
    def get_step(self, step_id: str) -> EscalationStep | None: ...
    def list_steps(self) -> list[EscalationStep]: ...
    def delete_step(self, step_id: str) -> None: ...
    def get_deployment_settings(self) -> DeploymentSettings:
        """The deployment's settings (defaults until someone saved them)."""
        ...

    def put_deployment_settings(self, settings: DeploymentSettings) -> None: ...


class PeopleStore(Protocol):
    """Users and teams. Saving a reference moves the referenced item's "reference epoch"; deleting is
    conditional on the epoch read before the references were checked, so a reference added in between makes the
    delete fail instead of leaving a dangling id."""

    def put_user(self, user: User) -> None: ...
    def get_user(self, user_id: str) -> User | None: ...
    def list_users(self) -> list[User]: ...
    def delete_user(self, user_id: str) -> None: ...
    def put_team(self, team: Team) -> None: ...
    def get_team(self, team_id: str) -> Team | None: ...
    def list_teams(self) -> list[Team]: ...
    def delete_team(self, team_id: str) -> None: ...
    def save_user(self, user: User) -> None:
        """Put `user` if every team in `user.team_ids` exists (MissingReferenceError naming the missing ones
        otherwise, nothing written); moves those teams' reference epochs."""
        ...

    def reference_epoch(self, item_id: str) -> int:
        """How often a user/team has been referenced by saves (0 if never)."""
        ...

    def delete_user_unreferenced(self, user_id: str, epoch: int) -> None:
        """Delete the user if its reference epoch is still `epoch` (ReferencedSinceError otherwise)."""
        ...

    def delete_team_unreferenced(self, team_id: str, epoch: int) -> None:
        """Delete the team if its reference epoch is still `epoch` (ReferencedSinceError otherwise)."""
        ...


class TokenStore(Protocol):
    """API tokens (authentication reads one by digest on every request)."""

    def put_api_token(self, token: ApiToken) -> None: ...
    def get_api_token(self, digest: str) -> ApiToken | None:
        """The token with this digest, read consistently on every request (a revoked token fails at once)."""
        ...

    def list_api_tokens(self) -> list[ApiToken]:
        """Every stored API token, oldest first."""
        ...

    def delete_api_token(self, token_id: str) -> ApiToken | None:
        """Revoke the token with this id; returns it, or None if there is none."""
        ...


class ScheduleStore(Protocol):
    """Schedules (saved with their user and team references checked), on-call shifts, shift swaps."""

    def put_schedule(self, schedule: Schedule) -> None: ...
    def get_schedule(self, schedule_id: str) -> Schedule | None: ...
    def list_schedules(self) -> list[Schedule]: ...
    def delete_schedule(self, schedule_id: str) -> None: ...
    def save_schedule(self, schedule: Schedule) -> None:
        """Put `schedule` if every user of its layers and overrides and its team exist (MissingReferenceError
        otherwise, nothing written); moves their reference epochs."""
        ...

    def put_on_call_shift(self, shift: OnCallShift) -> None: ...
    def get_on_call_shift(self, shift_id: str) -> OnCallShift | None: ...
    def list_on_call_shifts(self) -> list[OnCallShift]:
        """Oldest first."""
        ...

    def delete_on_call_shift(self, shift_id: str) -> None: ...
    def put_shift_swap(self, swap: ShiftSwap) -> None: ...
    def get_shift_swap(self, swap_id: str) -> ShiftSwap | None: ...
    def list_shift_swaps(self) -> list[ShiftSwap]:
        """Oldest first."""
        ...

    def delete_shift_swap(self, swap_id: str) -> None: ...


class RotationStore(Protocol):
    """The round robin of notify_person_next_each_time steps."""

    def get_rotation(self, step_id: str) -> RotationState: ...
    def get_rotation_pick(self, group_id: str, key: str) -> str | None:
        """The user a round-robin step picked for this (group, key) before, if any (retries repeat it)."""
        ...

    def record_rotation_pick(
        self, step_id: str, expected: RotationState, user_id: str, group_id: str, key: str
    ) -> None:
        """Atomically move the rotation from `expected` to `user_id` and remember the pick under (group, key).
        Raises RotationChangedError if the rotation moved meanwhile or the pick exists; nothing is written."""
        ...


class GroupStore(Protocol):
    """Alerts and alert groups: membership, grouping keys, timeline, delivery claims, resolution notes."""

    def put_alert(self, alert: Alert) -> None: ...
    def get_alert(self, alert_id: str) -> Alert | None: ...
    def get_alerts(self, alert_ids: list[str], *, consistent: bool = True) -> dict[str, Alert]:
        """The alerts that exist among `alert_ids`, by id (one read for a whole batch). `consistent=False`:
        half the read units, but an alert or a membership written a moment ago may be missing (route reads its
        batch so: a missing alert is read again with get_alert, a missing membership is found by the
        conditional writes of grouping)."""
        ...

    def delete_alert(self, alert_id: str) -> None: ...
    def list_alerts(self, group_id: str) -> list[Alert]: ...
    def alert_ids_since(self, group_id: str, since: datetime) -> list[str]:
        """Ids of the group's alerts received at or after `since` (keys only, from the index)."""
        ...

    def next_group_number(self) -> int: ...
    def get_group_key(self, key: str) -> GroupKeyPointer: ...
    def create_group(self, group: AlertGroup, alert: Alert) -> None:
        """Create `group` holding `alert` and, if the group has a grouping key, make it the key's open
        group. Raises GroupKeyTakenError or AlertAlreadyGroupedError; nothing is written then."""
        ...

    def add_alert_to_group(self, group_id: str, alert: Alert, *, must_be_open: bool) -> GroupJoin:
        """Append `alert` to the group (alerts_count, last_alert_id). With must_be_open, only while the group is
        its key's open group (GroupClosedError otherwise; also when the group does not exist). Raises
        AlertAlreadyGroupedError on redelivery (the count is unchanged then)."""
        ...

    def get_group(self, group_id: str) -> AlertGroup | None: ...
    def list_groups(self) -> list[AlertGroup]:
        """All alert groups, newest first."""
        ...

    def update_group(
        self, group: AlertGroup, changes: dict[str, Any], *, close_grouping_key: bool = False
    ) -> AlertGroup:
        """Apply `changes` if the group still has `group.version` (GroupChangedError otherwise) and bump the
        version. With close_grouping_key, the group also stops being its key's open group (resolve, wipe)."""
        ...

    def finish_escalation(self, group_id: str, execution_name: str) -> None:
        """Mark the escalation finished, unless a newer escalation replaced `execution_name`."""
        ...

    def delete_group(self, group_id: str) -> None:
        """Hard delete: the group, its alerts, timeline and delivery claims."""
        ...

    def wipe_alerts(self, group_id: str, text: str) -> None:
        """Replace every alert payload of the group with {"message": text}."""
        ...

    def add_timeline(self, entry: TimelineEntry) -> None: ...
    def list_timeline(self, group_id: str) -> list[TimelineEntry]: ...
    def claim_delivery(self, group_id: str, key: str, at: datetime, *, group_version: int | None = None) -> bool:
        """True the first time a delivery key is claimed; False if it was claimed before. With
        `group_version`, the claim is made only while the group's version is still that (in the same
        write); GroupChangedError (nothing claimed) if the group changed since."""
        ...

    def release_delivery(self, group_id: str, key: str) -> None: ...
    def put_resolution_note(self, note: ResolutionNote) -> None: ...
    def get_resolution_note(self, note_id: str) -> ResolutionNote | None: ...
    def list_resolution_notes(self, alert_group_id: str | None = None) -> list[ResolutionNote]:
        """Oldest first."""
        ...

    def delete_resolution_note(self, note_id: str) -> None: ...


class WebhookStore(Protocol):
    """Outgoing webhooks, their delivery-attempt claims and response log."""

    def put_webhook(self, webhook: Webhook, *, previous_name: str | None = None) -> None:
        """Create or replace a webhook. Names are unique (WebhookNameTakenError, nothing written); when
        renaming, `previous_name` (the stored name) is released in the same write."""
        ...

    def get_webhook(self, webhook_id: str) -> Webhook | None: ...
    def list_webhooks(self) -> list[Webhook]: ...
    def delete_webhook(self, webhook_id: str) -> None:
        """Delete the webhook and release its name."""
        ...

    def claim_webhook_attempt(self, webhook_id: str, event_id: str, attempt: int, at: datetime) -> bool:
        """Claim delivery attempt `attempt` of (webhook, event): attempt 1 once ever; attempt n > 1 only
        while attempt n - 1 is the latest and not settled as final. False if it was claimed before."""
        ...

    def settle_webhook_attempt(self, webhook_id: str, event_id: str, attempt: int, outcome: str) -> None:
        """Record the outcome of `attempt` (delivered, retrying, failed) unless a later attempt exists."""
        ...

    def add_webhook_response(self, response: WebhookResponse) -> None:
        """Log one attempt. With a group, its content also becomes this webhook's latest response for the
        group (the `responses` of later events)."""
        ...

    def list_webhook_responses(self, webhook_id: str, limit: int = 100) -> list[WebhookResponse]:
        """The latest attempts of a webhook, newest first."""
        ...

    def get_webhook_response(self, webhook_id: str, response_id: str) -> WebhookResponse | None: ...
    def latest_webhook_responses(self, group_id: str) -> dict[str, str]:
        """{webhook id: content of its latest response} for one alert group."""


class RateLimitStore(Protocol):
    """Fixed-window rate counters."""

    def count_within_limit(self, key: str, limit: int, expires_at: datetime) -> bool:
        """Count one event in the fixed-window counter `key` unless it already holds `limit` (then False and
        nothing is counted). The counter disappears after `expires_at`."""
        ...


class HeartbeatStore(Protocol):
    """An integration's heartbeat and the sweep's due list."""

    def record_heartbeat_signal(self, integration_id: str, write: HeartbeatSignalWrite) -> Heartbeat | None:
        """The ping path's single write: arm the heartbeat, record the signal, move its deadline (and the
        sparse index) to `write.down_at`, bump the version. Returns the heartbeat as it was before."""
        ...

    def check_heartbeat_now(self, integration_id: str, at: datetime) -> None:
        """Put the heartbeat in front of the sweep (a ping that ends an outage)."""
        ...

    def get_heartbeat(self, integration_id: str) -> Heartbeat | None: ...
    def get_heartbeats(self, integration_ids: list[str]) -> dict[str, Heartbeat]: ...
    def put_heartbeat(self, heartbeat: Heartbeat, *, expected_version: int | None) -> Heartbeat:
        """Write the whole heartbeat with version = expected + 1, only if the stored version is still
        `expected_version` (None: only if there is none). ItemChangedError otherwise."""
        ...

    def clear_heartbeat_pending(self, integration_id: str, alert_id: str, check_at: datetime) -> bool:
        """The pending alert `alert_id` was sent: forget it and look again at `check_at`."""
        ...

    def list_due_heartbeats(self, now: datetime) -> list[Heartbeat]:
        """Heartbeats the sweep must look at (check_at <= now), from the sparse index, never a scan."""
        ...


class MaintenanceStore(Protocol):
    """An integration's maintenance and scheduled windows, and the sweep's due list."""

    def get_maintenance(self, integration_id: str) -> Maintenance | None: ...
    def get_maintenances(self, integration_ids: list[str]) -> dict[str, Maintenance]: ...
    def put_maintenance(self, maintenance: Maintenance, *, expected_version: int | None) -> Maintenance:
        """Versioned like put_heartbeat; expected_version=None creates it only if the integration has no
        maintenance (so two starts never both win)."""
        ...

    def delete_maintenance(self, integration_id: str, maintenance_id: str) -> None:
        """Delete the integration's maintenance if it is still `maintenance_id`."""
        ...

    def put_maintenance_window(
        self, window: MaintenanceWindow, *, expected_version: int | None
    ) -> MaintenanceWindow: ...
    def get_maintenance_window(self, integration_id: str, window_id: str) -> MaintenanceWindow | None: ...
    def list_maintenance_windows(self, integration_id: str) -> list[MaintenanceWindow]: ...
    def delete_maintenance_window(self, integration_id: str, window_id: str, *, expected_version: int | None) -> None:
        """With expected_version, only if unchanged (ItemChangedError otherwise)."""
        ...

    def list_due_maintenance(self, now: datetime) -> list[Maintenance | MaintenanceWindow]:
        """Maintenances to end and windows to start (check_at <= now), from the sparse index."""
        ...


class Store(
    ConfigurationStore,
    PeopleStore,
    TokenStore,
    ScheduleStore,
    RotationStore,
    GroupStore,
    WebhookStore,
    RateLimitStore,
    HeartbeatStore,
    MaintenanceStore,
    Protocol,
):
    """Every aggregate at once: only for bundles of dependencies that serve many logic functions (ActionDeps,
    DeliveryDeps); a function names the narrow protocol(s) it uses."""
