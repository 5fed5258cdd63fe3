"""/api/v1/integrations/{id}/maintenance_start|maintenance_stop (OnCall) and …/maintenance_windows (ours:
scheduled and recurring windows, OnCall #1919)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import Field

from oncall import wiring
from oncall.api.common import Page, PerPage, actor, integration_base, metrics, page_of
from oncall.api.integrations import IntegrationOut, integration_body
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.responses import created, deleted, paged, returns
from oncall.models import Integration, MaintenanceWindow
from oncall.monitoring import maintenance
from oncall.monitoring.requests import MaintenanceStartRequest, MaintenanceWindowCreate
from oncall.platform.bodies import ResponseBody
from oncall.platform.clock import api_time
from oncall.platform.errors import NotFoundError, ValidationError
from oncall.platform.http import json_response, no_content

router = Router()


class MaintenanceWindowOut(ResponseBody):
    id: str
    integration_id: str
    mode: Literal["debug", "maintenance"]
    start_at: str | None = Field(description="One window: when it starts (null for a recurring one)")
    end_at: str | None
    cron: str | None = Field(description="A recurring window: when each one starts")
    timezone: str
    duration: int = Field(description="seconds")
    pause_running_escalations: bool
    next_start_at: str | None
    created_at: str
    created_by: str


def present_maintenance_window(window: MaintenanceWindow) -> dict[str, Any]:
    end = window.start_at + timedelta(seconds=window.duration_seconds) if window.start_at else None
    return MaintenanceWindowOut.build(
        id=window.id,
        integration_id=window.integration_id,
        mode=window.mode.value,
        start_at=api_time(window.start_at),
        end_at=api_time(end),
        cron=window.cron,
        timezone=window.timezone,
        duration=window.duration_seconds,
        pause_running_escalations=window.pause_running_escalations,
        next_start_at=api_time(window.next_start_at),
        created_at=api_time(window.created_at),
        created_by=window.created_by,
    )


def _integration(integration_id: str) -> Integration:
    integration = wiring.store().get_integration(integration_id)
    if integration is None:
        raise NotFoundError()
    return integration


def _one_of_duration_or_end(duration: int | None, end_at, start) -> tuple:
    if (duration is None) == (end_at is None):
        message = "Give either duration (seconds) or end_at."
        raise ValidationError(f"duration: {message}", {"duration": [message]})
    if duration is not None:
        return start + timedelta(seconds=duration), "duration"
    return end_at, "end_at"


@router.post("/integrations/<integration_id>/maintenance_start", responses=returns(IntegrationOut))
def start_maintenance(integration_id: str, body: MaintenanceStartRequest) -> dict:
    """Start `maintenance` or `debug` mode for `duration` seconds (or until `end_at`)."""
    integration = _integration(integration_id)
    now = wiring.now_clock().now()
    end_at, field_name = _one_of_duration_or_end(body.duration, body.end_at, now)
    maintenance.check_end(now, end_at, field_name)
    maintenance.start(
        integration.id,
        body.mode,
        end_at,
        actor=actor(router),
        deps=wiring.action_deps(),
        pause_running_escalations=body.pause_running_escalations,
    )
    metrics.add_metric(name="MaintenanceStarted", unit=MetricUnit.Count, value=1)
    return integration_body(integration, integration_base(router))


@router.post("/integrations/<integration_id>/maintenance_stop", responses=returns(IntegrationOut))
def stop_maintenance(integration_id: str) -> dict:
    """Stop the maintenance of the integration (nothing to stop is fine)."""
    integration = _integration(integration_id)
    if maintenance.stop(integration.id, actor(router), wiring.action_deps()) is not None:
        metrics.add_metric(name="MaintenanceEnded", unit=MetricUnit.Count, value=1)
    return integration_body(integration, integration_base(router))


@router.get("/integrations/<integration_id>/maintenance_windows", responses=paged(MaintenanceWindowOut))
def list_windows(integration_id: str, page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE) -> dict:
    integration = _integration(integration_id)
    windows = wiring.store().list_maintenance_windows(integration.id)
    return page_of(router, [present_maintenance_window(w) for w in windows], page, perpage)


@router.post("/integrations/<integration_id>/maintenance_windows", responses=created(MaintenanceWindowOut))
def create_window(integration_id: str, body: MaintenanceWindowCreate):
    integration = _integration(integration_id)
    duration = body.duration
    if body.end_at is not None:
        if body.start_at is None or duration is not None:
            message = "end_at goes with start_at, instead of duration."
            raise ValidationError(f"end_at: {message}", {"end_at": [message]})
        duration = int((body.end_at - body.start_at).total_seconds())
    if duration is None:
        raise ValidationError("duration: This field is required.", {"duration": ["This field is required."]})
    spec = maintenance.WindowSpec(
        mode=body.mode,
        duration_seconds=duration,
        start_at=body.start_at,
        cron=body.cron,
        timezone=body.timezone,
        pause_running_escalations=body.pause_running_escalations,
    )
    window = maintenance.create_window(
        integration.id, spec, actor(router), store=wiring.store(), clock=wiring.now_clock()
    )
    metrics.add_metric(name="MaintenanceWindowsScheduled", unit=MetricUnit.Count, value=1)
    return json_response(201, present_maintenance_window(window))


@router.get("/integrations/<integration_id>/maintenance_windows/<window_id>", responses=returns(MaintenanceWindowOut))
def get_window(integration_id: str, window_id: str) -> dict:
    window = wiring.store().get_maintenance_window(integration_id, window_id)
    if window is None:
        raise NotFoundError()
    return present_maintenance_window(window)


@router.delete("/integrations/<integration_id>/maintenance_windows/<window_id>", responses=deleted())
def delete_window(integration_id: str, window_id: str):
    maintenance.delete_window(integration_id, window_id, store=wiring.store())
    return no_content()
