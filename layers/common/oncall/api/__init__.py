"""The management API (/api/v1/…, OnCall public API v1 shapes): one Powertools router per resource, put
together by `build_app`. The `api` function's handler only wraps the app with Powertools decorators."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from oncall.api import (
    actions,
    alert_groups,
    escalation,
    heartbeats,
    integrations,
    maintenance,
    routes,
    schedules,
    settings,
    teams,
    users,
    webhooks,
)
from oncall.api.common import authorize
from oncall.web import register_error_map, register_validation_errors

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
)
# Routers outside /api/v1 (their own authentication).
PUBLIC_ROUTERS = (actions.router,)


class HttpResolver(APIGatewayHttpResolver):
    """HTTP API v2 resolver whose routes also match with a trailing slash."""

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = "^{}/*$"):
        return APIGatewayHttpResolver._compile_regex(rule.rstrip("/") or "/", base_regex)


def build_app(logger) -> HttpResolver:
    app = HttpResolver(enable_validation=True)
    register_error_map(app, logger)
    register_validation_errors(app)
    app.use(middlewares=[authorize])
    for router in ROUTERS:
        app.include_router(router, prefix="/api/v1")
    for router in PUBLIC_ROUTERS:
        app.include_router(router)
    return app
