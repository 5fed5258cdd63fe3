"""Appearance rendering: OnCall's context, fallback rules and error surfacing for every surface."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oncall.dispatch.grouping import template_for
from oncall.models import Alert, AlertGroup, Integration
from oncall.templates.rendering import RenderedAlert, alert_id_for_surface, plain_text, render_alert
from tests import builders

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _integration(kind: str = "alertmanager", **templates: str) -> Integration:
    return Integration(
        id="C1", name="Prod AM", type=kind, token="t", default_route_id="R1", created_at=NOW, templates=templates
    )


def _group(**fields) -> AlertGroup:
    return AlertGroup(
        id="I9",
        number=12,
        integration_id="C1",
        route_id="R1",
        title="Stored title",
        started_at=NOW,
        first_alert_id="A1",
        last_alert_id="A2",
        **fields,
    )


def _render(integration: Integration, payload: dict, surface: str = "web") -> RenderedAlert:
    alert = Alert(id="A1", integration_id="C1", payload=payload, received_at=NOW, request_id="q")
    return render_alert(integration, _group(), alert, surface=surface, base_url="https://oncall.test/")


def test_appearance_context_is_oncalls():
    # given templates that print every context variable
    integration = _integration(
        "webhook",
        source_link="{{ payload.url }}",
        web_title="{{ integration_name }}|{{ grafana_oncall_alert_group_id }}|{{ grafana_oncall_incident_id }}",
        web_message="{{ source_link }}|{{ grafana_oncall_link }}|{{ labels is defined }}",
    )
    # when it is rendered
    rendered = _render(integration, {"url": "https://src/1"})
    # then the source link is rendered first and available to the others; labels are not in this context
    assert rendered.title == "Prod AM|12|12"
    assert rendered.message == "https://src/1|https://oncall.test/console/alert_groups/I9|False"
    assert rendered.source_link == "https://src/1"


def test_non_web_surfaces_see_the_rendered_web_values():
    integration = _integration(
        "alertmanager",
        web_title="WEB {{ payload.status }}",
        slack_title="[{{ web_title }}]",
        slack_message="{{ web_message | length > 0 }}",
        slack_image_url="{{ web_image_url }}",
    )
    rendered = _render(integration, builders.am_payload(), "slack")
    assert rendered.title == "[WEB firing]"
    assert rendered.message == "True"
    # the type has no web image template: OnCall's placeholder text
    assert rendered.image_url == "web_image_url is not set"


def test_web_surface_does_not_get_web_values():
    rendered = _render(_integration("webhook", web_title="{{ web_title is defined }}"), {"a": 1})
    assert rendered.title == "False"


def test_custom_web_title_carries_over_to_every_chat_surface():
    integration = _integration("alertmanager", web_title="Custom {{ payload.groupLabels.alertname }}")
    for surface in ("web", "slack", "telegram", "msteams", "email", "mobile_app"):
        assert _render(integration, builders.am_payload(), surface).title == "Custom DiskFull"


def test_empty_override_falls_back_to_the_type_default():
    # OnCall's `custom or default`: an empty template is no template
    integration = _integration("alertmanager", web_title="", grouping_id="")
    assert template_for(integration, "web_title") == template_for(_integration(), "web_title")
    assert template_for(integration, "grouping_id") == "{{ payload.groupKey }}"
    assert _render(integration, builders.am_payload()).title == "DiskFull"


def test_surface_without_its_own_default_uses_the_type_web_default():
    from oncall.intake.types.base import IntegrationType

    kind = IntegrationType(slug="x", title="X", description="", templates={"web_title": "T", "web_message": "M"})
    assert kind.default_template("email_title") == "T"
    assert kind.default_template("mobile_app_message") == "M"
    assert kind.default_template("sms_title") == "T"
    assert kind.default_template("grouping_id") is None


def test_rendered_none_is_null():
    integration = _integration(
        "webhook", web_title="None", web_message=" None ", web_image_url="{{ None }}", source_link="{{ payload.x }}"
    )
    rendered = _render(integration, {"x": None})
    # a null title falls back to the group's stored title
    assert rendered == RenderedAlert(title="Stored title", message="", source_link=None, image_url=None)


def test_template_errors_show_in_place_of_titles_and_messages_but_not_urls():
    integration = _integration(
        "webhook",
        web_title="{{ payload.a.b.c }}",
        web_message="{% if %}",
        web_image_url="{{ payload.a.b.c }}",
        source_link="{{ payload.a.b.c }}",
    )
    rendered = _render(integration, {})
    assert rendered.title.startswith("Template Warning: ")
    assert rendered.message.startswith("Template Error: ")
    assert rendered.image_url is None and rendered.source_link is None


def test_titles_are_limited_to_500_characters():
    rendered = _render(_integration("webhook", web_title="{{ 'x' * 900 }}"), {})
    assert rendered.title == "x" * 500 + ".."


def test_sms_and_phone_titles_are_plain_text():
    template = '*Disk* full on <https://h/1|db-1> see [runbook](https://r) "now"'
    sms = _render(_integration("webhook", sms_title=template), {}, "sms")
    phone = _render(_integration("webhook", phone_call_title=template), {}, "phone_call")
    assert sms.title == 'Disk full on db-1 see runbook "now"'
    assert phone.title == "Disk full on db-1 see runbook now"
    assert sms.message == "" and sms.image_url is None


def test_plain_text_keeps_underscores_in_names():
    assert plain_text("checkout_api_5xx:\nALARM") == "checkout_api_5xx: ALARM"


def test_unknown_surface_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown surface"):
        _render(_integration(), {}, "carrier_pigeon")


def test_which_alert_each_surface_shows():
    group = _group()
    assert alert_id_for_surface(group, "web") == "A2" and alert_id_for_surface(group, "slack") == "A2"
    assert alert_id_for_surface(group, "sms") == "A1" and alert_id_for_surface(group, "phone_call") == "A1"
