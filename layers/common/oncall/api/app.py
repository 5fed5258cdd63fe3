"""The management API put together: every resource's router on one Powertools resolver (`build_app`).
The `api` function's handler only wraps the app with Powertools decorators.

Resource modules load on demand: a request includes only the routers that serve its path's first segment
(`/api/v1/integrations/…` → integrations, heartbeats, maintenance), so a cold start pays for one resource's
models and logic, not thirty. Every route of a path lives under its first segment, so the routes that can
match a request (and the methods a 405 lists) are the same as with everything included; within a segment
the routers keep their order. The OpenAPI document (and anything asking for the schema) includes them all,
in the order of `RESOURCES`.
"""

from __future__ import annotations

import importlib
from typing import Any

from oncall.api import openapi
from oncall.api.resolver import ApiResolver, HttpResolver
from oncall.platform.http import register_error_map, register_method_not_allowed, register_validation_errors

API_PREFIX = "/api/v1"
# (module in oncall.api, the first path segments its routes serve under /api/v1), in registration order.
RESOURCES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("integrations", ("integrations",)),
    ("routes", ("routes",)),
    ("escalation", ("escalation_chains", "escalation_policies")),
    ("alert_groups", ("alert_groups", "alerts")),
    ("users", ("users", "personal_notification_rules")),
    ("teams", ("teams",)),
    ("schedules", ("schedules",)),
    ("webhooks", ("webhooks",)),
    ("heartbeats", ("integrations",)),
    ("maintenance", ("integrations",)),
    ("settings", ("settings",)),
    ("tokens", ("tokens",)),
    ("deployment", ("info", "organizations")),
    ("chatops", ("slack_channels", "user_groups")),
    ("resolution_notes", ("resolution_notes",)),
    ("direct_paging", ("escalation",)),
    ("on_call_shifts", ("on_call_shifts",)),
    ("shift_swaps", ("shift_swaps",)),
)
# Routers outside /api/v1 (their own authentication): module, first path segments from the root.
PUBLIC_RESOURCES: tuple[tuple[str, tuple[str, ...]], ...] = (("actions", ("actions",)),)


class OnDemandApiResolver(ApiResolver):
    """An ApiResolver that includes each resource's router the first time a request's path needs it."""

    def __init__(self) -> None:
        super().__init__()
        self._included: set[str] = set()

    def resolve(self, event: dict, context: Any) -> dict:
        self._include_for(_request_path(event))
        return super().resolve(event, context)

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        self.include_all()  # the document describes every route
        return super().get_openapi_schema(*args, **kwargs)

    def include_all(self) -> None:
        for name, _ in RESOURCES:
            self._include(name, API_PREFIX)
        for name, _ in PUBLIC_RESOURCES:
            self._include(name, None)

    def _include_for(self, path: str) -> None:
        parts = [part for part in path.split("/") if part]
        if parts[:2] == API_PREFIX.strip("/").split("/"):
            segment = parts[2] if len(parts) > 2 else ""
            if segment in openapi.OWN_SEGMENTS:
                self.include_all()
                return
            for name, segments in RESOURCES:
                if segment in segments:
                    self._include(name, API_PREFIX)
        elif parts:
            for name, segments in PUBLIC_RESOURCES:
                if parts[0] in segments:
                    self._include(name, None)

    def _include(self, name: str, prefix: str | None) -> None:
        if name in self._included:
            return
        # Imported here, on the first request that needs it: the point of this class (see the module docstring).
        module = importlib.import_module(f"oncall.api.{name}")
        self.include_router(module.router, prefix=prefix)
        self._included.add(name)


def _request_path(event: dict) -> str:
    return event.get("rawPath") or ((event.get("requestContext") or {}).get("http") or {}).get("path") or ""


def build_app(logger, *, on_demand: bool = False) -> HttpResolver:
    """The API app. Build one per process: Powertools' include_router binds the module-level routers'
    context to the app that includes them last. The `api` function builds it `on_demand` (routers included
    by the requests that need them); otherwise every router is included now (the document's writer, tests
    that inspect the routes)."""
    app = OnDemandApiResolver()
    register_error_map(app, logger)
    register_method_not_allowed(app)
    register_validation_errors(app)
    openapi.register(app)
    if not on_demand:
        app.include_all()
    return app
