"""/api/v1/settings: deployment-wide behaviour (acknowledge reminders). Anyone may read; admins change."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from oncall import wiring
from oncall.access.tokens import require_role
from oncall.api.responses import returns
from oncall.configuration import changes as configuration
from oncall.configuration.requests import SettingsUpdate
from oncall.models import ApiTokenRole, DeploymentSettings
from oncall.platform.bodies import ResponseBody

router = Router()


class SettingsOut(ResponseBody, echoed_by=(SettingsUpdate,)):
    acknowledge_remind_timeout: int
    unacknowledge_timeout: int
    require_resolution_note: bool


def present_settings(settings: DeploymentSettings) -> dict[str, Any]:
    return SettingsOut.build(
        acknowledge_remind_timeout=settings.acknowledge_remind_timeout,
        unacknowledge_timeout=settings.unacknowledge_timeout,
        require_resolution_note=settings.require_resolution_note,
    )


@router.get("/settings", responses=returns(SettingsOut))
def get_settings() -> dict:
    """Deployment settings (acknowledge reminders, in minutes)."""
    return present_settings(wiring.store().get_deployment_settings())


@router.put("/settings", responses=returns(SettingsOut))
def update_settings(body: SettingsUpdate) -> dict:
    """Change the settings sent (admin tokens only)."""
    require_role(router.context["api_token"], ApiTokenRole.ADMIN)
    updated = configuration.update_settings(body, store=wiring.store())
    wiring.config().invalidate()
    return present_settings(updated)
