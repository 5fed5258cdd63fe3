"""Generic senders: any JSON, form or text body (webhook), OnCall's formatted webhook and the tools that speak it
(Zabbix), and ElastAlert."""

from __future__ import annotations

from oncall.intake.types.base import (
    JSON_MESSAGE,
    JSON_SUMMARY,
    STATE_OK,
    appearance,
    behaviour,
    first_of,
    integration_type,
)

_WEBHOOK_TITLE = first_of("title", "subject", "name", "alertname", "message", fallback="Incident")
_WEBHOOK_BEHAVIOUR = behaviour(
    # Whole-payload grouping (only identical payloads group; output is str(dict) plus a newline), except
    # OnCall's own heartbeat payloads, which group by alert_uid.
    grouping='{%- if "is_oncall_heartbeat" in payload -%}{{ payload.alert_uid }}{%- else -%}{{ payload }}\n{% endif %}',
    resolve=STATE_OK,
    source_link="{{ payload.url }}",
)
_WEBHOOK_DEMO = {"message": "A demonstration alert sent from Serverless OnCall."}

_FORMATTED_BEHAVIOUR = behaviour(
    grouping='{{ payload.get("alert_uid", "") }}',
    resolve=STATE_OK,
    source_link="{{ payload.link_to_upstream_details }}",
)
_FORMATTED_APPEARANCE = appearance(
    title='{{ payload.get("title") or "Untitled alert (no title in the payload)" }}',
    message='{{ payload.get("message") or "" }}',
    summary=(
        '{%- if payload.get("state") %}State: {{ payload.state }}\n{% endif -%}'
        '{{ (payload.get("message") or "") | string | truncate(600, true, "…", 0) }}'
    ),
    image='{{ payload.get("image_url") or "" }}',
    short='{{ web_title }}{% if payload.get("state", "") | string | upper == "OK" %}: resolved{% endif %}',
)
_FORMATTED_DEMO = {
    "alert_uid": "1b6f0f3e-6a1d-4c8e-9b1e-2f0c8a7d5e41",
    "title": "Demo alert: checkout service is down",
    "image_url": None,
    "state": "alerting",
    "link_to_upstream_details": "https://example.com/checkout/status",
    "message": "A demonstration alert sent from Serverless OnCall.\nNothing is actually broken.",
}


WEBHOOK = integration_type(
    "webhook",
    "Webhook",
    "Any JSON, form or text body. Groups identical payloads; resolves on state=OK.",
    _WEBHOOK_BEHAVIOUR,
    appearance(title=_WEBHOOK_TITLE, message=JSON_MESSAGE, summary=JSON_SUMMARY),
    example_payload=_WEBHOOK_DEMO,
    heartbeat_available=True,
    featured=True,
)

FORMATTED_WEBHOOK = integration_type(
    "formatted_webhook",
    "Formatted webhook",
    "JSON with alert_uid, title, message, image_url, state and link_to_upstream_details.",
    _FORMATTED_BEHAVIOUR,
    _FORMATTED_APPEARANCE,
    example_payload=_FORMATTED_DEMO,
    heartbeat_available=True,
)

ZABBIX = integration_type(
    "zabbix",
    "Zabbix",
    "Zabbix webhook media type.",
    _FORMATTED_BEHAVIOUR,
    _FORMATTED_APPEARANCE,
    example_payload=_FORMATTED_DEMO,
    heartbeat_available=True,
)

ELASTALERT = integration_type(
    "elastalert",
    "Elastalert",
    "ElastAlert HTTP POST alerter.",
    behaviour(grouping='{{ payload.get("alert_uid", "")}}', resolve=STATE_OK, source_link=None),
    appearance(
        title=first_of("alert_subject", "rule_name", "title", "message", fallback="ElastAlert match"),
        message=JSON_MESSAGE,
        summary=JSON_SUMMARY,
    ),
    example_payload=_WEBHOOK_DEMO,
    heartbeat_available=True,
)
