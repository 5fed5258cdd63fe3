"""InfluxData Kapacitor's HTTP POST alert handler."""

from __future__ import annotations

from oncall.intake.types.base import appearance, behaviour, integration_type

_KAPACITOR_APPEARANCE = appearance(
    title='{{ payload.get("id") or "Kapacitor alert" }}',
    message=(
        '{%- if payload.get("level") %}**{{ payload.level }}**{% endif %}'
        '{%- if payload.get("message") %}\n\n{{ payload.message }}{% endif %}'
        '{%- if payload.get("details") %}\n\n{{ payload.details }}{% endif %}'
        '{%- if payload.get("data") %}\n\n```\n'
        "{{ payload.data if payload.data is string else payload.data | tojson_pretty }}\n```{% endif %}"
    ),
    summary=(
        '{{ payload.get("level") or "" }}{% if payload.get("level") and payload.get("message") %}: {% endif %}'
        '{{ (payload.get("message") or "") | string | truncate(600, true, "…", 0) }}'
    ),
    short='{{ web_title }}{% if payload.get("level") %}: {{ payload.level }}{% endif %}',
)


KAPACITOR = integration_type(
    "kapacitor",
    "Kapacitor",
    "InfluxData Kapacitor alert handler (HTTP POST).",
    behaviour(
        grouping='{{ payload.get("id", "") }}',
        resolve='{{ payload.get("level", "").startswith("OK") }}',
        source_link=None,
    ),
    _KAPACITOR_APPEARANCE,
    example_payload={
        "id": "DemoAlert",
        "message": "A demonstration alert from Kapacitor.",
        "level": "CRITICAL",
        "data": "{foo: bar}",
    },
)
