"""The public API's shapes (OnCall public API v1 field names) and the renderers from entities to them.

Requests are pydantic models validated by the event handler; responses are plain dicts built here, so the
stored entities never leak storage details and the wire format has one home.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from oncall.configuration.step_types import STEP_FIELDS, StepTypeName
from oncall.intake.types.catalog import get_type
from oncall.models import (
    Alert,
    AlertGroup,
    ApiToken,
    DeploymentSettings,
    EscalationChain,
    EscalationStep,
    Heartbeat,
    Integration,
    Maintenance,
    MaintenanceMode,
    MaintenanceWindow,
    NotificationRuleStep,
    Route,
    Schedule,
    Team,
    User,
    Webhook,
    WebhookResponse,
    WebhookTrigger,
)
from oncall.monitoring.heartbeat import MAX_SECONDS, MIN_PERIOD_SECONDS, state_of
from oncall.monitoring.heartbeat import available as heartbeat_available
from oncall.monitoring.maintenance import MAX_DURATION_SECONDS, MIN_DURATION_SECONDS
from oncall.people.schedules import Shift
from oncall.platform import cron
from oncall.platform.clock import api_time, default_clock
from oncall.platform.errors import ValidationError as DomainValidationError
from oncall.platform.masking import MASK, is_harmless_header, mask_url, shown_headers, shown_secret, shown_url
from oncall.templates.engine import check_syntax
from oncall.templates.labels import present_labels
from oncall.templates.names import slots_to_public_templates

# OnCall's chat-app settings. Responses show them "not configured" (OnCall's shape); nothing here acts on them,
# so a request that sets one is refused, saying how to reach a chat channel instead.
CHAT_FIELDS = frozenset({"slack", "telegram", "msteams", "slack_app", "mobile_app", "whatsapp", "discord"})
CHAT_HINT = (
    "chat-app settings are not supported here (they would be ignored). To post to a chat channel, add a "
    "notify_channel step with an Apprise URL (slack://…, tgram://…, msteams://…, discord://…) to the "
    "escalation chain that should post there."
)


def _unset(value: Any) -> bool:
    """What a response shows for a chat setting nobody configured: null, empty, false, or an object of those."""
    if isinstance(value, dict):
        return all(_unset(v) for v in value.values())
    return value is None or value in ("", False, [])


class _Request(BaseModel):
    """A request body. A field this request does not take is never silently ignored: it is a 400 naming it
    (chat-app settings with how to reach a chat channel instead). Fields the API shows for the object but
    does not take (`id`, `link`, computed state — the response shape named by `shown_as`) may be sent back
    (a GET body PUT back): those are read-only and ignored, as OnCall's read-only fields are."""

    # defer_build: each request model's validator is built by the first request that uses it (the api
    # function has ~30 of them; building all at import cost every cold start ~25 ms).
    model_config = ConfigDict(extra="ignore", defer_build=True)
    shown_as: ClassVar[str | None] = None  # the response shape in oncall.api.shapes
    # A partial update that takes any field of another request (validated against it once merged).
    takes_fields_of: ClassVar[type[BaseModel] | None] = None

    @model_validator(mode="before")
    @classmethod
    def _nothing_ignored(cls, data: Any) -> Any:
        if isinstance(data, dict):
            accepted = _accepted_names(cls.takes_fields_of or cls)
            extra = [name for name in data if isinstance(name, str) and name not in accepted]
            if extra:
                _refuse_extra(cls, extra, data)
        return data


@cache
def _accepted_names(cls: type[BaseModel]) -> frozenset[str]:
    names: set[str] = set()
    for name, info in cls.model_fields.items():
        names.add(name)
        if info.alias:
            names.add(info.alias)
        choices = getattr(info.validation_alias, "choices", None)
        if isinstance(info.validation_alias, str):
            names.add(info.validation_alias)
        for choice in choices or ():
            if isinstance(choice, str):
                names.add(choice)
    return frozenset(names)


@cache
def _read_only_names(shape_name: str | None) -> frozenset[str]:
    if not shape_name:
        return frozenset()
    from oncall.api import shapes  # documentation models: loaded only when a request carries extra fields

    return frozenset(getattr(shapes, shape_name).model_fields)


def _refuse_extra(cls: type[_Request], extra: list[str], data: dict[str, Any]) -> None:
    problems: dict[str, list[str]] = {}
    read_only = _read_only_names(cls.shown_as)
    for name in extra:
        if name in CHAT_FIELDS:
            if not _unset(data[name]):
                problems[name] = [CHAT_HINT]
        elif name not in read_only:
            problems[name[:100]] = ["Unknown field: this request does not take it (it would be ignored)."]
    if problems:
        summary = "; ".join(f"{name}: {messages[0]}" for name, messages in problems.items())
        raise DomainValidationError(f"Invalid request: {summary}", problems)


# The id of another object in a request (ours are 13-16 characters): bounded, so that no request can make
# a lookup or a key that DynamoDB refuses (2048 bytes).
RefId = Annotated[str, Field(max_length=64)]


class DefaultRouteIn(_Request):
    escalation_chain_id: RefId | None = None


class LabelName(_Request):
    id: str | None = None
    name: str


