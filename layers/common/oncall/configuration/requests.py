"""The configuration's write models (integrations, routes, escalation chains and policies, deployment
settings), in OnCall public API v1 field names: validated here, in the domain that applies them; the API
takes them as request bodies."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from oncall.configuration.step_types import StepTypeName
from oncall.platform.bodies import RefId, RequestBody


class DefaultRouteIn(RequestBody):
    escalation_chain_id: RefId | None = None


class LabelName(RequestBody):
    id: str | None = None
    name: str


class LabelPair(RequestBody):
    """OnCall's label shape: {"key": {"id", "name"}, "value": {"id", "name"}} (the names are what count)."""

    key: LabelName
    value: LabelName


# Labels in requests: {"key": "value", ...} or OnCall's [{"key": {"name": ...}, "value": {"name": ...}}, ...].
LabelsIn = dict[str, str] | list[LabelPair]


class RateLimitIn(RequestBody):
    alerts: int = Field(ge=1, le=1_000_000)
    per_seconds: int = Field(ge=1, le=86_400)


class IntegrationOptions(RequestBody):
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


class IntegrationUpdate(IntegrationOptions):
    """PUT and PATCH: only the fields sent change. null resets: a template slot or a whole surface object
    to its default, `templates` itself to all defaults, and an option to off."""

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


class RouteCreate(RequestBody):
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


class RouteUpdate(RequestBody):
    """PUT and PATCH on a route: only the fields sent change; `position` moves it (-1 = last, before the
    default route) and shifts the others; escalation_chain_id may be null."""

    routing_type: Literal["regex", "jinja2", "labels"] | None = None
    routing_regex: str | None = Field(default=None, min_length=1, max_length=1024)
    routing_labels: LabelsIn | None = None
    position: int | None = None
    escalation_chain_id: RefId | None = None
    manual_order: bool | None = None
    _manual_order = field_validator("manual_order")(_no_manual_order)


class ChainCreate(RequestBody):
    """POST and PUT /escalation_chains (PUT replaces: an omitted team_id becomes null)."""

    name: str = Field(min_length=1, max_length=100)
    team_id: str | None = Field(default=None, max_length=64)


class ChainPatch(RequestBody):
    """PATCH /escalation_chains/{id}: only the fields sent change."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    team_id: str | None = Field(default=None, max_length=64)


_UserIds = list[Annotated[str, Field(min_length=1, max_length=64)]]


class StepFields(RequestBody):
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


class SettingsUpdate(RequestBody):
    acknowledge_remind_timeout: int | None = Field(default=None, ge=0, le=14 * 24 * 60, description="minutes")
    unacknowledge_timeout: int | None = Field(default=None, ge=0, le=24 * 60, description="minutes")
    require_resolution_note: bool | None = Field(
        default=None, description="People (API, action links) resolve a group only after a resolution note"
    )
