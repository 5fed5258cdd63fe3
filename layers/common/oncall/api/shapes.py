"""Response shapes for the OpenAPI document (/api/v1/openapi.json). Documentation only: handlers return the
dicts built by api_schemas.present_*; these models describe them, and the contract tests and schemathesis
check every response against them. Objects stay open (extra fields are allowed), as clients must tolerate.

`returns(Model)` / `created(Model)` / `page(Model)` / `deleted()` build a route decorator's `responses=`.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

JSON = "application/json"


class Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


# ------------------------------------------------------------------------------------------ shared
class Error(Shape):
    """Every error: `detail` says what went wrong; a 400 also maps each bad field to its messages."""

    detail: str


class SlackOut(Shape):
    channel_id: str | None
    enabled: bool


class TelegramOut(Shape):
    id: str | None
    enabled: bool


class LabelPartOut(Shape):
    id: str
    name: str


class LabelOut(Shape):
    key: LabelPartOut
    value: LabelPartOut


# ------------------------------------------------------------------------------------------ integrations
class DefaultRouteOut(Shape):
    id: str
    escalation_chain_id: str | None
    slack: SlackOut
    telegram: TelegramOut


class HeartbeatOut(Shape):
    link: str = Field(description="GET, HEAD or POST a ping here")
    start_link: str
    fail_link: str
    state: Literal["new", "up", "grace", "down", "paused"]
    period: int
    grace_period: int
    cron: str | None
    timezone: str
    post_only: bool
    last_ping_at: str | None
    next_expected_at: str | None
    missing_at: str | None
    down_since: str | None
    run_started_at: str | None
    last_failure_at: str | None
    pings: int
    outages: int
    templates: dict[str, str | None]


class RateLimitOut(Shape):
    alerts: int
    per_seconds: int


class IntegrationOut(Shape):
    id: str = Field(description="C…")
    name: str
    description_short: str | None
    team_id: str | None
    link: str | None = Field(description="The ingest URL")
    inbound_email: str | None
    type: str
    default_route: DefaultRouteOut
    templates: dict[str, Any] = Field(description="Public template names; null = the type's default")
    heartbeat: HeartbeatOut | None
    maintenance_mode: Literal["debug", "maintenance"] | None
    maintenance_started_at: str | None
    maintenance_end_at: str | None
    maintenance_incident_id: str | None
    maintenance_window_id: str | None
    maintenance_pauses_running_escalations: bool
    labels: dict[str, str]
    dynamic_labels: dict[str, str]
    labels_template: str | None
    allow_source_based_resolving: bool
    grouping_scope: Literal["route", "integration"]
    auto_resolve_minutes: int | None
    rate_limit: RateLimitOut | None
    templates_suspended_until: str | None = Field(
        description="Set while the integration's templates are skipped for exhausting the per-alert template "
        "budget again and again (its alerts use the default templates until then; changing its templates clears it)"
    )


class RouteOut(Shape):
    id: str = Field(description="R…")
    integration_id: str
    escalation_chain_id: str | None
    routing_type: Literal["regex", "jinja2", "labels"]
    routing_regex: str | None
    routing_labels: dict[str, str]
    position: int
    is_the_last_route: bool
    slack: SlackOut
    telegram: TelegramOut


# ------------------------------------------------------------------------------------------ escalation
class ChainOut(Shape):
    id: str = Field(description="F…")
    name: str
    team_id: str | None


class PolicyOut(Shape):
    """Only the fields of the step's `type` are present."""

    id: str = Field(description="E…")
    escalation_chain_id: str
    position: int
    type: str
    duration: int | None = None
    important: bool | None = None
    persons_to_notify: list[str] | None = None
    persons_to_notify_next_each_time: list[str] | None = None
    notify_on_call_from_schedule: str | None = None
    team_to_notify: str | None = None
    action_to_trigger: str | None = None
    notify_if_time_from: str | None = None
    notify_if_time_to: str | None = None
    num_alerts_in_window: int | None = None
    num_minutes_in_window: int | None = None
    channel: str | None = None


# ------------------------------------------------------------------------------------------ alerts
class AlertOut(Shape):
    id: str = Field(description="A…")
    alert_group_id: str | None
    created_at: str
    payload: dict[str, Any]


class PermalinksOut(Shape):
    slack: str | None
    slack_app: str | None
    telegram: str | None
    web: str


class AlertGroupOut(Shape):
    id: str = Field(description="I…")
    integration_id: str
    team_id: str | None
    route_id: str | None
    alerts_count: int
    state: Literal["firing", "acknowledged", "resolved", "silenced"]
    created_at: str
    resolved_at: str | None
    resolved_by: str | None
    acknowledged_at: str | None
    acknowledged_by: str | None
    labels: list[LabelOut]
    title: str
    permalinks: PermalinksOut
    silenced_at: str | None
    silenced_until: str | None
    root_alert_group_id: str | None
    last_alert: AlertOut | None


class TimelineOut(Shape):
    results: list[dict[str, Any]]


# ------------------------------------------------------------------------------------------ webhooks
class WebhookOut(Shape):
    id: str = Field(description="WH…")
    name: str
    team: str | None
    is_webhook_enabled: bool
    is_legacy: bool
    trigger_type: str
    http_method: str
    url: str
    headers: str | None
    data: str | None
    forward_all: bool
    username: str | None
    password: str | None = Field(description="Masked")
    authorization_header: str | None = Field(description="Masked")
    trigger_template: str | None
    integration_filter: list[str]
    preset: str | None
    timeout_seconds: int
    max_retries: int


