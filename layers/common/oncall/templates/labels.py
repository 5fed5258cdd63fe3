"""Alert labels (docs/oncall-compatibility.md#labels; Cloud-only there; here for everyone).

An alert's labels are the integration's static labels, then its dynamic labels (one template over `payload`
per key), then the output of its multi-label template (a JSON object); a later source wins for the same key.
A value is dropped when its template fails, or when it is empty, longer than 200 characters or "none" (any
case); keys must be 1–200 characters. Templates and routes see every label; the group keeps at most 15,
sorted by (key, value), frozen at creation.
"""

from __future__ import annotations

import json
from typing import Any

from oncall.models import Integration
from oncall.templates.engine import render

MAX_LABELS_PER_GROUP = 15
MAX_LABEL_LENGTH = 200


def key_problem(key: Any) -> str | None:
    """Why `key` cannot be a label key, or None."""
    if not isinstance(key, str) or not key.strip():
        return "Label keys must be non-empty strings."
    if len(key) > MAX_LABEL_LENGTH:
        return f"Label keys are at most {MAX_LABEL_LENGTH} characters."
    return None


def usable_value(value: Any) -> str | None:
    """The label value to keep, or None when OnCall's rules drop it."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str | int | float):
        text = str(value).strip()
    else:
        return None
    if not text or len(text) > MAX_LABEL_LENGTH or text.lower() == "none":
        return None
    return text


def value_problem(value: Any) -> str | None:
    """Why a configured (static or routing) value would always be dropped, or None."""
    if usable_value(value) is None or (isinstance(value, str) and value != value.strip()):
        return f'Label values are 1-{MAX_LABEL_LENGTH} characters without surrounding spaces, and not "none".'
    return None


def _merge(labels: dict[str, str], key: Any, value: Any) -> None:
    text = usable_value(value)
    if text is not None and key_problem(key) is None:
        labels[key] = text


def alert_labels(integration: Integration, payload: dict[str, Any]) -> dict[str, str]:
    """Every label of an alert of this integration (templates see `payload` only, as in OnCall)."""
    labels: dict[str, str] = {}
    for key, value in integration.labels.items():
        _merge(labels, key, value)
    context = {"payload": payload}
    for key, template in integration.dynamic_labels.items():
        output = render(template, context)
        if output.ok:
            _merge(labels, key, output.text)
    if integration.labels_template:
        for key, value in multi_labels(integration.labels_template, payload).items():
            _merge(labels, key, value)
    return labels


def multi_labels(template: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The raw output of a multi-label template: a JSON object, or {} if it renders anything else."""
    output = render(template, {"payload": payload})
    if not output.ok or not output.text:
        return {}
    try:
        parsed = json.loads(output.text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def group_labels(labels: dict[str, str]) -> dict[str, str]:
    """What a new group keeps: the first 15 labels in (key, value) order."""
    return dict(sorted(labels.items())[:MAX_LABELS_PER_GROUP])


def present_labels(labels: dict[str, str]) -> list[dict[str, Any]]:
    """OnCall's public shape: [{"key": {"id", "name"}, "value": {"id", "name"}}], sorted."""
    return [{"key": {"id": k, "name": k}, "value": {"id": v, "name": v}} for k, v in sorted(labels.items())]


def parse_label_filter(text: str) -> tuple[str, str] | None:
    """`key:value` from the alert-group list's `label` filter (the value may contain ':')."""
    key, separator, value = text.partition(":")
    return (key, value) if separator and key else None
