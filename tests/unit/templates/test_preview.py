import pytest

from oncall.dispatch.pipeline import process_alert
from oncall.models import IngestMessage
from oncall.platform.errors import ValidationError
from oncall.templates.preview import preview_integration, preview_template
from tests import builders

BASE = "https://oncall.example"


def _preview(store, clock, integration, name, body=None, payload=None):
    return preview_template(integration, name, body, payload, store=store, now=clock.now(), base_url=BASE)


def test_conditions_report_truthiness(store, clock):
    integration, _ = builders.integration(store, clock)
    resolved = _preview(store, clock, integration, "resolve_signal", payload=builders.am_payload("resolved"))
    firing = _preview(store, clock, integration, "resolve_signal", payload=builders.am_payload())
    assert resolved == {"preview": "True", "error": None, "is_truthy": True}
    assert firing["is_truthy"] is False and firing["error"] is None
    assert _preview(store, clock, integration, "grouping_key", payload={"groupKey": "g"})["is_truthy"] is None


def test_a_body_is_previewed_with_labels_as_route_sees_them(store, clock):
    integration, _ = builders.integration(store, clock, kind="webhook", labels={"team": "db"})
    body = "{{ labels.team }}-{{ payload.id }}"
    assert _preview(store, clock, integration, "grouping_key", body, {"id": 7})["preview"] == "db-7"


def test_a_template_that_renders_is_never_rejected(store, clock):
    # OnCall #3425: a regex-looking jinja2 condition was refused by a separate validator
    integration, _ = builders.integration(store, clock, kind="webhook")
    body = "{{ payload.host | regex_match('^db-[0-9]+$') }}"
    result = _preview(store, clock, integration, "resolve_signal", body, {"host": "db-12"})
    assert result == {"preview": "True", "error": None, "is_truthy": True}


def test_syntax_and_runtime_errors_are_the_renderer_messages(store, clock):
    integration, _ = builders.integration(store, clock, kind="webhook")
    syntax = _preview(store, clock, integration, "grouping_key", "{{ payload.x", {})
    runtime = _preview(store, clock, integration, "acknowledge_signal", "{{ payload.a.b.c }}", {})
    title = _preview(store, clock, integration, "web.title", "{{ payload.a.b.c }}", {})
    assert syntax["preview"] is None and syntax["error"].startswith("Template Error:")
    assert runtime["preview"] is None and runtime["error"].startswith("Template Warning:")
    assert runtime["is_truthy"] is False
    assert title["preview"] is None and title["error"].startswith("Template Warning:")


def test_appearance_goes_through_the_channel_renderer(store, clock):
    integration, _ = builders.integration(store, clock, name="Prod AM")
    result = _preview(
        store, clock, integration, "sms.title", "{{ integration_name }}: {{ payload.status }}", {"status": "firing"}
    )
    assert result == {"preview": "Prod AM: firing", "error": None, "is_truthy": None}
    # internal slot names work too, and the effective (default) template is used without a body
    default = _preview(store, clock, integration, "web_title", payload=builders.am_payload())
    assert default["preview"] == "DiskFull"


def test_default_payload_is_the_latest_alert_then_the_example(store, clock, deps):
    integration, _ = builders.integration(store, clock, kind="webhook")
    example = _preview(store, clock, integration, "grouping_key", "{{ payload | tojson }}")
    assert example["error"] is None and example["preview"] != "{}"  # the type's example payload
    for n in (1, 2):
        clock.advance(seconds=1)
        alert = builders.alert(store, clock, integration, {"n": n})
        process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps)
    assert _preview(store, clock, integration, "grouping_key", "{{ payload.n }}")["preview"] == "2"


def test_no_payload_and_nothing_to_fall_back_on_is_a_field_error(store, clock):
    integration, _ = builders.integration(store, clock, kind="webhook")
    integration = integration.model_copy(update={"type": "not-a-type"})
    with pytest.raises(ValidationError) as missing:
        _preview(store, clock, integration, "grouping_key")
    assert "payload" in missing.value.fields


def test_unknown_template_name_is_a_field_error(store, clock):
    integration, _ = builders.integration(store, clock)
    with pytest.raises(ValidationError) as unknown:
        _preview(store, clock, integration, "web.subtitle", "x", {})
    assert "template_name" in unknown.value.fields and "web.title" in unknown.value.fields["template_name"][0]


def test_preview_all_shows_what_route_would_decide(store, clock):
    integration, _ = builders.integration(store, clock, dynamic_labels={"sev": "{{ payload.commonLabels.severity }}"})
    critical = builders.route(
        store, clock, integration.id, None, routing_type="labels", routing_labels={"sev": "critical"}
    )
    result = preview_integration(
        integration, builders.am_payload("resolved"), store=store, now=clock.now(), base_url=BASE
    )
    assert result["labels"] == {"sev": "critical"} and result["route_id"] == critical.id
    assert result["groups"] and result["is_resolve_signal"] and not result["is_acknowledge_signal"]
    assert result["title"] == "DiskFull"
    assert result["templates"]["resolve_signal"]["is_truthy"] is True
    assert result["templates"]["web.title"]["preview"] == "DiskFull"
    assert {"grouping_key", "source_link", "sms.title", "phone_call.title", "msteams.message"} <= set(
        result["templates"]
    )
