"""The integration types, their flags, example (demo) payloads and default templates.

Behaviour templates (grouping, resolve, acknowledge, source link) reproduce OnCall's defaults
(docs/oncall-compatibility.md#templates) because a sender switching over must group and resolve exactly as
before. Appearance templates (titles, messages, image URLs for every surface) are our own, written for our channels:

- every type defines a full title (`web_title`), a detailed Markdown message (`web_message`), a compact
  plain-text summary (chat and push), a short title (SMS, phone) and optionally an image URL;
- chat, e-mail and push titles are `{{ web_title }}`, so a custom web title carries over to every surface
  that is not overridden itself; e-mail messages are the web message plus the alert group link;
- titles carry no group number: the delivery layer prefixes `#<number>`.

Lookup of a slot (OnCall's rule): the integration's override if non-empty, else the type default for that
exact slot, else the type's web default of the same attribute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Template slots. Behaviour slots first; appearance slots are `<surface>_<attribute>`.
BEHAVIOUR_SLOTS = ("grouping_id", "resolve_condition", "acknowledge_condition", "source_link")
SURFACE_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "web": ("title", "message", "image_url"),
    "slack": ("title", "message", "image_url"),
    "telegram": ("title", "message", "image_url"),
    "msteams": ("title", "message", "image_url"),
    "email": ("title", "message"),
    "mobile_app": ("title", "message"),
    "sms": ("title",),
    "phone_call": ("title",),
}
APPEARANCE_SURFACES = tuple(SURFACE_ATTRIBUTES)
APPEARANCE_ATTRIBUTES = ("title", "message", "image_url")
APPEARANCE_SLOTS = tuple(f"{s}_{a}" for s, attributes in SURFACE_ATTRIBUTES.items() for a in attributes)
ALL_SLOTS = BEHAVIOUR_SLOTS + APPEARANCE_SLOTS


@dataclass(frozen=True)
class IntegrationType:
    slug: str
    title: str
    description: str
    templates: dict[str, str | None]
    example_payload: dict[str, Any] | None = None
    autoresolve_capable: bool = True
    demo_enabled: bool = True
    based_on_alertmanager: bool = False
    heartbeat_available: bool = False
    has_ingest_url: bool = True
    creatable: bool = True
    featured: bool = False
    # Alertmanager-shaped bodies whose whole group notification is one alert ("v2").
    counts_alertmanager_alerts: bool = False
    aliases: tuple[str, ...] = field(default_factory=tuple)

    @property
    def url_slug(self) -> str:
        return self.slug.removeprefix("legacy_")

    def default_template(self, slot: str) -> str | None:
        """The type default for a slot; an appearance slot the type does not define falls back to the
        web template of the same attribute (so SMS, phone and e-mail titles default to the web title)."""
        if slot in self.templates:
            return self.templates[slot]
        _, attribute = split_appearance_slot(slot)
        return self.templates.get(f"web_{attribute}") if attribute else None


def split_appearance_slot(slot: str) -> tuple[str | None, str | None]:
    """`phone_call_title` -> ("phone_call", "title"); behaviour or unknown slots -> (None, None)."""
    for surface in APPEARANCE_SURFACES:
        attribute = slot.removeprefix(f"{surface}_")
        if attribute != slot and attribute in APPEARANCE_ATTRIBUTES:
            return surface, attribute
    return None, None


# ------------------------------------------------------------------------------------------ surfaces
SMS_TITLE_LENGTH = 140
PHONE_TITLE_LENGTH = 200
PUSH_MESSAGE_LENGTH = 240

_WEB_FOOTER = "{%- if source_link %}\n\n[Open in the source]({{ source_link }}){% endif %}"
_GROUP_LINE = "Alert group #{{ grafana_oncall_incident_id }}"
_SLACK_ESCAPE = '{% filter replace("&", "&amp;") | replace("<", "&lt;") | replace(">", "&gt;") %}'


def _links(source: str, group: str) -> str:
    """Source and alert-group links on their own lines, each only when known."""
    return "{%- if source_link %}\n" + source + "{% endif %}{%- if grafana_oncall_link %}\n" + group + "{% endif %}"


def _appearance(
    *,
    title: str,
    message: str,
    summary: str,
    image: str | None = None,
    short: str = "{{ web_title }}",
) -> dict[str, str | None]:
    """Every appearance slot from a type's title, Markdown message, plain summary, short title and image."""
    return {
        "web_title": title,
        "web_message": message + _WEB_FOOTER,
        "web_image_url": image,
        "slack_title": "{{ web_title }}",
        "slack_message": _SLACK_ESCAPE
        + summary
        + "{% endfilter %}"
        + _links(
            "<{{ source_link }}|Open in the source>",
            "<{{ grafana_oncall_link }}|" + _GROUP_LINE + ">",
        ),
        "slack_image_url": image,
        "telegram_title": "{{ web_title }}",
        "telegram_message": "{% filter escape %}"
        + summary
        + "{% endfilter %}"
        + _links(
            '<a href="{{ source_link | e }}">Open in the source</a>',
            '<a href="{{ grafana_oncall_link | e }}">' + _GROUP_LINE + "</a>",
        ),
        "telegram_image_url": image,
        "msteams_title": "{{ web_title }}",
        "msteams_message": summary
        + _links("[Open in the source]({{ source_link }})", "[" + _GROUP_LINE + "]({{ grafana_oncall_link }})"),
        "msteams_image_url": image,
        "email_title": "{{ web_title }}",
        "email_message": "{{ web_message }}"
        + "{%- if grafana_oncall_link %}\n\n"
        + _GROUP_LINE
        + ": {{ grafana_oncall_link }}{% endif %}",
        "mobile_app_title": "{{ web_title }}",
        "mobile_app_message": f'{{% filter truncate({PUSH_MESSAGE_LENGTH}, true, "…", 0) %}}'
        + summary
        + "{% endfilter %}",
        "sms_title": f'{{% filter truncate({SMS_TITLE_LENGTH}, true, "…", 0) %}}' + short + "{% endfilter %}",
        "phone_call_title": f'{{% filter truncate({PHONE_TITLE_LENGTH}, true, "", 0) %}}' + short + "{% endfilter %}",
    }


