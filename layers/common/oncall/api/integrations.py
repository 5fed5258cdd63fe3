"""/api/v1/integrations"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from oncall import configuration, wiring
from oncall.api.common import Page, PerPage, base, metrics, page_of, request_id
from oncall.api_schemas import DemoAlertRequest, IntegrationCreate, present_integration
from oncall.demo import send_demo_alert
from oncall.errors import NotFoundError
from oncall.models import Integration
from oncall.pagination import DEFAULT_PAGE_SIZE
from oncall.web import json_response

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


@router.get("/integrations")
def list_integrations(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, name: str | None = None) -> dict:
    store = wiring.store()
    # The hidden integration holding maintenance incidents is not listed (GET by id still works).
    integrations = [
        i for i in store.list_integrations() if (name is None or i.name == name) and i.type != "maintenance"
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
    return page_of(router, bodies, page, perpage, name=name)


@router.post("/integrations")
def create_integration(body: IntegrationCreate):
    integration, route = configuration.create_integration(body, store=wiring.store(), clock=wiring.now_clock())
    metrics.add_metric(name="IntegrationsCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, present_integration(integration, route, base(router)))


@router.get("/integrations/<integration_id>")
def get_integration(integration_id: str) -> dict:
    integration = wiring.store().get_integration(integration_id)
    if integration is None:
        raise NotFoundError()
    return _body(integration)


@router.post("/integrations/<integration_id>/send_demo_alert")
def demo_alert(integration_id: str, body: DemoAlertRequest | None = None):
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
