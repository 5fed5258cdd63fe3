"""Demo alerts: the type's example payload (or a custom one), real in every way except that it never
groups with anything."""

from __future__ import annotations

from typing import Any, Protocol

from oncall.intake.accept import accept_alert
from oncall.intake.queue import AlertQueue
from oncall.intake.types.catalog import get_type
from oncall.models import Alert
from oncall.platform.clock import Clock
from oncall.platform.errors import NotFoundError, ValidationError
from oncall.storage.protocols import ConfigurationStore, GroupStore


class DemoStore(ConfigurationStore, GroupStore, Protocol):
    """A demo alert reads its integration and is stored like any alert."""


def send_demo_alert(
    integration_id: str,
    custom_payload: dict[str, Any] | None,
    *,
    request_id: str,
    store: DemoStore,
    queue: AlertQueue,
    clock: Clock,
) -> Alert:
    integration = store.get_integration(integration_id)
    if integration is None:
        raise NotFoundError()
    kind = get_type(integration.type)
    if kind is None or not kind.demo_enabled:
        raise ValidationError(f"Demo alerts are not available for {integration.type} integrations.")
    payload = custom_payload if custom_payload is not None else dict(kind.example_payload or {})
    return accept_alert(integration, payload, request_id, store=store, queue=queue, clock=clock, is_demo=True)
