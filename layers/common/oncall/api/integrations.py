"""/api/v1/integrations"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from oncall import wiring
from oncall.access.tokens import require_role
from oncall.api import shapes
from oncall.api.common import Page, PerPage, base, metrics, page_of, request_id
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.schemas import (
    DemoAlertRequest,
    IntegrationCreate,
    IntegrationUpdate,
    PreviewRequest,
    PreviewTemplateRequest,
    present_integration,
)
from oncall.models import ApiTokenRole, Integration
from oncall.platform.errors import NotFoundError
from oncall.platform.http import json_response

router = Router()


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
    return integration_body(integration, base(router))


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


@router.get("/integrations", responses=shapes.page(shapes.IntegrationOut))
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
    now, url = wiring.now_clock().now(), base(router)
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


@router.post("/integrations", responses=shapes.created(shapes.IntegrationOut))
def create_integration(body: IntegrationCreate):
    """Create an integration (`type` required) with its default route; `link` is its ingest URL. `token`
    (admin tokens only) keeps the token the integration had elsewhere; 409 if another integration has it."""
    if body.token is not None:
        require_role(router.context["api_token"], ApiTokenRole.ADMIN)
    integration, route = _changes().create_integration(body, store=wiring.store(), clock=wiring.now_clock())
    metrics.add_metric(name="IntegrationsCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, present_integration(integration, route, base(router)))


@router.get("/integrations/<integration_id>", responses=shapes.returns(shapes.IntegrationOut))
def get_integration(integration_id: str) -> dict:
    return _body(_integration(integration_id))


@router.put("/integrations/<integration_id>", responses=shapes.returns(shapes.IntegrationOut))
def replace_integration(integration_id: str, body: IntegrationUpdate) -> dict:
    """Change the fields sent (as PATCH)."""
    return _body(_changes().update_integration(integration_id, body, store=wiring.store()))


@router.patch("/integrations/<integration_id>", responses=shapes.returns(shapes.IntegrationOut))
def update_integration(integration_id: str, body: IntegrationUpdate) -> dict:
    """Change the fields sent; null resets templates and options."""
    return _body(_changes().update_integration(integration_id, body, store=wiring.store()))


@router.delete("/integrations/<integration_id>", responses=shapes.deleted())
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
