"""Golden tests: every integration type's example payload through its default templates.

Behaviour outputs (grouping output, resolve/acknowledge signals, source link) are OnCall's
(docs/oncall-compatibility.md#templates); titles
are ours. A change here changes how alerts group, resolve or look for every user of that type.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from oncall.dispatch.grouping import evaluate_signals, template_for
from oncall.intake.types.base import SURFACE_ATTRIBUTES
from oncall.intake.types.catalog import INTEGRATION_TYPES
from oncall.models import Alert, AlertGroup, Integration
from oncall.templates.engine import check_syntax, render, render_condition
from oncall.templates.rendering import SURFACES, render_alert

NOW = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
PAGE = {
    "oncall": {
        "title": "Checkout is down",
        "message": "Customers cannot pay.",
        "uid": "5d4c1e0a-0000-4000-8000-000000000001",
        "author_username": "alice",
        "permalink": "https://oncall.example/pages/1",
        "important": True,
    }
}


def _demo(slug: str) -> dict[str, Any]:
    payload = INTEGRATION_TYPES[slug].example_payload
    assert payload is not None
    return payload


def _element(slug: str) -> dict[str, Any]:
    """Legacy types receive one element of alerts[] per alert."""
    return _demo(slug)["alerts"][0]


@dataclass(frozen=True)
class Golden:
    payload: dict[str, Any]
    grouping: str | None  # the rendered grouping output; "" (or None: no template) = never groups
    source_link: str | None
    title: str
    short: str | None = None  # the SMS/phone title when it differs from the title
    resolved_by: dict[str, Any] = field(default_factory=dict)  # changes that make the payload a resolve signal


AM_GROUP_KEY = '{}:{alertname="InstanceDown"}'
GOLDEN: dict[str, Golden] = {
    "alertmanager": Golden(
        _demo("alertmanager"),
        AM_GROUP_KEY,
        None,
        "InstanceDown",
        short="InstanceDown: 2 firing",
        resolved_by={"status": "resolved"},
    ),
    "grafana_alerting": Golden(
        _demo("grafana_alerting"),
        AM_GROUP_KEY,
        None,
        "InstanceDown",
        short="InstanceDown: 3 firing",
        resolved_by={"status": "resolved"},
    ),
    "webhook": Golden(
        _demo("webhook"),
        "{'message': 'A demonstration alert sent from Serverless OnCall.'}\n",
        None,
        "A demonstration alert sent from Serverless OnCall.",
        resolved_by={"state": "ok"},
    ),
    "formatted_webhook": Golden(
        _demo("formatted_webhook"),
        "1b6f0f3e-6a1d-4c8e-9b1e-2f0c8a7d5e41",
        "https://example.com/checkout/status",
        "Demo alert: checkout service is down",
        resolved_by={"state": "OK"},
    ),
    "zabbix": Golden(
        _demo("zabbix"),
        "1b6f0f3e-6a1d-4c8e-9b1e-2f0c8a7d5e41",
        "https://example.com/checkout/status",
        "Demo alert: checkout service is down",
        resolved_by={"state": "ok"},
    ),
    "kapacitor": Golden(
        _demo("kapacitor"),
        "DemoAlert",
        None,
        "DemoAlert",
        short="DemoAlert: CRITICAL",
        resolved_by={"level": "OK"},
    ),
    "elastalert": Golden(
        _demo("elastalert"),
        "",  # OnCall's demo has no alert_uid: it never groups
        None,
        "A demonstration alert sent from Serverless OnCall.",
        resolved_by={"state": "OK"},
    ),
    "inbound_email": Golden(
        _demo("inbound_email"),
        "DEMO E-MAIL ALERT",
        None,
        "Demo e-mail alert",
        resolved_by={"message": "ok"},
    ),
    "grafana": Golden(
        _demo("grafana"),
        "Demo alert",
        "https://grafana.example.com/d/demo?viewPanel=2",
        "[Alerting] Demo alert",
        resolved_by={"state": "ok"},
    ),
    "legacy_alertmanager": Golden(
        _element("legacy_alertmanager"),
        "{'alertname': 'InstanceDown', 'job': 'node', 'instance': 'localhost:8081', 'group': 'production', "
        "'severity': 'critical'}",
        None,
        "InstanceDown",
        resolved_by={"status": "resolved"},
    ),
    "legacy_grafana_alerting": Golden(
        _element("legacy_grafana_alerting"),
        "InstanceDown",
        None,
        "InstanceDown",
        resolved_by={"status": "resolved"},
    ),
    "direct_paging": Golden(PAGE, str(PAGE), "https://oncall.example/pages/1", "Checkout is down"),
    "manual": Golden(PAGE, str(PAGE), "https://oncall.example/pages/1", "Checkout is down"),
    "maintenance": Golden(
        {"title": "Maintenance: Checkout", "message": "Planned"}, None, None, "Maintenance: Checkout"
    ),
    "amazon_sns": Golden(
        _demo("amazon_sns"),
        "arn:aws:sns:eu-west-1:123456789012:checkout-alarms checkout-api-5xx",
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/checkout-api-5xx",
        "checkout-api-5xx",
        short="checkout-api-5xx: ALARM",
        resolved_by={"NewStateValue": "OK"},
    ),
}


def _integration(slug: str) -> Integration:
    return Integration(id="C1", name=f"Prod {slug}", type=slug, token="t", default_route_id="R1", created_at=NOW)


def _alert(payload: dict[str, Any], is_demo: bool = False) -> Alert:
    return Alert(id="A1", integration_id="C1", payload=payload, received_at=NOW, request_id="q", is_demo=is_demo)


def _group() -> AlertGroup:
    return AlertGroup(
        id="I1",
        number=42,
        integration_id="C1",
        route_id="R1",
        title="fallback",
        started_at=NOW,
        first_alert_id="A1",
        last_alert_id="A1",
    )


def test_every_type_has_a_golden_case():
    assert set(GOLDEN) == set(INTEGRATION_TYPES)


@pytest.mark.parametrize("slug", sorted(INTEGRATION_TYPES))
def test_every_default_template_compiles_and_every_slot_is_defined(slug):
    kind = INTEGRATION_TYPES[slug]
    for surface, attributes in SURFACE_ATTRIBUTES.items():
        for attribute in attributes:
            assert f"{surface}_{attribute}" in kind.templates, f"{slug} lacks {surface}_{attribute}"
    for slot, text in kind.templates.items():
        assert not text or check_syntax(text) is None, (slug, slot, check_syntax(text))


@pytest.mark.parametrize("slug", sorted(GOLDEN))
def test_grouping_output(slug):
    golden = GOLDEN[slug]
    template = template_for(_integration(slug), "grouping_id")
    output = render(template, {"payload": golden.payload, "labels": {}}).text if template else None
    assert output == golden.grouping


@pytest.mark.parametrize("slug", sorted(GOLDEN))
def test_grouping_key_is_the_md5_of_the_output_and_demo_alerts_never_group(slug):
    golden = GOLDEN[slug]
    signals = evaluate_signals(_integration(slug), _alert(golden.payload), {})
    expected = hashlib.md5(golden.grouping.encode(), usedforsecurity=False).hexdigest() if golden.grouping else None
    assert signals.distinction == expected
    assert evaluate_signals(_integration(slug), _alert(golden.payload, is_demo=True), {}).distinction is None
    assert signals.title == golden.title


@pytest.mark.parametrize("slug", sorted(GOLDEN))
def test_resolve_and_acknowledge_signals(slug):
    golden = GOLDEN[slug]
    integration = _integration(slug)
    resolve = template_for(integration, "resolve_condition")
    firing = {"payload": golden.payload, "labels": {}}
    # the demo payload is a firing alert; no type acknowledges by default (OnCall)
    assert render_condition(resolve, firing) is False
    assert template_for(integration, "acknowledge_condition") is None
    if golden.resolved_by:
        assert render_condition(resolve, {"payload": {**golden.payload, **golden.resolved_by}, "labels": {}})
    else:
        assert resolve is None or not INTEGRATION_TYPES[slug].autoresolve_capable


@pytest.mark.parametrize("slug", sorted(GOLDEN))
def test_source_link_and_titles_for_every_surface(slug):
    golden = GOLDEN[slug]
    titles = {}
    for surface in SURFACES:
        rendered = render_alert(
            _integration(slug), _group(), _alert(golden.payload), surface=surface, base_url="https://oncall.example"
        )
        assert rendered.source_link == golden.source_link
        titles[surface] = rendered.title
    expected = {surface: golden.title for surface in SURFACES}
    expected.update(sms=golden.short or golden.title, phone_call=golden.short or golden.title)
    assert titles == expected


@pytest.mark.parametrize("slug", sorted(GOLDEN))
def test_messages_name_the_group_and_fit_their_surface(slug):
    golden = GOLDEN[slug]
    link = "https://oncall.example/console/alert_groups/I1"
    rendered = {
        surface: render_alert(
            _integration(slug), _group(), _alert(golden.payload), surface=surface, base_url="https://oncall.example"
        )
        for surface in SURFACES
    }
    assert f"<{link}|Alert group #42>" in rendered["slack"].message
    assert f'<a href="{link}">Alert group #42</a>' in rendered["telegram"].message
    assert f"[Alert group #42]({link})" in rendered["msteams"].message
    assert f"Alert group #42: {link}" in rendered["email"].message
    assert len(rendered["mobile_app"].message) <= 240
    assert len(rendered["sms"].title) <= 140 and rendered["sms"].message == ""
    assert "Template" not in "".join(r.title + r.message for r in rendered.values())
    if golden.source_link:
        assert f"({golden.source_link})" in rendered["web"].message


def test_alertmanager_web_message_summarises_the_group():
    message = render_alert(
        _integration("alertmanager"), _group(), _alert(_demo("alertmanager")), surface="web", base_url=""
    ).message
    assert message.splitlines() == [
        "**Firing**: 2 firing, 0 resolved · severity **critical**",
        "",
        "Alerts:",
        "- firing: Instance localhost:8081 is down",
        "- firing: Instance localhost:8082 is down",
        "",
        "Grouped by: alertname=InstanceDown",
        "",
        "Common labels: alertname=InstanceDown, job=node, severity=critical",
    ]


def test_alertmanager_title_lists_other_group_labels_and_runbooks_are_linked():
    payload = {
        **_demo("alertmanager"),
        "status": "resolved",
        "groupLabels": {"alertname": "DiskFull", "cluster": "eu-1", "env": "prod"},
        "commonAnnotations": {"summary": "Disk almost full", "runbook_url": "https://runbooks/disk"},
    }
    web = render_alert(_integration("alertmanager"), _group(), _alert(payload), surface="web", base_url="")
    sms = render_alert(_integration("alertmanager"), _group(), _alert(payload), surface="sms", base_url="")
    assert web.title == "DiskFull (eu-1, prod)"
    assert "Disk almost full" in web.message and "Runbook: https://runbooks/disk" in web.message
    assert sms.title == "DiskFull (eu-1, prod): resolved"
