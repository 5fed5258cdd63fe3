"""/api/v1/integrations/{id}/heartbeat — heartbeat settings and state (OnCall had no API for it: #4092)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from oncall import wiring
from oncall.api import shapes
from oncall.api.common import base, metrics
from oncall.api.schemas import HeartbeatUpdate, present_heartbeat
from oncall.models import Integration
from oncall.monitoring import heartbeat
from oncall.platform.errors import NotFoundError, ValidationError

router = Router()


def _integration(integration_id: str) -> Integration:
    integration = wiring.store().get_integration(integration_id)
    if integration is None:
        raise NotFoundError()
    if not heartbeat.available(integration):
        raise ValidationError(f"{integration.type} integrations have no heartbeat.")
    return integration


def _present(integration: Integration, current) -> dict:
    return present_heartbeat(integration, current, base(router), wiring.now_clock().now())


@router.get("/integrations/<integration_id>/heartbeat", responses=shapes.returns(shapes.HeartbeatOut))
def get_heartbeat(integration_id: str) -> dict:
    """The heartbeat of the integration: its URLs, settings and state."""
    integration = _integration(integration_id)
    return _present(integration, wiring.store().get_heartbeat(integration.id))


@router.put("/integrations/<integration_id>/heartbeat", responses=shapes.returns(shapes.HeartbeatOut))
@router.patch("/integrations/<integration_id>/heartbeat", responses=shapes.returns(shapes.HeartbeatOut))
def update_heartbeat(integration_id: str, body: HeartbeatUpdate) -> dict:
    """Change the heartbeat settings sent (PUT and PATCH alike)."""
    integration = _integration(integration_id)
    updated = heartbeat.configure(integration.id, body.settings(), store=wiring.store())
    metrics.add_metric(name="HeartbeatsConfigured", unit=MetricUnit.Count, value=1)
    return _present(integration, updated)


@router.post("/integrations/<integration_id>/heartbeat/reset", responses=shapes.returns(shapes.HeartbeatOut))
def reset_heartbeat(integration_id: str) -> dict:
    """Disarm the heartbeat until its next ping."""
    integration = _integration(integration_id)
    return _present(integration, heartbeat.reset(integration.id, store=wiring.store()))
