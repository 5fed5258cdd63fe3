"""The management API put together: every resource's router on one Powertools resolver (`build_app`).
The `api` function's handler only wraps the app with Powertools decorators."""

from __future__ import annotations

from oncall.api import (
    actions,
    alert_groups,
    chatops,
    deployment,
    direct_paging,
    escalation,
    heartbeats,
    integrations,
    maintenance,
    on_call_shifts,
    openapi,
    resolution_notes,
    routes,
    schedules,
    settings,
    shift_swaps,
    teams,
    tokens,
    users,
    webhooks,
)
from oncall.api.resolver import ApiResolver, HttpResolver
from oncall.platform.http import register_error_map, register_method_not_allowed, register_validation_errors

ROUTERS = (
    integrations.router,
    routes.router,
    escalation.router,
    alert_groups.router,
    users.router,
    teams.router,
    schedules.router,
    webhooks.router,
    heartbeats.router,
    maintenance.router,
    settings.router,
    tokens.router,
    deployment.router,
    chatops.router,
    resolution_notes.router,
    direct_paging.router,
    on_call_shifts.router,
    shift_swaps.router,
)
# Routers outside /api/v1 (their own authentication).
PUBLIC_ROUTERS = (actions.router,)


def build_app(logger) -> HttpResolver:
    """The API app. Build one per process: Powertools' include_router binds the module-level routers'
    context to the app that includes them last."""
    app = ApiResolver()
    register_error_map(app, logger)
    register_method_not_allowed(app)
    register_validation_errors(app)
    for router in ROUTERS:
        app.include_router(router, prefix="/api/v1")
    for router in PUBLIC_ROUTERS:
        app.include_router(router)
    openapi.register(app)
    return app
