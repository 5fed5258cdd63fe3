"""Prometheus Alertmanager and Grafana Alerting (Alertmanager-shaped bodies): one alert group per notification
group, and the legacy per-alert variants kept for migrated integrations."""

from __future__ import annotations

from typing import Any

from oncall.intake.types.base import appearance, behaviour, integration_type

_AM_TITLE = (
    '{%- set group = payload.get("groupLabels") or {} -%}'
    '{{ group.get("alertname") or (payload.get("labels") or {}).get("alertname") or "Alertmanager alert" }}'
    '{%- set others = group | dictsort | rejectattr("0", "equalto", "alertname") | map(attribute="1") | list -%}'
    '{%- if others %} ({{ others | join(", ") }}){% endif -%}'
)
_AM_COUNTS = (
    '{%- if payload.get("numFiring") is not none %}: {{ payload.numFiring }} firing, '
    '{{ payload.get("numResolved", 0) }} resolved{% endif %}'
)
# One line per alert: its summary (or title) annotation, else the labels that tell it apart from the others.
_AM_ALERT_LINE = (
    '{% set labels = alert.get("labels") or {} %}{% set notes = alert.get("annotations") or {} %}'
    '{% set distinct = labels | dictsort | rejectattr("0", "in", common) | map("join", "=") | join(", ") %}'
    '{BULLET} {{ alert.get("status", "?") }}: {{ notes.get("summary") or notes.get("title") or distinct or '
    '(labels | dictsort | map("join", "=") | join(", ")) }}'
)
_AM_MESSAGE = (
    """\
{%- set group = payload.get("groupLabels") or {} -%}
{%- set common = payload.get("commonLabels") or {} -%}
{%- set notes = (payload.get("commonAnnotations") or {}).copy() -%}
{%- set severity = group.get("severity") or common.get("severity") -%}
**{{ (payload.get("status") or "unknown") | capitalize }}**"""
    + _AM_COUNTS
    + """
{%- if severity %} · severity **{{ severity }}**{% endif %}
{%- for key in ["summary", "description", "message"] if notes.get(key) %}

{{ notes.pop(key) }}
{%- endfor %}
{%- for key, label in [("runbook_url", "Runbook"), ("runbook_url_internal", "Internal runbook")] if notes.get(key) %}

{{ label }}: {{ notes.pop(key) }}
{%- endfor %}
{%- set alerts = payload.get("alerts") or [] %}
{%- if alerts | length > 1 %}

Alerts:
{%- for alert in alerts[:10] %}
"""
    + _AM_ALERT_LINE.replace("{BULLET}", "-")
    + """
{%- endfor %}
{%- if alerts | length > 10 %}
- … and {{ alerts | length - 10 }} more
{%- endif %}
{%- endif %}
{%- if group %}

Grouped by: {{ group | dictsort | map("join", "=") | join(", ") }}
{%- endif %}
{%- if common %}

Common labels: {{ common | dictsort | map("join", "=") | join(", ") }}
{%- endif %}
{%- if notes %}

Annotations:
{%- for key, value in notes | dictsort %}
- {{ key }}: {{ value }}
{%- endfor %}
{%- endif %}"""
)
_AM_SUMMARY = (
    """\
{%- set group = payload.get("groupLabels") or {} -%}
{%- set common = payload.get("commonLabels") or {} -%}
{%- set notes = payload.get("commonAnnotations") or {} -%}
{%- set severity = group.get("severity") or common.get("severity") -%}
{{ (payload.get("status") or "unknown") | capitalize }}"""
    + _AM_COUNTS
    + """
{%- if severity %} (severity {{ severity }}){% endif %}
{%- set text = notes.get("summary") or notes.get("description") or notes.get("message") %}
{%- if text %}
{{ text }}
{%- endif %}
{%- set alerts = payload.get("alerts") or [] %}
{%- for alert in alerts[:5] if alerts | length > 1 %}
"""
    + _AM_ALERT_LINE.replace("{BULLET}", "•")
    + """
{%- endfor %}
{%- if alerts | length > 5 %}
• … and {{ alerts | length - 5 }} more
{%- endif %}"""
)
_AM_SHORT = (
    '{{ web_title }}{% if payload.get("status") == "resolved" %}: resolved'
    '{% elif payload.get("numFiring") %}: {{ payload.numFiring }} firing{% endif %}'
)
_AM_BEHAVIOUR = behaviour(
    grouping="{{ payload.groupKey }}",
    resolve='{{ payload.status == "resolved" }}',
    source_link="{{ payload.alerts[0].generatorURL }}",
)
_AM_APPEARANCE = appearance(title=_AM_TITLE, message=_AM_MESSAGE, summary=_AM_SUMMARY, short=_AM_SHORT)