def _type(slug: str, title: str, description: str, behaviour: dict[str, str | None], appearance, **flags):
    return IntegrationType(
        slug=slug, title=title, description=description, templates={**behaviour, **appearance}, **flags
    )


def _behaviour(grouping: str | None, resolve: str | None, source_link: str | None) -> dict[str, str | None]:
    # OnCall has no default acknowledge condition for any type.
    return {
        "grouping_id": grouping,
        "resolve_condition": resolve,
        "acknowledge_condition": None,
        "source_link": source_link,
    }


# ------------------------------------------------------------------------------------------ alertmanager
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
_AM_BEHAVIOUR = _behaviour(
    grouping="{{ payload.groupKey }}",
    resolve='{{ payload.status == "resolved" }}',
    source_link="{{ payload.alerts[0].generatorURL }}",
)
_AM_APPEARANCE = _appearance(title=_AM_TITLE, message=_AM_MESSAGE, summary=_AM_SUMMARY, short=_AM_SHORT)


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

# ------------------------------------------------------------------------------------------ legacy, per alert
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
_LEGACY_AM_APPEARANCE = _appearance(
    title=_LEGACY_AM_TITLE,
    message=_LEGACY_AM_MESSAGE,
    summary=_LEGACY_AM_SUMMARY,
    short='{{ web_title }}{% if payload.get("status") == "resolved" %}: resolved{% endif %}',
)

# ------------------------------------------------------------------------------------------ webhooks
_STATE_OK = '{{ payload.get("state", "").upper() == "OK" }}'
_JSON_MESSAGE = "```\n{{ payload | tojson_pretty }}\n```"
_JSON_SUMMARY = (
    '{%- if payload.get("message") is string %}{{ payload.message | truncate(600, true, "…", 0) }}'
    '{%- else %}{{ payload | tojson_pretty | truncate(600, true, "…", 0) }}{% endif %}'
)


def _first_of(*keys: str, fallback: str) -> str:
    """A title from the first non-empty of some payload keys (its first line, at most 120 characters)."""
    found = " or ".join(f'payload.get("{key}")' for key in keys)
    return (
        f"{{%- set text = (({found}) or '') | string -%}}"
        '{%- set line = (text.strip().splitlines() or [""])[0] -%}'
        f'{{{{ line | truncate(120, true, "…", 0) if line else "{fallback}" }}}}'
    )


