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


def _body(integration: Integration) -> dict:
    return present_integration(integration, wiring.store().get_route(integration.default_route_id), base(router))


@router.get("/integrations")
def list_integrations(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, name: str | None = None) -> dict:
    integrations = [i for i in wiring.store().list_integrations() if name is None or i.name == name]
    return page_of(router, [_body(i) for i in integrations], page, perpage, name=name)


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
