"""/api/v1/settings: deployment-wide behaviour (acknowledge reminders). Anyone may read; admins change."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from oncall import wiring
from oncall.access.tokens import require_role
from oncall.api import shapes
from oncall.api.schemas import SettingsUpdate, present_settings
from oncall.configuration import changes as configuration
from oncall.models import ApiTokenRole

router = Router()


@router.get("/settings", responses=shapes.returns(shapes.SettingsOut))
def get_settings() -> dict:
    """Deployment settings (acknowledge reminders, in minutes)."""
    return present_settings(wiring.store().get_deployment_settings())


@router.put("/settings", responses=shapes.returns(shapes.SettingsOut))
def update_settings(body: SettingsUpdate) -> dict:
    """Change the settings sent (admin tokens only)."""
    require_role(router.context["api_token"], ApiTokenRole.ADMIN)
    updated = configuration.update_settings(body, store=wiring.store())
    wiring.config().invalidate()
    return present_settings(updated)