class LabelPair(_Request):
    """OnCall's label shape: {"key": {"id", "name"}, "value": {"id", "name"}} (the names are what count)."""

    key: LabelName
    value: LabelName


# Labels in requests: {"key": "value", ...} or OnCall's [{"key": {"name": ...}, "value": {"name": ...}}, ...].
LabelsIn = dict[str, str] | list[LabelPair]


class RateLimitIn(_Request):
    alerts: int = Field(ge=1, le=1_000_000)
    per_seconds: int = Field(ge=1, le=86_400)


class IntegrationOptions(_Request):
    """Labels and the options beyond OnCall, shared by create and update (each off / empty by default)."""

    labels: LabelsIn | None = None
    dynamic_labels: dict[str, str] | None = None
    labels_template: str | None = Field(default=None, max_length=50_000)
    allow_source_based_resolving: bool | None = None
    grouping_scope: Literal["route", "integration"] | None = None
    auto_resolve_minutes: int | None = Field(default=None, ge=1, le=525_600)
    rate_limit: RateLimitIn | None = None


class IntegrationCreate(IntegrationOptions):
    type: str
    # Admin tokens only: keep the token an integration had elsewhere (`oncall migrate`), so its senders change
    # only the host. Checked like generated ones (configuration.check_given_token); never sent back otherwise.
    token: str | None = Field(default=None, min_length=1, max_length=128)
    name: str | None = Field(default=None, min_length=1, max_length=150)
    description_short: str | None = Field(default=None, max_length=250)
    team_id: RefId | None = None
    templates: dict[str, Any] | None = None
    default_route: DefaultRouteIn | None = None


def _no_manual_order(value: bool | None) -> bool | None:
    if value:
        raise ValueError(
            "manual_order=true (keep the other routes where they are) is not supported: a position always "
            "shifts the others; send false or leave it out"
        )
    return value


class RouteCreate(_Request):
    integration_id: RefId
    # OnCall's: false (the only behaviour here) is accepted, true is refused rather than ignored.
    manual_order: bool | None = None
    _manual_order = field_validator("manual_order")(_no_manual_order)
    # Required for regex and jinja2 routes (checked with the matcher's own compiler); unused by labels routes.
    routing_regex: str | None = Field(default=None, min_length=1, max_length=1024)
    routing_type: Literal["regex", "jinja2", "labels"] = "regex"
    routing_labels: LabelsIn | None = None
    position: int = -1
    escalation_chain_id: RefId | None = None


class ChainCreate(_Request):
    """POST and PUT /escalation_chains (PUT replaces: an omitted team_id becomes null)."""

    name: str = Field(min_length=1, max_length=100)
    team_id: str | None = Field(default=None, max_length=64)


class ChainPatch(_Request):
    """PATCH /escalation_chains/{id}: only the fields sent change."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    team_id: str | None = Field(default=None, max_length=64)


_UserIds = list[Annotated[str, Field(min_length=1, max_length=64)]]


class StepFields(_Request):
    """The type-specific fields of an escalation policy (public API v1 names)."""

    duration: int | None = Field(default=None, ge=60, le=86400, description="wait: seconds")
    channel: str | None = Field(default=None, min_length=1, max_length=2048)
    important: bool | None = None
    persons_to_notify: _UserIds | None = Field(default=None, max_length=50)
    persons_to_notify_next_each_time: _UserIds | None = Field(default=None, max_length=50)
    notify_on_call_from_schedule: str | None = Field(default=None, min_length=1, max_length=64)
    team_to_notify: str | None = Field(default=None, min_length=1, max_length=64)
    action_to_trigger: str | None = Field(default=None, min_length=1, max_length=64)
    notify_if_time_from: str | None = Field(default=None, max_length=16, description="HH:MM:SSZ (UTC)")
    notify_if_time_to: str | None = Field(default=None, max_length=16, description="HH:MM:SSZ (UTC)")
    num_alerts_in_window: int | None = Field(default=None, ge=1, le=100_000)
    num_minutes_in_window: int | None = Field(default=None, ge=1, le=1440)


class StepCreate(StepFields):
    escalation_chain_id: RefId
    type: StepTypeName
    position: int = -1


class StepUpdate(StepFields):
    """PUT /escalation_policies/{id}: only the fields sent change; `position` moves the step."""

    type: StepTypeName | None = None
    position: int | None = None


class SettingsUpdate(_Request):
    acknowledge_remind_timeout: int | None = Field(default=None, ge=0, le=14 * 24 * 60, description="minutes")
    unacknowledge_timeout: int | None = Field(default=None, ge=0, le=24 * 60, description="minutes")
    require_resolution_note: bool | None = Field(
        default=None, description="People (API, action links) resolve a group only after a resolution note"
    )


Weekday = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


class OnCallShiftWrite(_Request):
    """POST and PUT /on_call_shifts (OnCall's fields; `schedule_id` ours: the schedule it belongs to)."""

    name: str = Field(min_length=1, max_length=200)
    type: Literal["single_event", "recurrent_event", "rolling_users", "override"]
    team_id: RefId | None = None
    schedule_id: RefId | None = None
    time_zone: str | None = Field(default=None, max_length=64)
    level: int = Field(default=0, ge=0, le=1000)
    start: datetime
    rotation_start: datetime | None = None
    duration: int = Field(ge=60, le=366 * 86400, description="seconds")
    frequency: Literal["hourly", "daily", "weekly", "monthly"] | None = None
    interval: int | None = Field(default=None, ge=1, le=1000)
    until: datetime | None = None
    week_start: Weekday | None = None
    by_day: list[Weekday] | None = Field(default=None, max_length=7)
    by_month: list[Annotated[int, Field(ge=1, le=12)]] | None = Field(default=None, max_length=12)
    by_monthday: list[Annotated[int, Field(ge=-31, le=31)]] | None = Field(default=None, max_length=31)
    users: list[RefId] | None = Field(default=None, max_length=50)
    rolling_users: list[list[RefId]] | None = Field(default=None, max_length=100)
    start_rotation_from_user_index: int | None = Field(default=None, ge=0)


class OnCallShiftPatch(_Request):
    """PATCH /on_call_shifts/{id}: only the fields sent change (checked as a whole write once merged)."""

    model_config = ConfigDict(extra="allow")
    takes_fields_of: ClassVar[type[BaseModel] | None] = OnCallShiftWrite


class ShiftSwapWrite(_Request):
    """POST and PUT /shift_swaps (OnCall's fields)."""

    schedule: RefId
    swap_start: datetime
    swap_end: datetime
    beneficiary: RefId
    description: str | None = Field(default=None, max_length=2000)


class ShiftSwapTake(_Request):
    benefactor: RefId


class PagedUserIn(_Request):
    id: str = Field(min_length=1, max_length=64)
    important: bool = False


class DirectPagingRequest(_Request):
    """POST /escalation (OnCall's direct paging): page people into a new alert group, or into an existing one
    (`alert_group_id`)."""

    title: str | None = Field(default=None, max_length=1500)
    message: str | None = Field(default=None, max_length=10_000)
    source_url: str | None = Field(default=None, max_length=2048)
    team: str | None = Field(default=None, max_length=64)
    users: list[PagedUserIn] = Field(default_factory=list, max_length=50)
    important_team_escalation: bool = False
    alert_group_id: str | None = Field(default=None, max_length=64)


class ResolutionNoteCreate(_Request):
    alert_group_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=10_000)


