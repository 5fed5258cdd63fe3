"""The public API's shapes (OnCall public API v1 field names) and the renderers from entities to them.

Requests are pydantic models validated by the event handler; responses are plain dicts built here, so the
stored entities never leak storage details and the wire format has one home.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from oncall import cron
from oncall.clock import api_time, default_clock
from oncall.heartbeat import MAX_SECONDS, MIN_PERIOD_SECONDS, state_of
from oncall.heartbeat import available as heartbeat_available
from oncall.integration_types import get_type
from oncall.maintenance import MAX_DURATION_SECONDS, MIN_DURATION_SECONDS
from oncall.models import (
    Alert,
    AlertGroup,
    EscalationChain,
    EscalationStep,
    Heartbeat,
    Integration,
    Maintenance,
    MaintenanceMode,
    MaintenanceWindow,
    Route,
)
from oncall.templating import check_syntax

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


class StepCreate(_Request):
    escalation_chain_id: str
    type: Literal["wait", "notify_channel", "resolve"]
    position: int = -1
    duration: int | None = Field(default=None, ge=60, le=86400)
    channel: str | None = Field(default=None, min_length=1, max_length=2048)
    important: bool = False


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
    if step.type == "wait":
        body["duration"] = step.duration
    if step.type == "notify_channel":
        body["channel"] = step.channel
        body["important"] = step.important
    return body


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