class WebhookResponseOut(Shape):
    id: str
    timestamp: str
    event_id: str
    alert_group_id: str | None
    request_trigger: str
    attempt: int
    url: str | None
    request_method: str
    request_headers: dict[str, str] = Field(description="Authorization masked")
    request_data: str | None
    status_code: int | None
    content: str | None
    error: str | None
    outcome: Literal["delivered", "retrying", "failed"]
    next_attempt_in_seconds: int | None
    duration_ms: int | None


# ------------------------------------------------------------------------------------------ people
class NotificationRuleOut(Shape):
    type: Literal["notify", "wait"]
    contact: str | None = None
    duration: int | None = None


class UserOut(Shape):
    id: str = Field(description="U…")
    email: str | None
    username: str
    name: str
    role: str | None
    timezone: str
    teams: list[str]
    is_phone_number_verified: bool
    slack: list[dict[str, Any]] | None = Field(description="OnCall's linked Slack identities: always null here")
    avatar_url: str | None = Field(description="always null here")
    phone: str | None
    contacts: dict[str, str] = Field(description="Channel URLs, masked")
    default_rules: list[NotificationRuleOut]
    important_rules: list[NotificationRuleOut]


class ContactTestResultOut(Shape):
    contact: str
    channel: str = Field(description="The contact's channel URL, masked")
    sent: bool
    error: str | None = Field(description="Why the channel refused it (secrets scrubbed); null when sent")


class UserTestNotificationOut(Shape):
    results: list[ContactTestResultOut]


class TeamOut(Shape):
    id: str = Field(description="T…")
    name: str
    email: str | None
    avatar_url: str | None
    members: list[str] | None = None


class LayerOut(Shape):
    frequency: Literal["hourly", "daily", "weekly", "custom"]
    shift_seconds: int | None
    duration: int | None
    users: list[str]
    start: str


class OverrideOut(Shape):
    user_id: str
    start: str
    end: str


class ScheduleSlackOut(Shape):
    channel_id: str | None
    user_group_id: str | None


class ScheduleOut(Shape):
    id: str = Field(description="S…")
    name: str
    type: Literal["calendar", "ical"]
    team_id: str | None
    time_zone: str
    on_call_now: list[str]
    layers: list[LayerOut]
    overrides: list[OverrideOut]
    ical_url_primary: str | None
    ical_url_overrides: str | None
    slack: ScheduleSlackOut
    shifts: list[str] = Field(description="on_call_shifts ids")


# ------------------------------------------------------------------------------------------ deployment
class TokenOut(Shape):
    id: str = Field(description="K…")
    name: str
    role: Literal["admin", "editor", "viewer"]
    user_id: str | None
    created_at: str


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The token's value: shown only in this response")


class SettingsOut(Shape):
    acknowledge_remind_timeout: int
    unacknowledge_timeout: int
    require_resolution_note: bool


class ResolutionNoteOut(Shape):
    id: str = Field(description="M…")
    alert_group_id: str
    author: str | None = Field(description="The user id of the token that wrote it")
    source: str
    created_at: str
    text: str


class InfoOut(Shape):
    url: str
    version: str


class OrganizationOut(Shape):
    id: str = Field(description="O…")
    name: str


# ------------------------------------------------------------------------------------------ helpers
class _PageBase(Shape):
    count: int
    next: str | None
    previous: str | None
    page_size: int
    current_page_number: int
    total_pages: int


@cache
def page_model(item: type[BaseModel]) -> type[BaseModel]:
    """OnCall's pagination envelope around `item`s (one model per item type, named <Item>Page)."""
    name = item.__name__.removesuffix("Out") + "Page"
    return create_model(name, __base__=_PageBase, results=(list[item], ...))


def returns(model: type[BaseModel], status: int = 200, description: str = "OK") -> dict[int, Any]:
    return {status: {"description": description, "content": {JSON: {"model": model}}}}


def created(model: type[BaseModel]) -> dict[int, Any]:
    return returns(model, 201, "Created")


def page(model: type[BaseModel]) -> dict[int, Any]:
    return returns(page_model(model), 200, "One page (`page`, `perpage`)")


def deleted() -> dict[int, Any]:
    return {204: {"description": "Deleted (no body)"}}


# ------------------------------------------------------------------------------------------ ChatOps (none here)
class UserGroupSlackOut(Shape):
    id: str
    name: str
    handle: str


class UserGroupOut(Shape):
    id: str
    type: Literal["slack_based"]
    slack: UserGroupSlackOut


class SlackChannelOut(Shape):
    name: str
    slack_id: str


# ------------------------------------------------------------------------------------------ on-call shifts
class OnCallShiftOut(Shape):
    id: str = Field(description="O…")
    name: str
    type: Literal["single_event", "recurrent_event", "rolling_users", "override"]
    team_id: str | None
    schedule_id: str | None
    time_zone: str | None
    level: int
    start: str
    rotation_start: str
    duration: int
    frequency: str | None
    interval: int | None
    until: str | None
    week_start: str
    by_day: list[str] | None
    by_month: list[int] | None
    by_monthday: list[int] | None
    users: list[str]
    rolling_users: list[list[str]] | None
    start_rotation_from_user_index: int | None


class ShiftSwapOut(Shape):
    id: str = Field(description="SSR…")
    schedule: str
    swap_start: str
    swap_end: str
    beneficiary: str
    benefactor: str | None
    status: Literal["open", "taken", "past_due"]
    description: str | None
    created_at: str
    updated_at: str
