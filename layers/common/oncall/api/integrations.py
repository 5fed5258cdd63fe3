"""/api/v1/integrations"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import Field

from oncall import wiring
from oncall.access.tokens import require_role
from oncall.api.common import Page, PerPage, base, integration_base, metrics, page_of, request_id
from oncall.api.heartbeats import HeartbeatOut, present_heartbeat
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.responses import SlackOut, TelegramOut, created, deleted, no_slack, no_telegram, paged, returns
from oncall.configuration.requests import DefaultRouteIn, IntegrationCreate, IntegrationUpdate, RateLimitIn
from oncall.intake.types.catalog import get_type, ingest_url
from oncall.models import ApiTokenRole, Heartbeat, Integration, Maintenance, Route
from oncall.monitoring.heartbeat import available as heartbeat_available
from oncall.platform.bodies import RequestBody, ResponseBody
from oncall.platform.clock import api_time
from oncall.platform.errors import NotFoundError
from oncall.platform.http import json_response
from oncall.templates.names import slots_to_public_templates

router = Router()


# ------------------------------------------------------------------------------------------ request bodies
class PreviewTemplateRequest(RequestBody):
    """template_name: a public name ("grouping_key", "resolve_signal", "web.title", "sms.title", …).
    template_body: default = the integration's effective template; payload: default = its latest alert's."""

    template_name: str = Field(min_length=1, max_length=100)
    template_body: str | None = None
    payload: dict[str, Any] | None = None


class PreviewRequest(RequestBody):
    payload: dict[str, Any] | None = None


class DemoAlertRequest(RequestBody):
    demo_alert_payload: dict[str, Any] | None = None


# ------------------------------------------------------------------------------------------ response
class DefaultRouteOut(ResponseBody, echoed_by=(DefaultRouteIn,)):
    id: str
    escalation_chain_id: str | None
    slack: SlackOut
    telegram: TelegramOut


class RateLimitOut(ResponseBody, echoed_by=(RateLimitIn,)):
    alerts: int
    per_seconds: int


class IntegrationOut(ResponseBody, echoed_by=(IntegrationCreate, IntegrationUpdate)):
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
    # OnCall's three maintenance fields, plus where the maintenance's incident and window are.
    maintenance_mode: Literal["debug", "maintenance"] | None
    maintenance_started_at: str | None
    maintenance_end_at: str | None
    maintenance_incident_id: str | None
    maintenance_window_id: str | None
    maintenance_pauses_running_escalations: bool
    # Beyond OnCall's public API: labels for everyone and per-integration options.
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


def _maintenance_fields(maintenance: Maintenance | None) -> dict[str, Any]:
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
    return IntegrationOut.build(
        id=integration.id,
        name=integration.name,
        description_short=integration.description_short,
        team_id=integration.team_id,
        link=ingest_url(base_url, integration),
        inbound_email=None,
        type=kind.url_slug if kind else integration.type,
        default_route=DefaultRouteOut.build(
            id=default_route.id if default_route else integration.default_route_id,
            escalation_chain_id=default_route.escalation_chain_id if default_route else None,
            slack=no_slack(),
            telegram=no_telegram(),
        ),
        templates=slots_to_public_templates(integration.templates),
        heartbeat=present_heartbeat(integration, heartbeat, base_url, now)
        if heartbeat_available(integration)
        else None,
        **_maintenance_fields(maintenance),
        labels=dict(sorted(integration.labels.items())),
        dynamic_labels=dict(sorted(integration.dynamic_labels.items())),
        labels_template=integration.labels_template,
        allow_source_based_resolving=integration.allow_source_based_resolving,
        grouping_scope=integration.grouping_scope,
        auto_resolve_minutes=integration.auto_resolve_minutes,
        rate_limit=RateLimitOut.build(**integration.rate_limit.model_dump()) if integration.rate_limit else None,
        # Set while the integration's templates are suspended for exhausting the per-alert template budget.
        templates_suspended_until=api_time(integration.templates_suspended_until),
    )


# ------------------------------------------------------------------------------------------ routes


def integration_body(integration: Integration, base_url: str) -> dict:
    """The integration as the API shows it, with its heartbeat and maintenance state."""
    store = wiring.store()
    return present_integration(
        integration,
        store.get_route(integration.default_route_id),
        base_url,
        heartbeat=store.get_heartbeat(integration.id),
        maintenance=store.get_maintenance(integration.id),
        now=wiring.now_clock().now(),
    )


def _body(integration: Integration) -> dict:
    return integration_body(integration, integration_base(router))


def _changes():
    """The configuration changes module. Imported by the writes that use it: it brings the escalation steps,
    channels and routing checks, which the reads (the api's usual first request) never need."""
    from oncall.configuration import changes

    return changes


def _integration(integration_id: str) -> Integration:
    integration = wiring.store().get_integration(integration_id)
    if integration is None:
        raise NotFoundError()
    return integration


@router.get("/integrations", responses=paged(IntegrationOut))
def list_integrations(
    page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, name: str | None = None, team_id: str | None = None
) -> dict:
    """Integrations, oldest first; `name` (exact) and `team_id` filter."""
    store = wiring.store()
    # The hidden integration holding maintenance incidents is not listed (GET by id still works).
    integrations = [
        i
        for i in store.list_integrations()
        if name in (None, i.name) and team_id in (None, i.team_id) and i.type != "maintenance"
    ]
    routes = {r.id: r for r in store.list_routes() if r.is_default}
    ids = [i.id for i in integrations]
    heartbeats, maintenances = store.get_heartbeats(ids), store.get_maintenances(ids)
    now, url = wiring.now_clock().now(), integration_base(router)
    bodies = [
        present_integration(
            i,
            routes.get(i.default_route_id),
            url,
            heartbeat=heartbeats.get(i.id),
            maintenance=maintenances.get(i.id),
            now=now,
        )
        for i in integrations
    ]
    return page_of(router, bodies, page, perpage, name=name, team_id=team_id)


@router.post("/integrations", responses=created(IntegrationOut))
def create_integration(body: IntegrationCreate):
    """Create an integration (`type` required) with its default route; `link` is its ingest URL. `token`
    (admin tokens only) keeps the token the integration had elsewhere; 409 if another integration has it."""
    if body.token is not None:
        require_role(router.context["api_token"], ApiTokenRole.ADMIN)
    integration, route = _changes().create_integration(body, store=wiring.store(), clock=wiring.now_clock())
    metrics.add_metric(name="IntegrationsCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, present_integration(integration, route, integration_base(router)))


@router.get("/integrations/<integration_id>", responses=returns(IntegrationOut))
def get_integration(integration_id: str) -> dict:
    return _body(_integration(integration_id))


@router.put("/integrations/<integration_id>", responses=returns(IntegrationOut))
def replace_integration(integration_id: str, body: IntegrationUpdate) -> dict:
    """Change the fields sent (as PATCH)."""
    return _body(_changes().update_integration(integration_id, body, store=wiring.store()))


@router.patch("/integrations/<integration_id>", responses=returns(IntegrationOut))
def update_integration(integration_id: str, body: IntegrationUpdate) -> dict:
    """Change the fields sent; null resets templates and options."""
    return _body(_changes().update_integration(integration_id, body, store=wiring.store()))


@router.delete("/integrations/<integration_id>", responses=deleted())
def delete_integration(integration_id: str):
    """Delete the integration, its URL and its routes (its alert groups stay)."""
    _changes().delete_integration(integration_id, store=wiring.store())
    # This container forgets the integration at once (its URL stops accepting alerts here). Other containers
    # (ingest runs in its own function on AWS) keep a cached copy for up to ONCALL_CONFIG_CACHE_SECONDS (5 s):
    # alerts they accept meanwhile are stored, and route drops them (docs/SECURITY.md, "Deleted integrations").
    wiring.config().invalidate()
    metrics.add_metric(name="IntegrationsDeleted", unit=MetricUnit.Count, value=1)
    return Response(status_code=204, content_type="application/json", body="")


@router.post("/integrations/<integration_id>/preview_template")
def preview_template(integration_id: str, body: PreviewTemplateRequest) -> dict:
    from oncall.templates import preview  # rare: loaded by the previews only

    return preview.preview_template(
        _integration(integration_id),
        body.template_name,
        body.template_body,
        body.payload,
        store=wiring.store(),
        now=wiring.now_clock().now(),
        base_url=base(router),
    )


@router.post("/integrations/<integration_id>/preview")
def preview_integration(integration_id: str, body: PreviewRequest | None = None) -> dict:
    from oncall.templates import preview  # rare: loaded by the previews only

    return preview.preview_integration(
        _integration(integration_id),
        body.payload if body else None,
        store=wiring.store(),
        now=wiring.now_clock().now(),
        base_url=base(router),
    )


def _demo_alert(integration_id: str, body: DemoAlertRequest | None):
    from oncall.intake.demo import send_demo_alert  # rare: loaded by demo alerts only

    alert = send_demo_alert(
        integration_id,
        body.demo_alert_payload if body else None,
        request_id=request_id(router),
        store=wiring.store(),
        queue=wiring.alert_queue(),
        clock=wiring.now_clock(),
    )
    metrics.add_metric(name="DemoAlertsSent", unit=MetricUnit.Count, value=1)
    return json_response(200, {"alert_id": alert.id})


@router.post("/integrations/<integration_id>/demo_alert")
def demo_alert(integration_id: str, body: DemoAlertRequest | None = None):
    return _demo_alert(integration_id, body)


@router.post("/integrations/<integration_id>/send_demo_alert")
def send_demo_alert_alias(integration_id: str, body: DemoAlertRequest | None = None):
    """OnCall's internal-API name for the same action."""
    return _demo_alert(integration_id, body)
