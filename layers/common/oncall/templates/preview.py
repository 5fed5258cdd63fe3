"""Template preview: what an integration's templates produce for a payload, through exactly the code `route`
and the channels run (the validator is the renderer): labels from oncall.templates.labels, behaviour templates in
grouping's context with templating.render, route selection with routing.select_route, appearance templates
with rendering.render_alert. A template that the renderer accepts is never rejected here (OnCall #3425).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from oncall.dispatch.grouping import behaviour_context, evaluate_signals, template_for
from oncall.dispatch.routing import select_route
from oncall.intake.types.base import split_appearance_slot
from oncall.intake.types.catalog import get_type
from oncall.models import Alert, AlertGroup, Integration
from oncall.platform.errors import ValidationError
from oncall.storage.protocols import ConfigurationStore, GroupStore
from oncall.templates.engine import check_syntax, is_truthy, render
from oncall.templates.labels import alert_labels
from oncall.templates.names import public_template_name, public_template_names, template_slot
from oncall.templates.rendering import render_alert

_CONDITION_SLOTS = ("resolve_condition", "acknowledge_condition")
_ERROR_PREFIXES = ("Template Error:", "Template Warning:")
# How many of the integration's newest groups to look at for its latest alert.
_RECENT_GROUPS = 20


class _Sample:
    """The alert (and group) a preview renders: a real recent one, or a stand-in for a given payload."""

    def __init__(self, integration: Integration, payload: dict[str, Any], group: AlertGroup | None, now: datetime):
        self.alert = Alert(
            id="APREVIEW", integration_id=integration.id, payload=payload, received_at=now, request_id="preview"
        )
        self.labels = alert_labels(integration, payload)
        self.group = group or AlertGroup(
            id="IPREVIEW",
            number=0,
            integration_id=integration.id,
            route_id=integration.default_route_id,
            title=evaluate_signals(integration, self.alert, self.labels).title,
            started_at=now,
            labels=self.labels,
            first_alert_id=self.alert.id,
            last_alert_id=self.alert.id,
        )


class PreviewStore(ConfigurationStore, GroupStore, Protocol):
    """A preview samples the integration's latest alert and decides its route."""


def _sample(integration: Integration, payload: dict[str, Any] | None, store: GroupStore, now: datetime) -> _Sample:
    if payload is not None:
        return _Sample(integration, payload, None, now)
    latest = _latest_alert(integration, store)
    if latest is not None:
        alert, group = latest
        return _Sample(integration, alert.payload, group, now)
    kind = get_type(integration.type)
    if kind is not None and kind.example_payload:
        return _Sample(integration, dict(kind.example_payload), None, now)
    raise ValidationError(
        "This integration has no alerts yet: pass a payload.", {"payload": ["Required: no alert to preview with."]}
    )


def _latest_alert(integration: Integration, store: GroupStore) -> tuple[Alert, AlertGroup] | None:
    groups = [g for g in store.list_groups() if g.integration_id == integration.id][:_RECENT_GROUPS]
    candidates = [(store.get_alert(g.last_alert_id), g) for g in groups]
    found = [(a, g) for a, g in candidates if a is not None]
    return max(found, key=lambda pair: pair[0].received_at) if found else None


def _result(text: str | None, error: str | None, condition: bool) -> dict[str, Any]:
    return {"preview": text, "error": error, "is_truthy": is_truthy(text) if condition else None}


def _render_slot(integration: Integration, slot: str, body: str | None, sample: _Sample, base_url: str) -> dict:
    condition = slot in _CONDITION_SLOTS
    template = body or template_for(integration, slot)  # an empty override means the default, as in route
    if not template:
        return _result(None, None, condition)
    if error := check_syntax(template):
        return _result(None, error, condition)
    surface, attribute = split_appearance_slot(slot)
    if surface is None:
        # Behaviour templates: grouping/resolve/acknowledge see {payload, labels} as in grouping.evaluate_signals;
        # the source link sees {payload}, as in rendering.render_alert.
        context = {"payload": sample.alert.payload} if slot == "source_link" else None
        output = render(template, context or behaviour_context(sample.alert.payload, sample.labels))
        return _result(output.text, output.error, condition)
    # Appearance: the channels' own renderer, with this body in the slot.
    patched = integration.model_copy(update={"templates": {**integration.templates, slot: template}})
    rendered = render_alert(patched, sample.group, sample.alert, surface=surface, base_url=base_url)
    if not hasattr(rendered, attribute):
        return _result(None, f"{public_template_name(slot)} is stored but not rendered by any channel yet.", False)
    value = getattr(rendered, attribute)
    if isinstance(value, str) and value.startswith(_ERROR_PREFIXES):
        return _result(None, value, False)
    return _result(value, None, False)


def preview_template(
    integration: Integration,
    template_name: str,
    template_body: str | None,
    payload: dict[str, Any] | None,
    *,
    store: GroupStore,
    now: datetime,
    base_url: str,
) -> dict[str, Any]:
    """{"preview": rendered or None, "error": "Template Error: …" or None, "is_truthy": for conditions}."""
    slot = template_slot(template_name)
    if slot is None:
        names = ", ".join(public_template_names())
        raise ValidationError(
            f"template_name: unknown template '{template_name}'.", {"template_name": [f"One of: {names}."]}
        )
    sample = _sample(integration, payload, store, now)
    return _render_slot(integration, slot, template_body, sample, base_url)


def preview_integration(
    integration: Integration, payload: dict[str, Any] | None, *, store: PreviewStore, now: datetime, base_url: str
) -> dict[str, Any]:
    """Everything route would decide for the payload (labels, route, grouping, signals) and every template."""
    sample = _sample(integration, payload, store, now)
    routes = [r for r in store.list_routes() if r.integration_id == integration.id]
    signals = evaluate_signals(integration, sample.alert, sample.labels)
    templates = {}
    for name in public_template_names():
        templates[name] = _render_slot(integration, template_slot(name) or name, None, sample, base_url)
    return {
        "payload": sample.alert.payload,
        "labels": dict(sorted(sample.labels.items())),
        "route_id": select_route(routes, sample.alert.payload, sample.labels).id,
        "groups": signals.distinction is not None,
        "is_resolve_signal": signals.is_resolve,
        "is_acknowledge_signal": signals.is_acknowledge,
        "title": signals.title,
        "templates": templates,
    }
