"""The public API's shapes (OnCall public API v1 field names) and the renderers from entities to them.

Requests are pydantic models validated by the event handler; responses are plain dicts built here, so the
stored entities never leak storage details and the wire format has one home.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from oncall.clock import api_time
from oncall.integration_types import get_type
from oncall.labels import present_labels
from oncall.models import Alert, AlertGroup, EscalationChain, EscalationStep, Integration, Route

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
    name: str | None = Field(default=None, min_length=1, max_length=150)
    description_short: str | None = Field(default=None, max_length=250)
    team_id: str | None = None
    templates: dict[str, Any] | None = None
    default_route: DefaultRouteIn | None = None


class RouteCreate(_Request):
    integration_id: str
    # Required for regex and jinja2 routes (checked with the matcher's own compiler); unused by labels routes.
    routing_regex: str | None = Field(default=None, min_length=1, max_length=1024)
    routing_type: Literal["regex", "jinja2", "labels"] = "regex"
    routing_labels: LabelsIn | None = None
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


def unknown_template_names(public: dict[str, Any]) -> list[str]:
    """Names in an API `templates` object that are no template (reported, never silently ignored)."""
    unknown = []
    for name, value in public.items():
        if name in _BEHAVIOUR_NAMES:
            continue
        if name not in _SURFACE_ATTRIBUTES:
            unknown.append(name)
        elif isinstance(value, dict):
            unknown += [f"{name}.{a}" for a in value if a not in _SURFACE_ATTRIBUTES[name]]
        elif value is not None:
            unknown.append(name)
    return unknown


def public_template_names() -> list[str]:
    """Every template by its public name, surfaces dotted: grouping_key, …, web.title, sms.title, …"""
    names = list(_BEHAVIOUR_NAMES)
    names += [
        f"{surface}.{attribute}" for surface, attributes in _SURFACE_ATTRIBUTES.items() for attribute in attributes
    ]
    return names


def template_slot(name: str) -> str | None:
    """The slot of a template name: public ("grouping_key", "web.title") or internal ("web_title")."""
    if name in _BEHAVIOUR_NAMES:
        return _BEHAVIOUR_NAMES[name]
    if name in _BEHAVIOUR_NAMES.values():
        return name
    for separator in (".", "_"):
        for surface, attributes in _SURFACE_ATTRIBUTES.items():
            attribute = name.removeprefix(f"{surface}{separator}")
            if attribute != name and attribute in attributes:
                return f"{surface}_{attribute}"
    return None


def public_template_name(slot: str) -> str:
    for name, behaviour_slot in _BEHAVIOUR_NAMES.items():
        if behaviour_slot == slot:
            return name
    for surface, attributes in _SURFACE_ATTRIBUTES.items():
        attribute = slot.removeprefix(f"{surface}_")
        if attribute != slot and attribute in attributes:
            return f"{surface}.{attribute}"
    return slot


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
        # Beyond OnCall's public API: labels for everyone and per-integration options.
        "labels": dict(sorted(integration.labels.items())),
        "dynamic_labels": dict(sorted(integration.dynamic_labels.items())),
        "labels_template": integration.labels_template,
        "allow_source_based_resolving": integration.allow_source_based_resolving,
        "grouping_scope": integration.grouping_scope,
        "auto_resolve_minutes": integration.auto_resolve_minutes,
        "rate_limit": integration.rate_limit.model_dump() if integration.rate_limit else None,
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
        "labels": present_labels(group.labels),
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


# ------------------------------------------------------------------------------------------ configuration
class IntegrationUpdate(IntegrationOptions):
    """PUT and PATCH: only the fields sent change. null resets: a template slot or a whole surface object
    to its default, `templates` itself to all defaults, and an option to off."""

    name: str | None = Field(default=None, min_length=1, max_length=150)
    description_short: str | None = Field(default=None, max_length=250)
    team_id: str | None = None
    templates: dict[str, Any] | None = None
    default_route: DefaultRouteIn | None = None


class RouteUpdate(_Request):
    """PUT and PATCH on a route: only the fields sent change; `position` moves it (-1 = last, before the
    default route) and shifts the others; escalation_chain_id may be null."""

    routing_type: Literal["regex", "jinja2", "labels"] | None = None
    routing_regex: str | None = Field(default=None, min_length=1, max_length=1024)
    routing_labels: LabelsIn | None = None
    position: int | None = None
    escalation_chain_id: str | None = None


class PreviewTemplateRequest(_Request):
    """template_name: a public name ("grouping_key", "resolve_signal", "web.title", "sms.title", …).
    template_body: default = the integration's effective template; payload: default = its latest alert's."""

    template_name: str = Field(min_length=1, max_length=100)
    template_body: str | None = None
    payload: dict[str, Any] | None = None


class PreviewRequest(_Request):
    payload: dict[str, Any] | None = None