_WEBHOOK_TITLE = _first_of("title", "subject", "name", "alertname", "message", fallback="Incident")
_WEBHOOK_BEHAVIOUR = _behaviour(
    # Whole-payload grouping (only identical payloads group; output is str(dict) plus a newline), except
    # OnCall's own heartbeat payloads, which group by alert_uid.
    grouping='{%- if "is_oncall_heartbeat" in payload -%}{{ payload.alert_uid }}{%- else -%}{{ payload }}\n{% endif %}',
    resolve=_STATE_OK,
    source_link="{{ payload.url }}",
)
_WEBHOOK_DEMO = {"message": "A demonstration alert sent from Serverless OnCall."}

_FORMATTED_BEHAVIOUR = _behaviour(
    grouping='{{ payload.get("alert_uid", "") }}',
    resolve=_STATE_OK,
    source_link="{{ payload.link_to_upstream_details }}",
)
_FORMATTED_APPEARANCE = _appearance(
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

# ------------------------------------------------------------------------------------------ others
_KAPACITOR_APPEARANCE = _appearance(
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
_INBOUND_EMAIL_APPEARANCE = _appearance(
    title='{{ payload.get("subject") or "E-mail without a subject" }}',
    message='{{ payload.get("message") or "" }}',
    summary=(
        '{%- if payload.get("sender") %}From {{ payload.sender }}\n{% endif -%}'
        '{{ (payload.get("message") or "") | string | truncate(600, true, "…", 0) }}'
    ),
    image='{{ payload.get("image_url") or "" }}',
)
_PAGE = '{%- set page = payload.get("oncall") or {} -%}'
_PAGING_APPEARANCE = _appearance(
    title=_PAGE + '{{ page.get("title") or "Page" }}',
    message=_PAGE
    + '{{ page.get("message") or "" }}{% if page.get("author_username") %}\n\nPaged by {{ page.author_username }}'
    "{% endif %}",
    summary=_PAGE
    + '{{ (page.get("message") or "") | string | truncate(600, true, "…", 0) }}'
    + '{% if page.get("author_username") %}\nPaged by {{ page.author_username }}{% endif %}',
)
_GRAFANA_APPEARANCE = _appearance(
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
_MAINTENANCE_APPEARANCE = _appearance(
    title='{{ payload.get("title") or "Maintenance" }}',
    message='{{ payload.get("message") or "" }}',
    summary='{{ (payload.get("message") or "") | string | truncate(600, true, "…", 0) }}',
)

# ------------------------------------------------------------------------------------------ amazon sns
# Our own type (OnCall Cloud's defaults are not public). See oncall/intake/sns.py for the payload: the alarm (or
# message) plus `title`, `message`, `state`, `console_url` and `sns` {topic_arn, message_id, subject, ...}.
_SNS_BEHAVIOUR = _behaviour(
    # One group per CloudWatch alarm and topic; other messages group only when identical (like webhook).
    grouping=(
        '{%- set topic = (payload.get("sns") or {}).get("topic_arn", "") -%}'
        '{%- if payload.get("AlarmName") -%}{{ topic }} {{ payload.AlarmName }}'
        '{%- else -%}{%- set body = payload.copy() -%}{%- set _ = body.pop("sns", None) -%}{{ topic }} {{ body }}'
        "{%- endif -%}"
    ),
    resolve='{{ payload.get("NewStateValue", "") == "OK" }}',
    source_link='{{ payload.get("console_url") or "" }}',
)
_SNS_APPEARANCE = _appearance(
    title=(
        '{{ payload.get("title") or payload.get("AlarmName") or (payload.get("sns") or {}).get("subject") '
        'or "Amazon SNS notification" }}'
    ),
    message=(
        '{%- if payload.get("message") is string %}{{ payload.message }}'
        "{%- else %}```\n{{ payload | tojson_pretty }}\n```{% endif %}"
    ),
    summary=_JSON_SUMMARY,
    short='{{ web_title }}{% if payload.get("NewStateValue") %}: {{ payload.NewStateValue }}{% endif %}',
)
_SNS_DEMO = {
    "AlarmName": "checkout-api-5xx",
    "AlarmDescription": "More than 5% of checkout API requests fail.",
    "AWSAccountId": "123456789012",
    "NewStateValue": "ALARM",
    "NewStateReason": "Threshold Crossed: 1 datapoint [7.5 (01/01/26 08:00:00)] was greater than the threshold (5.0).",
    "StateChangeTime": "2026-01-01T08:00:00.000+0000",
    "Region": "EU (Ireland)",
    "AlarmArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-api-5xx",
    "OldStateValue": "OK",
    "Trigger": {
        "MetricName": "5XXError",
        "Namespace": "AWS/ApiGateway",
        "Statistic": "AVERAGE",
        "Period": 60,
        "EvaluationPeriods": 1,
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 5.0,
    },
    "title": "checkout-api-5xx",
    "message": (
        "State: ALARM (was OK)\nRegion: eu-west-1\nDescription: More than 5% of checkout API requests fail.\n"
        "Reason: Threshold Crossed: 1 datapoint [7.5 (01/01/26 08:00:00)] was greater than the threshold (5.0).\n"
        "Metric: AWS/ApiGateway 5XXError (Average over 60 s) GreaterThanThreshold 5.0"
    ),
    "state": "ALARM",
    "console_url": (
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/checkout-api-5xx"
    ),
    "sns": {
        "topic_arn": "arn:aws:sns:eu-west-1:123456789012:checkout-alarms",
        "message_id": "6f1c8f0e-0000-4d3a-9c5e-demo00000001",
        "subject": 'ALARM: "checkout-api-5xx" in EU (Ireland)',
        "timestamp": "2026-01-01T08:00:01.000Z",
        "region": "eu-west-1",
    },
}

# ------------------------------------------------------------------------------------------ the types
_TYPES: tuple[IntegrationType, ...] = (
    _type(
        "grafana_alerting",
        "Grafana Alerting",
        "Grafana Alerting contact point (webhook): one alert group per Grafana notification group.",
        _AM_BEHAVIOUR,
        _AM_APPEARANCE,
        example_payload=_am_demo([*_AM_ALERTS, _am_demo_alert("localhost:8083", "production", "c3d5e7f9a1b2c4d6")]),
        based_on_alertmanager=True,
        counts_alertmanager_alerts=True,
        featured=True,
    ),
    _type(
        "webhook",
        "Webhook",
        "Any JSON, form or text body. Groups identical payloads; resolves on state=OK.",
        _WEBHOOK_BEHAVIOUR,
        _appearance(title=_WEBHOOK_TITLE, message=_JSON_MESSAGE, summary=_JSON_SUMMARY),
        example_payload=_WEBHOOK_DEMO,
        heartbeat_available=True,
        featured=True,
    ),
    _type(
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
    ),
    _type(
        "formatted_webhook",
        "Formatted webhook",
        "JSON with alert_uid, title, message, image_url, state and link_to_upstream_details.",
        _FORMATTED_BEHAVIOUR,
        _FORMATTED_APPEARANCE,
        example_payload=_FORMATTED_DEMO,
        heartbeat_available=True,
    ),
    _type(
        "kapacitor",
        "Kapacitor",
        "InfluxData Kapacitor alert handler (HTTP POST).",
        _behaviour(
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
    ),
    _type(
        "elastalert",
        "Elastalert",
        "ElastAlert HTTP POST alerter.",
        _behaviour(grouping='{{ payload.get("alert_uid", "")}}', resolve=_STATE_OK, source_link=None),
        _appearance(
            title=_first_of("alert_subject", "rule_name", "title", "message", fallback="ElastAlert match"),
            message=_JSON_MESSAGE,
            summary=_JSON_SUMMARY,
        ),
        example_payload=_WEBHOOK_DEMO,
        heartbeat_available=True,
    ),
    _type(
        "inbound_email",
        "Inbound Email",
        "Alerts from e-mail (subject, message, sender).",
        _behaviour(
            grouping='{{ payload.get("subject", "").upper() }}',
            resolve='{{ payload.get("message", "").upper() == "OK" }}',
            source_link=None,
        ),
        _INBOUND_EMAIL_APPEARANCE,
        example_payload={
            "subject": "Demo e-mail alert",
            "message": "A demonstration alert sent by e-mail.",
            "sender": "monitoring@example.com",
        },
        has_ingest_url=False,
        # OnCall shows it only with its inbound-email feature; we have no inbound e-mail path yet.
        creatable=False,
    ),
    _type(
        "zabbix",
        "Zabbix",
        "Zabbix webhook media type.",
        _FORMATTED_BEHAVIOUR,
        _FORMATTED_APPEARANCE,
        example_payload=_FORMATTED_DEMO,
        heartbeat_available=True,
    ),
    _type(
        "direct_paging",
        "Direct paging",
        "Pages created by people, not by monitoring.",
        _behaviour(grouping="{{ payload }}", resolve=None, source_link="{{ payload.oncall.permalink }}"),
        _PAGING_APPEARANCE,
        autoresolve_capable=False,
        demo_enabled=False,
        creatable=False,
    ),
    _type(
        "grafana",
        "Grafana (legacy alerting)",
        "Grafana 8 and older legacy alerting.",
        _behaviour(
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
    ),
    _type(
        "legacy_alertmanager",
        "(Legacy) Alertmanager",
        "Per-alert Alertmanager processing (kept for migrated integrations).",
        _behaviour(
            grouping="{{ payload.labels }}",
            resolve='{{ payload.status == "resolved" }}',
            source_link="{{ payload.generatorURL }}",
        ),
        _LEGACY_AM_APPEARANCE,
        example_payload=_am_demo(_AM_ALERTS),
        based_on_alertmanager=True,
        heartbeat_available=True,
        creatable=False,
    ),
    _type(
        "legacy_grafana_alerting",
        "(Legacy) Grafana Alerting",
        "Per-alert Grafana Alerting processing (kept for migrated integrations).",
        _behaviour(
            # OnCall groups these by the web title, which is the alert's alertname label.
            grouping='{{ payload.get("labels", {}).get("alertname", "") }}',
            resolve='{{ payload.get("status", "") == "resolved" }}',
            source_link="{{ payload.generatorURL }}",
        ),
        _LEGACY_AM_APPEARANCE,
        example_payload=_am_demo(_AM_ALERTS),
        based_on_alertmanager=True,
        creatable=False,
    ),
    _type(
        "maintenance",
        "Maintenance",
        "Collects alert groups during maintenance.",
        _behaviour(grouping=None, resolve=None, source_link=None),
        _MAINTENANCE_APPEARANCE,
        autoresolve_capable=False,
        demo_enabled=False,
        has_ingest_url=False,
        creatable=False,
    ),
    _type(
        "manual",
        "Manual",
        "Alert groups created by hand.",
        _behaviour(grouping="{{ payload }}", resolve=None, source_link="{{ payload.oncall.permalink }}"),
        _PAGING_APPEARANCE,
        autoresolve_capable=False,
        demo_enabled=False,
        has_ingest_url=False,
        creatable=False,
    ),
    _type(
        "amazon_sns",
        "Amazon SNS",
        "Amazon SNS HTTPS subscription (CloudWatch alarms and any other message); signatures are verified.",
        _SNS_BEHAVIOUR,
        _SNS_APPEARANCE,
        example_payload=_SNS_DEMO,
    ),
)

INTEGRATION_TYPES: dict[str, IntegrationType] = {t.slug: t for t in _TYPES}


def get_type(slug: str) -> IntegrationType | None:
    return INTEGRATION_TYPES.get(slug)


# OnCall routes amazon_sns/{token}/ to its SNS endpoint whatever the integration's type (OSS has no amazon_sns
# type: a webhook integration subscribed to SNS works), so the SNS URL accepts every type that has a URL.
SNS_URL_SLUG = "amazon_sns"
ANY_TYPE_URL_SLUGS = frozenset({SNS_URL_SLUG})


def url_slug_accepts(url_slug: str, integration_type: str) -> bool:
    """Whether an ingest URL written for `url_slug` may carry alerts of an integration of this type
    (legacy types keep the URL of their modern twin)."""
    kind = INTEGRATION_TYPES.get(integration_type)
    if kind is None or not kind.has_ingest_url:
        return False
    return kind.url_slug == url_slug or url_slug in ANY_TYPE_URL_SLUGS
