"""The type of the integration that collects alert groups during a deployment-wide maintenance."""

from __future__ import annotations

from oncall.intake.types.base import appearance, behaviour, integration_type

_MAINTENANCE_APPEARANCE = appearance(
    title='{{ payload.get("title") or "Maintenance" }}',
    message='{{ payload.get("message") or "" }}',
    summary='{{ (payload.get("message") or "") | string | truncate(600, true, "…", 0) }}',
)


MAINTENANCE = integration_type(
    "maintenance",
    "Maintenance",
    "Collects alert groups during maintenance.",
    behaviour(grouping=None, resolve=None, source_link=None),
    _MAINTENANCE_APPEARANCE,
    autoresolve_capable=False,
    demo_enabled=False,
    has_ingest_url=False,
    creatable=False,
)