class ResolutionNoteUpdate(_Request):
    text: str = Field(min_length=1, max_length=10_000)


class TokenCreate(_Request):
    name: str = Field(min_length=1, max_length=100)
    role: Literal["admin", "editor", "viewer"] = Field(
        description="viewer: read; editor: read and change; admin: also tokens and settings"
    )
    user_id: str | None = Field(default=None, max_length=64, description="The person who acts with this token")


def present_token(token: ApiToken) -> dict[str, Any]:
    """An API token as listed: never its value nor its digest."""
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role.value,
        "user_id": token.user_id,
        "created_at": api_time(token.created_at),
    }


class DemoAlertRequest(_Request):
    demo_alert_payload: dict[str, Any] | None = None


# ------------------------------------------------------------------------------------------ renderers
def ingest_url(base_url: str, integration: Integration) -> str | None:
    kind = get_type(integration.type)
    if kind is None or not kind.has_ingest_url:
        return None
    return f"{base_url}/integrations/v1/{kind.url_slug}/{integration.token}/"


def present_integration(
    integration: Integration,
    default_route: Route | None,
    base_url: str,
    *,
    heartbeat: Heartbeat | None = None,
    maintenance: Maintenance | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    kind = get_type(integration.type)
    link = ingest_url(base_url, integration)
    return {
        "id": integration.id,
        "name": integration.name,
        "description_short": integration.description_short,
        "team_id": integration.team_id,
        "link": link,
        "inbound_email": None,
        "type": kind.url_slug if kind else integration.type,
        "default_route": {
            "id": default_route.id if default_route else integration.default_route_id,
            "escalation_chain_id": default_route.escalation_chain_id if default_route else None,
            "slack": {"channel_id": None, "enabled": False},
            "telegram": {"id": None, "enabled": False},
        },
        "templates": slots_to_public_templates(integration.templates),
        "heartbeat": present_heartbeat(integration, heartbeat, base_url, now)
        if heartbeat_available(integration)
        else None,
        **present_maintenance(maintenance),
        # Beyond OnCall's public API: labels for everyone and per-integration options.
        "labels": dict(sorted(integration.labels.items())),
        "dynamic_labels": dict(sorted(integration.dynamic_labels.items())),
        "labels_template": integration.labels_template,
        "allow_source_based_resolving": integration.allow_source_based_resolving,
        "grouping_scope": integration.grouping_scope,
        "auto_resolve_minutes": integration.auto_resolve_minutes,
        "rate_limit": integration.rate_limit.model_dump() if integration.rate_limit else None,
        # Set while the integration's templates are suspended for exhausting the per-alert template budget.
        "templates_suspended_until": api_time(integration.templates_suspended_until),
    }


def present_route(route: Route) -> dict[str, Any]:
    return {
        "id": route.id,
        "integration_id": route.integration_id,
        "escalation_chain_id": route.escalation_chain_id,
        "routing_type": route.routing_type,
        "routing_regex": route.routing_regex,
        "routing_labels": dict(sorted(route.routing_labels.items())),
        "position": route.position,
        "is_the_last_route": route.is_default,
        "slack": {"channel_id": None, "enabled": False},
        "telegram": {"id": None, "enabled": False},
    }


def present_chain(chain: EscalationChain) -> dict[str, Any]:
    return {"id": chain.id, "name": chain.name, "team_id": chain.team_id}


def present_step(step: EscalationStep) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": step.id,
        "escalation_chain_id": step.escalation_chain_id,
        "position": step.position,
        "type": step.type.value,
    }
    for name in STEP_FIELDS[step.type]:
        body[name] = getattr(step, name)
    if body.get("channel"):
        body["channel"] = shown_url(body["channel"])  # channel URLs carry tokens and passwords
    return body


