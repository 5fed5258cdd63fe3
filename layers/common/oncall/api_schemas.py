"""The public API's shapes (OnCall public API v1 field names) and the renderers from entities to them.

Requests are pydantic models validated by the event handler; responses are plain dicts built here, so the
stored entities never leak storage details and the wire format has one home.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from oncall.clock import api_time
from oncall.integration_types import get_type
from oncall.models import (
    Alert,
    AlertGroup,
    DeploymentSettings,
    EscalationChain,
    EscalationStep,
    Integration,
    Route,
    StepType,
)

# Public template names -> internal slots. Nested objects map `<surface>.<attribute>` to `<surface>_<attribute>`.
_BEHAVIOUR_NAMES = {
    "grouping_key": "grouping_id",
    "resolve_signal": "resolve_condition",
    "acknowledge_signal": "acknowledge_condition",
    "source_link": "source_link",
}
_SURFACE_ATTRIBUTES = {
    "slack": ("title", "message", "image_url"),
    "web": ("title", "message", "image_url"),
    "sms": ("title",),
    "phone_call": ("title",),
    "telegram": ("title", "message", "image_url"),
    "email": ("title", "message"),
    "mobile_app": ("title", "message"),
    "msteams": ("title", "message", "image_url"),
}


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")


class DefaultRouteIn(_Request):
    escalation_chain_id: str | None = None


class IntegrationCreate(_Request):
    type: str
    name: str | None = Field(default=None, min_length=1, max_length=150)
    description_short: str | None = Field(default=None, max_length=250)
    team_id: str | None = None
    templates: dict[str, Any] | None = None
    default_route: DefaultRouteIn | None = None


class RouteCreate(_Request):
    integration_id: str
    routing_regex: str = Field(min_length=1, max_length=1024)
    routing_type: Literal["regex", "jinja2"] = "regex"
    position: int = -1
    escalation_chain_id: str | None = None


class ChainCreate(_Request):
    name: str = Field(min_length=1, max_length=100)
    team_id: str | None = None


StepTypeName = Literal[
    "wait",
    "notify_persons",
    "notify_person_next_each_time",
    "notify_on_call_from_schedule",
    "notify_team_members",
    "trigger_webhook",
    "resolve",
    "notify_if_time_from_to",
    "notify_if_num_alerts_in_window",
    "repeat_escalation",
    "notify_channel",
]

# The fields each step type has (public API names); responses show only these, requests may send others
# (they are ignored, as OnCall does).
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    StepType.WAIT: ("duration",),
    StepType.NOTIFY_PERSONS: ("persons_to_notify", "important"),
    StepType.NOTIFY_PERSON_NEXT_EACH_TIME: ("persons_to_notify_next_each_time", "important"),
    StepType.NOTIFY_ON_CALL_FROM_SCHEDULE: ("notify_on_call_from_schedule", "important"),
    StepType.NOTIFY_TEAM_MEMBERS: ("team_to_notify", "important"),
    StepType.TRIGGER_WEBHOOK: ("action_to_trigger",),
    StepType.RESOLVE: (),
    StepType.NOTIFY_IF_TIME_FROM_TO: ("notify_if_time_from", "notify_if_time_to"),
    StepType.NOTIFY_IF_NUM_ALERTS_IN_WINDOW: ("num_alerts_in_window", "num_minutes_in_window"),
    StepType.REPEAT_ESCALATION: (),
    StepType.NOTIFY_CHANNEL: ("channel", "important"),
}

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
    escalation_chain_id: str
    type: StepTypeName
    position: int = -1


class StepUpdate(StepFields):
    """PUT /escalation_policies/{id}: only the fields sent change; `position` moves the step."""

    type: StepTypeName | None = None
    position: int | None = None


class SettingsUpdate(_Request):
    acknowledge_remind_timeout: int | None = Field(default=None, ge=0, le=14 * 24 * 60, description="minutes")
    unacknowledge_timeout: int | None = Field(default=None, ge=0, le=24 * 60, description="minutes")


class DemoAlertRequest(_Request):
    demo_alert_payload: dict[str, Any] | None = None


# ------------------------------------------------------------------------------------------ templates
def public_templates_to_slots(public: dict[str, Any]) -> dict[str, str | None]:
    """Flatten an API `templates` object into slot overrides; a None value means "reset to default"."""
    slots: dict[str, str | None] = {}
    for name, value in public.items():
        if name in _BEHAVIOUR_NAMES:
            slots[_BEHAVIOUR_NAMES[name]] = value
        elif name in _SURFACE_ATTRIBUTES:
            attributes = _SURFACE_ATTRIBUTES[name]
            if value is None:
                slots.update({f"{name}_{attribute}": None for attribute in attributes})
            elif isinstance(value, dict):
                slots.update({f"{name}_{a}": v for a, v in value.items() if a in attributes})
    return slots


def slots_to_public_templates(overrides: dict[str, str]) -> dict[str, Any]:
    public: dict[str, Any] = {name: overrides.get(slot) for name, slot in _BEHAVIOUR_NAMES.items()}
    for surface, attributes in _SURFACE_ATTRIBUTES.items():
        public[surface] = {attribute: overrides.get(f"{surface}_{attribute}") for attribute in attributes}
    return public


# ------------------------------------------------------------------------------------------ renderers
def ingest_url(base_url: str, integration: Integration) -> str | None:
    kind = get_type(integration.type)
    if kind is None or not kind.has_ingest_url:
        return None
    return f"{base_url}/integrations/v1/{kind.url_slug}/{integration.token}/"


def present_integration(integration: Integration, default_route: Route | None, base_url: str) -> dict[str, Any]:
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
        "heartbeat": {"link": f"{link}heartbeat/"} if link and kind and kind.heartbeat_available else None,
        "maintenance_mode": None,
        "maintenance_started_at": None,
        "maintenance_end_at": None,
    }


def present_route(route: Route) -> dict[str, Any]:
    return {
        "id": route.id,
        "integration_id": route.integration_id,
        "escalation_chain_id": route.escalation_chain_id,
        "routing_type": route.routing_type,
        "routing_regex": route.routing_regex,
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
    return body


def present_settings(settings: DeploymentSettings) -> dict[str, Any]:
    return settings.model_dump(mode="json")


def present_alert(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "alert_group_id": alert.group_id,
        "created_at": api_time(alert.received_at),
        "payload": alert.payload,
    }


def present_alert_group(group: AlertGroup, last_alert: Alert | None, base_url: str) -> dict[str, Any]:
    return {
        "id": group.id,
        "integration_id": group.integration_id,
        "team_id": None,
        "route_id": group.route_id,
        "alerts_count": group.alerts_count,
        "state": group.state.value,
        "created_at": api_time(group.started_at),
        "resolved_at": api_time(group.resolved_at),
        "resolved_by": group.resolved_by_actor.user_id if group.resolved_by_actor else None,
        "acknowledged_at": api_time(group.acknowledged_at),
        "acknowledged_by": group.acknowledged_by.user_id if group.acknowledged_by else None,
        "labels": [],
        "title": group.title,
        "permalinks": {
            "slack": None,
            "slack_app": None,
            "telegram": None,
            "web": f"{base_url}/api/v1/alert_groups/{group.id}",
        },
        "silenced_at": api_time(group.silenced_at),
        "silenced_until": api_time(group.silenced_until),
        "root_alert_group_id": group.root_group_id,
        "last_alert": present_alert(last_alert) if last_alert else None,
    }


class SilenceRequest(_Request):
    delay: int = Field(ge=-1, description="Seconds to stay silenced; -1 (or 0) = forever.")


class AttachRequest(_Request):
    root_alert_group_id: str


class DeleteRequest(_Request):
    mode: Literal["wipe", "delete"] = "wipe"
