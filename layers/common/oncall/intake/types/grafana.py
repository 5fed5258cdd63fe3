"""Grafana 8 and older (legacy alerting)."""

from __future__ import annotations

from oncall.intake.types.base import appearance, behaviour, integration_type

_GRAFANA_APPEARANCE = appearance(
    title=(
        '{{ payload.get("title") or payload.get("ruleName") or '
        '(payload.get("labels") or {}).get("alertname") or "Grafana alert" }}'
    ),
    message=(
        '{%- if payload.get("state") %}**{{ payload.state | capitalize }}**{% endif %}'
        '{%- if payload.get("message") %}\n\n{{ payload.message }}{% endif %}'
        '{%- for match in (payload.get("evalMatches") or [])[:10] %}'
        '{% if loop.first %}\n\nMetrics:{% endif %}\n- {{ match.get("metric") }} = {{ match.get("value") }}'
        "{%- endfor %}"
    ),
    summary=(
        '{{ (payload.get("state") or payload.get("status") or "") | capitalize }}'
        '{%- if payload.get("message") %}\n{{ payload.message | string | truncate(600, true, "…", 0) }}{% endif %}'
    ),
    image='{{ payload.get("imageUrl") or "" }}',
)


GRAFANA = integration_type(
    "grafana",
    "Grafana (legacy alerting)",
    "Grafana 8 and older legacy alerting.",
    behaviour(
        grouping=(
            '{{ payload.get("ruleName", "") or payload.get("labels", {}).get("alertname", '
            '"No title (check Web Title Template)") }}'
        ),
        resolve='{{ payload.get("state") == "ok" or payload.get("status", "") == "resolved" }}',
        source_link='{{ payload.get("ruleUrl", "") or payload.generatorURL }}',
    ),
    _GRAFANA_APPEARANCE,
    example_payload={
        "ruleName": "Demo alert",
        "ruleId": 1,
        "ruleUrl": "https://grafana.example.com/d/demo?viewPanel=2",
        "state": "alerting",
        "title": "[Alerting] Demo alert",
        "message": "A demonstration alert from Grafana legacy alerting.",
        "evalMatches": [{"metric": "requests_failed", "value": 42, "tags": {}}],
    },
    based_on_alertmanager=True,
    heartbeat_available=True,
)