def present_settings(settings: DeploymentSettings) -> dict[str, Any]:
    return settings.model_dump(mode="json")


# Payloads are shown as stored, unless they cannot be: nested deeper than the response serializer goes (pydantic
# stops at ~250 levels, and the response wraps the payload in a few more), or too large for the page (Lambda
# answers at most 6 MB). Such an alert is shown with a marker saying why instead of its payload, so that one
# stored alert never makes a list fail for everyone. Ingest's own nesting bound is below this one.
MAX_PRESENTED_DEPTH = 128
PAGE_PAYLOAD_BYTES = 4 * 1024 * 1024
UNAVAILABLE = "oncall_payload_unavailable"


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether `value` nests containers more than `limit` deep (iterative: no recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class PayloadBudget:
    """How many bytes of payloads one response may still carry."""

    def __init__(self, total: int = PAGE_PAYLOAD_BYTES) -> None:
        self.left = total


def presentable_payload(alert: Alert, budget: PayloadBudget | None = None) -> dict[str, Any]:
    """The alert's payload, or a marker saying why it cannot be shown here."""
    payload = alert.payload
    if nested_deeper_than(payload, MAX_PRESENTED_DEPTH):
        return {UNAVAILABLE: f"nested deeper than {MAX_PRESENTED_DEPTH} levels; it cannot be shown"}
    if budget is not None:
        try:
            size = len(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
        except (ValueError, TypeError, RecursionError):
            return {UNAVAILABLE: "not representable as JSON"}
        if size > budget.left:
            alone = f"GET /api/v1/alerts/?id={alert.id}"
            return {UNAVAILABLE: f"{size} bytes: too large for this page; read it alone with {alone}"}
        budget.left -= size
    return payload


def present_alert(alert: Alert, budget: PayloadBudget | None = None) -> dict[str, Any]:
    return {
        "id": alert.id,
        "alert_group_id": alert.group_id,
        "created_at": api_time(alert.received_at),
        "payload": presentable_payload(alert, budget),
    }


def present_alert_group(
    group: AlertGroup,
    last_alert: Alert | None,
    base_url: str,
    *,
    team_id: str | None = None,
    budget: PayloadBudget | None = None,
) -> dict[str, Any]:
    """`team_id` is the integration's team (the group's team in OnCall)."""
    return {
        "id": group.id,
        "integration_id": group.integration_id,
        "team_id": team_id,
        "route_id": group.route_id,
        "alerts_count": group.alerts_count,
        "state": group.state.value,
        "created_at": api_time(group.started_at),
        "resolved_at": api_time(group.resolved_at),
        "resolved_by": group.resolved_by_actor.user_id if group.resolved_by_actor else None,
        "acknowledged_at": api_time(group.acknowledged_at),
        "acknowledged_by": group.acknowledged_by.user_id if group.acknowledged_by else None,
        "labels": present_labels(group.labels),
        "title": group.title,
        "permalinks": {
            "slack": None,
            "slack_app": None,
            "telegram": None,
            "web": f"{base_url}/console/alert_groups/{group.id}",  # the console's group page
        },
        "silenced_at": api_time(group.silenced_at),
        "silenced_until": api_time(group.silenced_until),
        "root_alert_group_id": group.root_group_id,
        "last_alert": present_alert(last_alert, budget) if last_alert else None,
    }


class SilenceRequest(_Request):
    # At most 364 days: the end of a timed silence is a Step Functions execution, which lasts at most a year.
    delay: int = Field(
        ge=-1, le=364 * 86400, description="Seconds to stay silenced (at most 364 days); -1 (or 0) = forever."
    )


class AttachRequest(_Request):
    root_alert_group_id: RefId


class DeleteRequest(_Request):
    mode: Literal["wipe", "delete"] = "wipe"


# ------------------------------------------------------------------------------------------ people
# Limits that keep one save inside a DynamoDB transaction (100 items: 2 per reference) and pages readable.
MAX_RULE_STEPS = 20
MAX_CONTACTS = 20
MAX_TEAMS_PER_USER = 20
MAX_LAYERS = 20
MAX_OVERRIDES = 200
MAX_SCHEDULE_USERS = 45


class NotificationRuleIn(_Request):
    type: Literal["notify", "wait"]
    contact: str | None = Field(default=None, description="notify: the name of one of the user's contacts")
    duration: int | None = Field(default=None, ge=60, le=86400, description="wait: seconds")


class UserWrite(_Request):
    """POST and PUT /users: the whole user (missing optional fields take their defaults)."""

    username: str = Field(min_length=1, max_length=150, pattern=r"^[A-Za-z0-9_.@+-]+$")
    name: str = Field(default="", max_length=150)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20)
    timezone: str = Field(default="UTC", max_length=64)
    teams: list[RefId] = Field(default_factory=list, max_length=MAX_TEAMS_PER_USER)
    contacts: dict[str, str] = Field(default_factory=dict, description="contact name → channel URL")
    default_rules: list[NotificationRuleIn] = Field(default_factory=list, max_length=MAX_RULE_STEPS)
    important_rules: list[NotificationRuleIn] = Field(default_factory=list, max_length=MAX_RULE_STEPS)


class UserPatch(_Request):
    """PATCH /users/{id}: only the fields sent change (contacts and rules are replaced as a whole)."""

    username: str | None = Field(default=None, min_length=1, max_length=150, pattern=r"^[A-Za-z0-9_.@+-]+$")
    name: str | None = Field(default=None, max_length=150)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20)
    timezone: str | None = Field(default=None, max_length=64)
    teams: list[RefId] | None = Field(default=None, max_length=MAX_TEAMS_PER_USER)
    contacts: dict[str, str] | None = None
    default_rules: list[NotificationRuleIn] | None = Field(default=None, max_length=MAX_RULE_STEPS)
    important_rules: list[NotificationRuleIn] | None = Field(default=None, max_length=MAX_RULE_STEPS)