def _am_demo_alert(instance: str, group: str, fingerprint: str) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {
            "alertname": "InstanceDown",
            "job": "node",
            "instance": instance,
            "group": group,
            "severity": "critical",
        },
        "annotations": {
            "title": f"Instance {instance} is down",
            "description": f"{instance} of job node has not answered scrapes for over a minute.",
        },
        "startsAt": "2026-01-01T08:00:00.000Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "",
        "fingerprint": fingerprint,
    }


def _am_demo(alerts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "receiver": "oncall",
        "status": "firing",
        "alerts": alerts,
        "groupLabels": {"alertname": "InstanceDown"},
        "commonLabels": {"alertname": "InstanceDown", "job": "node", "severity": "critical"},
        "commonAnnotations": {},
        "externalURL": "",
        "version": "4",
        "groupKey": '{}:{alertname="InstanceDown"}',
        "truncatedAlerts": 0,
        "numFiring": len(alerts),
        "numResolved": 0,
    }


_AM_ALERTS = [
    _am_demo_alert("localhost:8081", "production", "4a1c2e9d7b3f0a65"),
    _am_demo_alert("localhost:8082", "canary", "9e0b7d3c1a2f4e88"),
]

_LEGACY_AM_TITLE = '{{ (payload.get("labels") or {}).get("alertname") or "Alertmanager alert" }}'
_LEGACY_AM_MESSAGE = """\
{%- set labels = payload.get("labels") or {} -%}
{%- set notes = payload.get("annotations") or {} -%}
**{{ (payload.get("status") or "unknown") | capitalize }}**
{%- if labels.get("severity") %} · severity **{{ labels.severity }}**{% endif %}
{%- for key in ["summary", "description", "message"] if notes.get(key) %}

{{ notes[key] }}
{%- endfor %}
{%- if notes.get("runbook_url") %}

Runbook: {{ notes.runbook_url }}
{%- endif %}
{%- if labels %}

Labels: {{ labels | dictsort | map("join", "=") | join(", ") }}
{%- endif %}"""
_LEGACY_AM_SUMMARY = """\
{%- set notes = payload.get("annotations") or {} -%}
{{ (payload.get("status") or "unknown") | capitalize }}
{%- set text = notes.get("summary") or notes.get("description") or notes.get("message") %}
{%- if text %}: {{ text }}{% endif %}"""
_LEGACY_AM_APPEARANCE = appearance(
    title=_LEGACY_AM_TITLE,
    message=_LEGACY_AM_MESSAGE,
    summary=_LEGACY_AM_SUMMARY,
    short='{{ web_title }}{% if payload.get("status") == "resolved" %}: resolved{% endif %}',
)


GRAFANA_ALERTING = integration_type(
    "grafana_alerting",
    "Grafana Alerting",
    "Grafana Alerting contact point (webhook): one alert group per Grafana notification group.",
    _AM_BEHAVIOUR,
    _AM_APPEARANCE,
    example_payload=_am_demo([*_AM_ALERTS, _am_demo_alert("localhost:8083", "production", "c3d5e7f9a1b2c4d6")]),
    based_on_alertmanager=True,
    counts_alertmanager_alerts=True,
    featured=True,
)

ALERTMANAGER = integration_type(
    "alertmanager",
    "Alertmanager",
    "Prometheus Alertmanager webhook receiver: one alert group per Alertmanager group (groupKey).",
    _AM_BEHAVIOUR,
    _AM_APPEARANCE,
    example_payload=_am_demo(_AM_ALERTS),
    based_on_alertmanager=True,
    counts_alertmanager_alerts=True,
    heartbeat_available=True,
    featured=True,
)

LEGACY_ALERTMANAGER = integration_type(
    "legacy_alertmanager",
    "(Legacy) Alertmanager",
    "Per-alert Alertmanager processing (kept for migrated integrations).",
    behaviour(
        grouping="{{ payload.labels }}",
        resolve='{{ payload.status == "resolved" }}',
        source_link="{{ payload.generatorURL }}",
    ),
    _LEGACY_AM_APPEARANCE,
    example_payload=_am_demo(_AM_ALERTS),
    based_on_alertmanager=True,
    heartbeat_available=True,
    creatable=False,
)

LEGACY_GRAFANA_ALERTING = integration_type(
    "legacy_grafana_alerting",
    "(Legacy) Grafana Alerting",
    "Per-alert Grafana Alerting processing (kept for migrated integrations).",
    behaviour(
        # OnCall groups these by the web title, which is the alert's alertname label.
        grouping='{{ payload.get("labels", {}).get("alertname", "") }}',
        resolve='{{ payload.get("status", "") == "resolved" }}',
        source_link="{{ payload.generatorURL }}",
    ),
    _LEGACY_AM_APPEARANCE,
    example_payload=_am_demo(_AM_ALERTS),
    based_on_alertmanager=True,
    creatable=False,
)
