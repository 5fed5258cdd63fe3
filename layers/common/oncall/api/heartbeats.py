"""/api/v1/integrations/{id}/heartbeat — heartbeat settings and state (OnCall had no API for it: #4092)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import Field

from oncall import wiring
from oncall.api.common import integration_base, metrics
from oncall.api.responses import returns
from oncall.intake.types.catalog import ingest_url
from oncall.models import Heartbeat, Integration
from oncall.monitoring import heartbeat
from oncall.monitoring.heartbeat import state_of
from oncall.monitoring.requests import HeartbeatUpdate
from oncall.platform.bodies import ResponseBody
from oncall.platform.clock import api_time, default_clock
from oncall.platform.errors import NotFoundError, ValidationError

router = Router()


class HeartbeatOut(ResponseBody, echoed_by=(HeartbeatUpdate,)):
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


def present_heartbeat(
    integration: Integration, current: Heartbeat | None, base_url: str, now: datetime | None = None
) -> dict[str, Any]:
    link = f"{ingest_url(base_url, integration)}heartbeat/"
    hb = current or Heartbeat(integration_id=integration.id)
    state = state_of(current, now or default_clock().now())
    armed = hb.enabled and not hb.alerted
    return HeartbeatOut.build(
        link=link,  # OnCall's field: GET|HEAD|POST a ping here
        start_link=f"{link}start",
        fail_link=f"{link}fail",
        state=state.value,
        period=hb.period_seconds,
        grace_period=hb.grace_seconds,
        cron=hb.cron,
        timezone=hb.timezone,
        post_only=hb.post_only,
        last_ping_at=api_time(hb.last_ping_at),
        next_expected_at=api_time(hb.expected_at) if armed else None,
        missing_at=api_time(hb.down_at) if armed else None,
        down_since=api_time(hb.down_since if hb.alerted else hb.down_at) if state.value == "down" else None,
        run_started_at=api_time(hb.last_start_at),
        last_failure_at=api_time(hb.last_fail_at),
        pings=hb.pings,
        outages=hb.outages,
        templates=hb.templates.model_dump(),
    )


def _integration(integration_id: str) -> Integration:
    integration = wiring.store().get_integration(integration_id)
    if integration is None:
        raise NotFoundError()
    if not heartbeat.available(integration):
        raise ValidationError(f"{integration.type} integrations have no heartbeat.")
    return integration


def _present(integration: Integration, current) -> dict:
    return present_heartbeat(integration, current, integration_base(router), wiring.now_clock().now())


@router.get("/integrations/<integration_id>/heartbeat", responses=returns(HeartbeatOut))
def get_heartbeat(integration_id: str) -> dict:
    """The heartbeat of the integration: its URLs, settings and state."""
    integration = _integration(integration_id)
    return _present(integration, wiring.store().get_heartbeat(integration.id))


@router.put("/integrations/<integration_id>/heartbeat", responses=returns(HeartbeatOut))
@router.patch("/integrations/<integration_id>/heartbeat", responses=returns(HeartbeatOut))
def update_heartbeat(integration_id: str, body: HeartbeatUpdate) -> dict:
    """Change the heartbeat settings sent (PUT and PATCH alike)."""
    integration = _integration(integration_id)
    updated = heartbeat.configure(integration.id, body.settings(), store=wiring.store())
    metrics.add_metric(name="HeartbeatsConfigured", unit=MetricUnit.Count, value=1)
    return _present(integration, updated)


@router.post("/integrations/<integration_id>/heartbeat/reset", responses=returns(HeartbeatOut))
def reset_heartbeat(integration_id: str) -> dict:
    """Disarm the heartbeat until its next ping."""
    integration = _integration(integration_id)
    return _present(integration, heartbeat.reset(integration.id, store=wiring.store()))