class UserTestNotification(_Request):
    """POST /users/{id}/test_notification: one contact, or every contact when omitted."""

    contact: str | None = Field(default=None, min_length=1, max_length=100)


class TeamWrite(_Request):
    name: str = Field(min_length=1, max_length=100)
    email: str | None = Field(default=None, max_length=254)


class LayerIn(_Request):
    frequency: Literal["hourly", "daily", "weekly", "custom"] = "weekly"
    shift_seconds: int | None = Field(default=None, ge=900, le=90 * 86400, description="custom: shift length")
    duration: int | None = Field(default=None, ge=60, le=90 * 86400, description="seconds on call per shift")
    users: list[RefId] = Field(min_length=1, max_length=MAX_SCHEDULE_USERS)
    start: datetime = Field(description="the first handoff, local time in the schedule's time zone")


class OverrideIn(_Request):
    user_id: RefId = Field(validation_alias=AliasChoices("user_id", "user"))
    start: datetime
    end: datetime


class ScheduleWrite(_Request):
    """POST and PUT /schedules. `type` "web" (OnCall's name for web-edited schedules) means "calendar"."""

    name: str = Field(min_length=1, max_length=100)
    type: Literal["calendar", "web", "ical"] = "calendar"
    time_zone: str = Field(default="UTC", max_length=64)
    team_id: RefId | None = None
    layers: list[LayerIn] = Field(default_factory=list, max_length=MAX_LAYERS)
    overrides: list[OverrideIn] = Field(default_factory=list, max_length=MAX_OVERRIDES)
    ical_url: str | None = Field(
        default=None, max_length=2048, validation_alias=AliasChoices("ical_url_primary", "ical_url")
    )
    shifts: list[RefId] | None = Field(default=None, max_length=100, description="on_call_shifts ids (calendar)")


class SchedulePatch(_Request):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    type: Literal["calendar", "web", "ical"] | None = None
    time_zone: str | None = Field(default=None, max_length=64)
    team_id: RefId | None = None
    layers: list[LayerIn] | None = Field(default=None, max_length=MAX_LAYERS)
    overrides: list[OverrideIn] | None = Field(default=None, max_length=MAX_OVERRIDES)
    ical_url: str | None = Field(
        default=None, max_length=2048, validation_alias=AliasChoices("ical_url_primary", "ical_url")
    )
    shifts: list[RefId] | None = Field(default=None, max_length=100)


def _rule(step: NotificationRuleStep) -> dict[str, Any]:
    return (
        {"type": step.type, "duration": step.duration}
        if step.type == "wait"
        else {
            "type": step.type,
            "contact": step.contact,
        }
    )


def present_user(user: User) -> dict[str, Any]:
    """OnCall's user shape plus our fields. Contact URLs are masked (they often are credentials)."""
    return {
        "id": user.id,
        "email": user.email,
        "username": user.username,
        "name": user.name,
        "role": None,  # roles belong to API tokens here
        "timezone": user.timezone,
        "teams": list(user.team_ids),
        "is_phone_number_verified": False,
        "slack": None,  # OnCall: the linked Slack identities; no ChatOps here
        "avatar_url": None,
        "phone": user.phone,
        "contacts": {name: shown_url(url) for name, url in user.contacts.items()},
        "default_rules": [_rule(s) for s in user.default_rules],
        "important_rules": [_rule(s) for s in user.important_rules],
    }


