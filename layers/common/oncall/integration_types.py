"""The integration types, their flags and default templates.

Behaviour templates (grouping, resolve, acknowledge, source link) reproduce OnCall's defaults because a
sender switching over must group and resolve exactly as before. Appearance templates (titles, messages)
are our own, written for our channels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Template slots. Behaviour slots first; appearance slots are `<surface>_<attribute>`.
BEHAVIOUR_SLOTS = ("grouping_id", "resolve_condition", "acknowledge_condition", "source_link")
APPEARANCE_SURFACES = ("web", "slack", "telegram", "msteams", "email", "mobile_app", "sms", "phone_call")
APPEARANCE_ATTRIBUTES = ("title", "message", "image_url")


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


# ------------------------------------------------------------------------------------------ appearance
_AM_TITLE = (
    '{%- set group = payload.get("groupLabels") or {} -%}'
    '{{ group.get("alertname") or (payload.get("labels") or {}).get("alertname") or "Alertmanager alert" }}'
    '{%- set others = group | dictsort | rejectattr("0", "equalto", "alertname") | map(attribute="1") | list -%}'
    '{%- if others %} ({{ others | join(", ") }}){% endif -%}'
)
_AM_MESSAGE = """\
{%- set common = payload.get("commonLabels") or {} -%}
{%- set notes = payload.get("commonAnnotations") or {} -%}
Status: {{ payload.get("status", "unknown") }}
{%- if payload.get("numFiring") is not none %} ({{ payload.numFiring }} firing, \
{{ payload.get("numResolved", 0) }} resolved){% endif %}
{%- if common.get("severity") %}
Severity: {{ common.severity }}{% endif %}
{%- for key in ["summary", "description", "message"] if notes.get(key) %}
{{ notes[key] }}{% endfor %}
{%- if notes.get("runbook_url") %}
Runbook: {{ notes.runbook_url }}{% endif %}
{%- for alert in (payload.get("alerts") or [])[:10] %}
- [{{ alert.get("status", "?") }}] {{ (alert.get("annotations") or {}).get("summary") \
or ((alert.get("labels") or {}) | dictsort | map("join", "=") | join(", ")) }}
{%- endfor %}
{%- if (payload.get("alerts") or []) | length > 10 %}
… and {{ (payload.alerts | length) - 10 }} more{% endif %}"""
_AM_PHONE_TITLE = '{{ (payload.get("groupLabels") or {}).values() | join(", ") }}'
_JSON_MESSAGE = "```\n{{ payload | tojson_pretty }}\n```"
_GENERIC_TITLE = '{{ payload.get("title") or payload.get("subject") or payload.get("name") or "Incident" }}'


def _alertmanager_like(slug: str, title: str, description: str, example: dict[str, Any], **flags) -> IntegrationType:
    return IntegrationType(
        slug=slug,
        title=title,
        description=description,
        templates={
            "grouping_id": "{{ payload.groupKey }}",
            "resolve_condition": '{{ payload.status == "resolved" }}',
            "acknowledge_condition": None,
            "source_link": "{{ payload.alerts[0].generatorURL }}",
            "web_title": _AM_TITLE,
            "web_message": _AM_MESSAGE,
            "web_image_url": None,
            "phone_call_title": _AM_PHONE_TITLE,
        },
        example_payload=example,
        based_on_alertmanager=True,
        counts_alertmanager_alerts=True,
        **flags,
    )


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
_FORMATTED_DEMO = {
    "alert_uid": "1b6f0f3e-6a1d-4c8e-9b1e-2f0c8a7d5e41",
    "title": "Demo alert: checkout service is down",
    "image_url": None,
    "state": "alerting",
    "link_to_upstream_details": "https://example.com/checkout/status",
    "message": "A demonstration alert sent from Serverless OnCall.\nNothing is actually broken.",
}
_WEBHOOK_DEMO = {"message": "A demonstration alert sent from Serverless OnCall."}

_FORMATTED_TEMPLATES: dict[str, str | None] = {
    "grouping_id": '{{ payload.get("alert_uid", "") }}',
    "resolve_condition": '{{ payload.get("state", "").upper() == "OK" }}',
    "acknowledge_condition": None,
    "source_link": "{{ payload.link_to_upstream_details }}",
    "web_title": '{{ payload.get("title") or "Untitled alert (set a title template)" }}',
    "web_message": '{{ payload.get("message", "") }}',
    "web_image_url": '{{ payload.get("image_url") or "" }}',
}

_TYPES: tuple[IntegrationType, ...] = (
    _alertmanager_like(
        "grafana_alerting",
        "Grafana Alerting",
        "Grafana Alerting contact point (webhook): one alert group per Grafana notification group.",
        _am_demo([*_AM_ALERTS, _am_demo_alert("localhost:8083", "production", "c3d5e7f9a1b2c4d6")]),
    ),
    IntegrationType(
        slug="webhook",
        title="Webhook",
        description="Any JSON, form or text body. Groups identical payloads; resolves on state=OK.",
        templates={
            "grouping_id": (
                '{%- if "is_oncall_heartbeat" in payload -%}{{ payload.alert_uid }}'
                "{%- else -%}{{ payload }}{%- endif %}"
            ),
            "resolve_condition": '{{ payload.get("state", "").upper() == "OK" }}',
            "acknowledge_condition": None,
            "source_link": "{{ payload.url }}",
            "web_title": _GENERIC_TITLE,
            "web_message": _JSON_MESSAGE,
            "web_image_url": None,
        },
        example_payload=_WEBHOOK_DEMO,
        heartbeat_available=True,
    ),
    _alertmanager_like(
        "alertmanager",
        "Alertmanager",
        "Prometheus Alertmanager webhook receiver: one alert group per Alertmanager group (groupKey).",
        _am_demo(_AM_ALERTS),
        heartbeat_available=True,
    ),
    IntegrationType(
        slug="formatted_webhook",
        title="Formatted webhook",
        description="JSON with alert_uid, title, message, image_url, state and link_to_upstream_details.",
        templates=_FORMATTED_TEMPLATES,
        example_payload=_FORMATTED_DEMO,
        heartbeat_available=True,
    ),
    IntegrationType(
        slug="kapacitor",
        title="Kapacitor",
        description="InfluxData Kapacitor alert handler (HTTP POST).",
        templates={
            "grouping_id": '{{ payload.get("id", "") }}',
            "resolve_condition": '{{ payload.get("level", "").startswith("OK") }}',
            "acknowledge_condition": None,
            "source_link": None,
            "web_title": '{{ payload.get("id") or "Kapacitor alert" }}',
            "web_message": _JSON_MESSAGE,
            "web_image_url": None,
        },
        example_payload={
            "id": "DemoAlert",
            "message": "A demonstration alert from Kapacitor.",
            "level": "CRITICAL",
            "data": "{foo: bar}",
        },
    ),
    IntegrationType(
        slug="elastalert",
        title="Elastalert",
        description="ElastAlert HTTP POST alerter.",
        templates={
            "grouping_id": '{{ payload.get("alert_uid", "") }}',
            "resolve_condition": '{{ payload.get("state", "").upper() == "OK" }}',
            "acknowledge_condition": None,
            "source_link": None,
            "web_title": _GENERIC_TITLE,
            "web_message": _JSON_MESSAGE,
            "web_image_url": None,
        },
        example_payload=_WEBHOOK_DEMO,
        heartbeat_available=True,
    ),
    IntegrationType(
        slug="inbound_email",
        title="Inbound Email",
        description="Alerts from e-mail (subject, message, sender).",
        templates={
            "grouping_id": '{{ payload.get("subject", "").upper() }}',
            "resolve_condition": '{{ payload.get("message", "").upper() == "OK" }}',
            "acknowledge_condition": None,
            "source_link": None,
            "web_title": '{{ payload.get("subject") or "E-mail without subject" }}',
            "web_message": "{{ payload.message }}",
            "web_image_url": "{{ payload.image_url }}",
        },
        example_payload={
            "subject": "Demo e-mail alert",
            "message": "A demonstration alert sent by e-mail.",
            "sender": "monitoring@example.com",
        },
        has_ingest_url=False,
    ),
    IntegrationType(
        slug="zabbix",
        title="Zabbix",
        description="Zabbix webhook media type.",
        templates=_FORMATTED_TEMPLATES,
        example_payload=_FORMATTED_DEMO,
        heartbeat_available=True,
    ),
    IntegrationType(
        slug="direct_paging",
        title="Direct paging",
        description="Pages created by people, not by monitoring.",
        templates={
            "grouping_id": "{{ payload }}",
            "resolve_condition": None,
            "acknowledge_condition": None,
            "source_link": "{{ payload.oncall.permalink }}",
            "web_title": "{{ payload.oncall.title }}",
            "web_message": "{{ payload.oncall.message }}\n\nPaged by {{ payload.oncall.author_username }}",
            "web_image_url": None,
        },
        autoresolve_capable=False,
        demo_enabled=False,
        creatable=False,
    ),
    IntegrationType(
        slug="grafana",
        title="Grafana (legacy alerting)",
        description="Grafana 8 and older legacy alerting.",
        templates={
            "grouping_id": (
                '{{ payload.get("ruleName", "") or payload.get("labels", {}).get("alertname", '
                '"No title (check Web Title Template)") }}'
            ),
            "resolve_condition": '{{ payload.get("state") == "ok" or payload.get("status", "") == "resolved" }}',
            "acknowledge_condition": None,
            "source_link": '{{ payload.get("ruleUrl", "") or payload.generatorURL }}',
            "web_title": (
                '{{ payload.get("title") or payload.get("ruleName") or '
                '(payload.get("labels") or {}).get("alertname") or "Grafana alert" }}'
            ),
            "web_message": '{{ payload.get("message", "") }}',
            "web_image_url": '{{ payload.get("imageUrl", "") }}',
        },
        example_payload={
            "ruleName": "Demo alert",
            "state": "alerting",
            "title": "[Alerting] Demo alert",
            "message": "A demonstration alert.",
            "ruleUrl": "",
            "evalMatches": [],
        },
        based_on_alertmanager=True,
        heartbeat_available=True,
    ),
    IntegrationType(
        slug="legacy_alertmanager",
        title="(Legacy) Alertmanager",
        description="Per-alert Alertmanager processing (kept for migrated integrations).",
        templates={
            "grouping_id": "{{ payload.labels }}",
            "resolve_condition": '{{ payload.status == "resolved" }}',
            "acknowledge_condition": None,
            "source_link": "{{ payload.generatorURL }}",
            "web_title": '{{ (payload.get("labels") or {}).get("alertname") or "Alertmanager alert" }}',
            "web_message": (
                '{{ (payload.get("annotations") or {}).get("summary") or '
                '(payload.get("annotations") or {}).get("message") or "" }}'
            ),
            "web_image_url": None,
        },
        example_payload=_am_demo(_AM_ALERTS),
        based_on_alertmanager=True,
        heartbeat_available=True,
        creatable=False,
    ),
    IntegrationType(
        slug="legacy_grafana_alerting",
        title="(Legacy) Grafana Alerting",
        description="Per-alert Grafana Alerting processing (kept for migrated integrations).",
        templates={
            "grouping_id": '{{ (payload.get("labels") or {}).get("alertname") }}',
            "resolve_condition": '{{ payload.get("status", "") == "resolved" }}',
            "acknowledge_condition": None,
            "source_link": "{{ payload.generatorURL }}",
            "web_title": '{{ (payload.get("labels") or {}).get("alertname") or "Grafana alert" }}',
            "web_message": '{{ (payload.get("annotations") or {}).get("summary") or "" }}',
            "web_image_url": None,
        },
        example_payload=_am_demo(_AM_ALERTS),
        based_on_alertmanager=True,
        creatable=False,
    ),
    IntegrationType(
        slug="maintenance",
        title="Maintenance",
        description="Collects alert groups during maintenance.",
        templates={
            "grouping_id": None,
            "resolve_condition": None,
            "acknowledge_condition": None,
            "source_link": None,
            "web_title": '{{ payload.get("title", "Maintenance") }}',
            "web_message": "{{ payload.message }}",
            "web_image_url": None,
        },
        autoresolve_capable=False,
        demo_enabled=False,
        has_ingest_url=False,
        creatable=False,
    ),
    IntegrationType(
        slug="manual",
        title="Manual",
        description="Alert groups created by hand.",
        templates={
            "grouping_id": "{{ payload }}",
            "resolve_condition": None,
            "acknowledge_condition": None,
            "source_link": "{{ payload.oncall.permalink }}",
            "web_title": "{{ payload.oncall.title }}",
            "web_message": "{{ payload.oncall.message }}",
            "web_image_url": None,
        },
        autoresolve_capable=False,
        demo_enabled=False,
        has_ingest_url=False,
        creatable=False,
    ),
)

INTEGRATION_TYPES: dict[str, IntegrationType] = {t.slug: t for t in _TYPES}


def get_type(slug: str) -> IntegrationType | None:
    return INTEGRATION_TYPES.get(slug)


def url_slug_accepts(url_slug: str, integration_type: str) -> bool:
    """Whether an ingest URL written for `url_slug` may carry alerts of an integration of this type
    (legacy types keep the URL of their modern twin)."""
    kind = INTEGRATION_TYPES.get(integration_type)
    return kind is not None and kind.has_ingest_url and kind.url_slug == url_slug