def present_team(team: Team, member_ids: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": team.id, "name": team.name, "email": team.email, "avatar_url": None}
    if member_ids is not None:
        body["members"] = member_ids
    return body


def _local_iso(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def present_schedule(schedule: Schedule, on_call_now: list[str]) -> dict[str, Any]:
    return {
        "id": schedule.id,
        "name": schedule.name,
        "type": "ical" if schedule.ical_url else "calendar",
        "team_id": schedule.team_id,
        "time_zone": schedule.time_zone,
        "on_call_now": on_call_now,
        "layers": [
            {
                "frequency": layer.frequency,
                "shift_seconds": layer.shift_seconds,
                "duration": layer.duration,
                "users": list(layer.users),
                "start": _local_iso(layer.start),
            }
            for layer in schedule.layers
        ],
        "overrides": [
            {"user_id": o.user_id, "start": api_time(o.start), "end": api_time(o.end)} for o in schedule.overrides
        ],
        "ical_url_primary": shown_url(schedule.ical_url) if schedule.ical_url else None,
        "ical_url_overrides": None,
        "slack": {"channel_id": None, "user_group_id": None},
        # OnCall's: the on_call_shifts it takes (its own list, and shifts naming it)
        "shifts": list(dict.fromkeys([*schedule.shift_ids, *(s.id for s in schedule.on_call_shifts)])),
    }


def present_final_shift(shift: Shift, user: User | None) -> dict[str, Any]:
    return {
        "user_pk": shift.user_id,
        "user_email": user.email if user else None,
        "user_username": user.username if user else None,
        "shift_start": api_time(shift.start),
        "shift_end": api_time(shift.end),
    }


def present_user_brief(user_id: str, user: User | None) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": user.username if user else None,
        "email": user.email if user else None,
        "name": user.name if user else None,
    }


# ------------------------------------------------------------------------------------------ outgoing webhooks
# Shown instead of a stored password or authorization header; sent back unchanged, it keeps the stored value.
SECRET_MASK = "****************"
WebhookTriggerName = Literal[
    "escalation",
    "alert group created",
    "acknowledge",
    "resolve",
    "silence",
    "unsilence",
    "unresolve",
    "unacknowledge",
    "status change",
    "personal notification",
    "alert added to group",
]
WebhookMethod = Literal["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
_TEMPLATE_MAX = 50_000


class WebhookPatch(_Request):
    """PATCH: only the fields sent change. Also the base of WebhookIn (PUT/POST)."""

    name: str | None = Field(default=None, min_length=1, max_length=150)
    url: str | None = Field(default=None, min_length=1, max_length=_TEMPLATE_MAX)
    trigger_type: WebhookTriggerName | None = None
    is_webhook_enabled: bool | None = None
    http_method: WebhookMethod | None = None
    headers: str | None = Field(default=None, max_length=_TEMPLATE_MAX)
    data: str | None = Field(default=None, max_length=_TEMPLATE_MAX)
    forward_all: bool | None = None
    username: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=1000)
    authorization_header: str | None = Field(default=None, max_length=4000)
    trigger_template: str | None = Field(default=None, max_length=_TEMPLATE_MAX)
    integration_filter: list[RefId] | None = Field(default=None, max_length=500)
    team: RefId | None = None
    preset: Literal["simple_webhook", "advanced"] | None = None
    timeout_seconds: int | None = Field(default=None, ge=1, le=20)
    max_retries: int | None = Field(default=None, ge=0, le=10)

    @field_validator("http_method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "name",
        "url",
        "trigger_type",
        "is_webhook_enabled",
        "http_method",
        "forward_all",
        "timeout_seconds",
        "max_retries",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        """Sent as null (only sent values are validated): these fields have no "nothing"."""
        if value is None:
            raise PydanticCustomError("null", "This field may not be null")
        return value


class WebhookIn(WebhookPatch):
    """POST and PUT: the whole webhook; omitted fields take their defaults."""

    name: str = Field(min_length=1, max_length=150)
    url: str = Field(min_length=1, max_length=_TEMPLATE_MAX)
    trigger_type: WebhookTriggerName = WebhookTrigger.ESCALATION.value
    is_webhook_enabled: bool = True
    http_method: WebhookMethod = "POST"
    forward_all: bool = True
    timeout_seconds: int = Field(default=10, ge=1, le=20)
    max_retries: int = Field(default=3, ge=0, le=10)


def present_webhook(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "name": webhook.name,
        "team": webhook.team_id,
        "is_webhook_enabled": webhook.is_webhook_enabled,
        "is_legacy": False,
        "trigger_type": webhook.trigger_type.value,
        "http_method": webhook.http_method,
        # Secrets in the URL (credentials, path tokens, query values) and header values are never shown; sent
        # back unchanged, a masked value keeps what is stored (webhooks.update_webhook).
        "url": shown_url(webhook.url),
        "headers": shown_headers(webhook.headers),
        "data": webhook.data,
        "forward_all": webhook.forward_all,
        "username": webhook.username,
        "password": shown_secret(webhook.password, SECRET_MASK),
        "authorization_header": shown_secret(webhook.authorization_header, SECRET_MASK),
        "trigger_template": webhook.trigger_template,
        "integration_filter": webhook.integration_filter,
        "preset": webhook.preset,
        "timeout_seconds": webhook.timeout_seconds,
        "max_retries": webhook.max_retries,
    }


def present_webhook_response(response: WebhookResponse) -> dict[str, Any]:
    return {
        "id": response.id,
        "timestamp": api_time(response.at),
        "event_id": response.event_id,
        "alert_group_id": response.group_id,
        "request_trigger": response.trigger,
        "attempt": response.attempt,
        # Masked again on read: attempts logged before every header value was masked at write time.
        "url": mask_url(response.url) if response.url and MASK not in response.url else response.url,
        "request_method": response.method,
        "request_headers": {
            k: v if v == SECRET_MASK or is_harmless_header(k) else SECRET_MASK
            for k, v in response.request_headers.items()
        },
        "request_data": response.request_data,
        "status_code": response.status_code,
        "content": response.content,
        "error": response.error,
        "outcome": response.outcome,
        "next_attempt_in_seconds": response.next_attempt_in_seconds,
        "duration_ms": response.duration_ms,
    }


# ------------------------------------------------------------------------------------------ configuration
class IntegrationUpdate(IntegrationOptions):
    """PUT and PATCH: only the fields sent change. null resets: a template slot or a whole surface object
    to its default, `templates` itself to all defaults, and an option to off."""

    name: str | None = Field(default=None, min_length=1, max_length=150)
    description_short: str | None = Field(default=None, max_length=250)
    team_id: RefId | None = None
    templates: dict[str, Any] | None = None
    default_route: DefaultRouteIn | None = None


class RouteUpdate(_Request):
    """PUT and PATCH on a route: only the fields sent change; `position` moves it (-1 = last, before the
    default route) and shifts the others; escalation_chain_id may be null."""

    routing_type: Literal["regex", "jinja2", "labels"] | None = None
    routing_regex: str | None = Field(default=None, min_length=1, max_length=1024)
    routing_labels: LabelsIn | None = None
    position: int | None = None
    escalation_chain_id: RefId | None = None
    manual_order: bool | None = None
    _manual_order = field_validator("manual_order")(_no_manual_order)


class PreviewTemplateRequest(_Request):
    """template_name: a public name ("grouping_key", "resolve_signal", "web.title", "sms.title", …).
    template_body: default = the integration's effective template; payload: default = its latest alert's."""

    template_name: str = Field(min_length=1, max_length=100)
    template_body: str | None = None
    payload: dict[str, Any] | None = None


class PreviewRequest(_Request):
    payload: dict[str, Any] | None = None


# ------------------------------------------------------------------------------------------ heartbeats
def _no_period(message: str) -> PydanticCustomError:
    return PydanticCustomError("invalid", message)


class HeartbeatTemplatesIn(_Request):
    missing_title: str | None = Field(default=None, max_length=1000)
    missing_message: str | None = Field(default=None, max_length=10000)
    restored_title: str | None = Field(default=None, max_length=1000)
    restored_message: str | None = Field(default=None, max_length=10000)

    @field_validator("*")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value and (error := check_syntax(value)):
            raise _no_period(error)
        return value or None


class HeartbeatUpdate(_Request):
    """PUT/PATCH /integrations/{id}/heartbeat: only the fields sent change (null resets cron/templates)."""

    period: int | None = Field(
        default=None,
        ge=MIN_PERIOD_SECONDS,
        le=MAX_SECONDS,
        validation_alias=AliasChoices("period", "timeout_seconds"),
        description="Seconds between pings (60 s to 365 days).",
    )
    grace_period: int | None = Field(default=None, ge=0, le=MAX_SECONDS)
    cron: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    post_only: bool | None = Field(default=None, description="Refuse GET/HEAD signals (link previews).")
    templates: HeartbeatTemplatesIn | None = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value and (problem := cron.check_expression(value)):
            raise _no_period(problem.rstrip("."))
        return value or None

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is not None and (problem := cron.check_timezone(value)):
            raise _no_period(problem.rstrip("."))
        return value

    def settings(self) -> dict[str, Any]:
        """The Heartbeat fields this request changes (unsent fields keep their value; `cron: null` and
        `templates: null` reset to the defaults)."""
        sent = self.model_fields_set
        changes: dict[str, Any] = {}
        if "period" in sent and self.period is not None:
            changes["period_seconds"] = self.period
        if "grace_period" in sent and self.grace_period is not None:
            changes["grace_seconds"] = self.grace_period
        if "cron" in sent:
            changes["cron"] = self.cron
        if "timezone" in sent and self.timezone is not None:
            changes["timezone"] = self.timezone
        if "post_only" in sent and self.post_only is not None:
            changes["post_only"] = self.post_only
        if "templates" in sent:
            given = self.templates
            changes["templates"] = (
                given.model_dump(include=given.model_fields_set)
                if given is not None
                else dict.fromkeys(HeartbeatTemplatesIn.model_fields)
            )
        return changes


def present_heartbeat(
    integration: Integration, heartbeat: Heartbeat | None, base_url: str, now: datetime | None = None
) -> dict[str, Any]:
    link = f"{ingest_url(base_url, integration)}heartbeat/"
    hb = heartbeat or Heartbeat(integration_id=integration.id)
    state = state_of(heartbeat, now or default_clock().now())
    armed = hb.enabled and not hb.alerted
    return {
        "link": link,  # OnCall's field: GET|HEAD|POST a ping here
        "start_link": f"{link}start",
        "fail_link": f"{link}fail",
        "state": state.value,
        "period": hb.period_seconds,
        "grace_period": hb.grace_seconds,
        "cron": hb.cron,
        "timezone": hb.timezone,
        "post_only": hb.post_only,
        "last_ping_at": api_time(hb.last_ping_at),
        "next_expected_at": api_time(hb.expected_at) if armed else None,
        "missing_at": api_time(hb.down_at) if armed else None,
        "down_since": api_time(hb.down_since if hb.alerted else hb.down_at) if state.value == "down" else None,
        "run_started_at": api_time(hb.last_start_at),
        "last_failure_at": api_time(hb.last_fail_at),
        "pings": hb.pings,
        "outages": hb.outages,
        "templates": hb.templates.model_dump(),
    }


# ------------------------------------------------------------------------------------------ maintenance
def _mode(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class MaintenanceStartRequest(_Request):
    mode: MaintenanceMode
    duration: int | None = Field(default=None, description="Seconds (60 s to 30 days).")
    end_at: datetime | None = Field(default=None, description="ISO 8601; instead of duration. Naive = UTC.")
    pause_running_escalations: bool = False

    _lower = field_validator("mode", mode="before")(lambda cls, value: _mode(value))
    _end = field_validator("end_at")(lambda cls, value: _utc(value))


class MaintenanceWindowCreate(_Request):
    mode: MaintenanceMode
    start_at: datetime | None = Field(default=None, description="ISO 8601 (naive = UTC): one window.")
    cron: str | None = Field(default=None, max_length=200, description="Or: recurring, at these times.")
    timezone: str = Field(default="UTC", max_length=64)
    duration: int | None = Field(default=None, ge=MIN_DURATION_SECONDS, le=MAX_DURATION_SECONDS)
    end_at: datetime | None = None
    pause_running_escalations: bool = False

    _lower = field_validator("mode", mode="before")(lambda cls, value: _mode(value))
    _times = field_validator("start_at", "end_at")(lambda cls, value: _utc(value))


def present_maintenance(maintenance: Maintenance | None) -> dict[str, Any]:
    """OnCall's three maintenance fields of an integration, plus where its incident and window are."""
    if maintenance is None:
        return {
            "maintenance_mode": None,
            "maintenance_started_at": None,
            "maintenance_end_at": None,
            "maintenance_incident_id": None,
            "maintenance_window_id": None,
            "maintenance_pauses_running_escalations": False,
        }
    return {
        "maintenance_mode": maintenance.mode.value,
        "maintenance_started_at": api_time(maintenance.started_at),
        "maintenance_end_at": api_time(maintenance.end_at),
        "maintenance_incident_id": maintenance.incident_id,
        "maintenance_window_id": maintenance.window_id,
        "maintenance_pauses_running_escalations": maintenance.pause_running_escalations,
    }


def present_maintenance_window(window: MaintenanceWindow) -> dict[str, Any]:
    end = window.start_at + timedelta(seconds=window.duration_seconds) if window.start_at else None
    return {
        "id": window.id,
        "integration_id": window.integration_id,
        "mode": window.mode.value,
        "start_at": api_time(window.start_at),
        "end_at": api_time(end),
        "cron": window.cron,
        "timezone": window.timezone,
        "duration": window.duration_seconds,
        "pause_running_escalations": window.pause_running_escalations,
        "next_start_at": api_time(window.next_start_at),
        "created_at": api_time(window.created_at),
        "created_by": window.created_by,
    }


# The response shape whose fields a client may send back unchanged (read-only ones are ignored; see _Request).
for _model, _shape in (
    (DefaultRouteIn, "DefaultRouteOut"),
    (LabelName, "LabelPartOut"),
    (RateLimitIn, "RateLimitOut"),
    (IntegrationCreate, "IntegrationOut"),
    (IntegrationUpdate, "IntegrationOut"),
    (RouteCreate, "RouteOut"),
    (RouteUpdate, "RouteOut"),
    (ChainCreate, "ChainOut"),
    (ChainPatch, "ChainOut"),
    (StepCreate, "PolicyOut"),
    (StepUpdate, "PolicyOut"),
    (SettingsUpdate, "SettingsOut"),
    (TokenCreate, "TokenCreatedOut"),
    (NotificationRuleIn, "NotificationRuleOut"),
    (UserWrite, "UserOut"),
    (UserPatch, "UserOut"),
    (TeamWrite, "TeamOut"),
    (LayerIn, "LayerOut"),
    (OverrideIn, "OverrideOut"),
    (ScheduleWrite, "ScheduleOut"),
    (SchedulePatch, "ScheduleOut"),
    (WebhookPatch, "WebhookOut"),
    (WebhookIn, "WebhookOut"),
    (HeartbeatUpdate, "HeartbeatOut"),
):
    _model.shown_as = _shape
