"""Integration and route configuration, labels, preview and demo alerts through the real API handler."""

import pytest

from oncall import wiring
from oncall.models import Integration, Route
from tests.builders import am_payload
from tests.integration.conftest import create_integration, ingest_path


def _groups(aws, query):
    return aws.api("GET", "alert_groups", query=query).body["results"]


def test_patch_and_put_change_only_what_is_sent(aws):
    integration = create_integration(aws, name="AM", description_short="first")
    patched = aws.api(
        "PATCH",
        f"integrations/{integration['id']}",
        {
            "templates": {"web": {"title": "{{ payload.status }}"}},
            "labels": {"team": "db"},
            "grouping_scope": "integration",
            "auto_resolve_minutes": 120,
            "rate_limit": {"alerts": 300, "per_seconds": 300},
        },
    )
    assert patched.status == 200, patched.body
    body = patched.body
    assert (body["name"], body["description_short"], body["link"]) == ("AM", "first", integration["link"])
    assert body["templates"]["web"] == {"title": "{{ payload.status }}", "message": None, "image_url": None}
    assert body["labels"] == {"team": "db"} and body["grouping_scope"] == "integration"
    assert body["auto_resolve_minutes"] == 120 and body["rate_limit"] == {"alerts": 300, "per_seconds": 300}
    replaced = aws.api("PUT", f"integrations/{integration['id']}", {"name": "AM2", "templates": {"web": None}})
    assert replaced.body["name"] == "AM2" and replaced.body["templates"]["web"]["title"] is None
    assert replaced.body["labels"] == {"team": "db"}
    assert aws.api("GET", f"integrations/{integration['id']}").body == replaced.body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"templates": {"grouping_key": "{{ oops"}}, "templates"),
        ({"templates": {"nonsense": "x"}}, "templates"),
        ({"rate_limit": {"alerts": 0, "per_seconds": 60}}, "rate_limit.alerts"),
        ({"grouping_scope": "team"}, "grouping_scope"),
        ({"auto_resolve_minutes": 0}, "auto_resolve_minutes"),
        ({"labels": {"team": "none"}}, "labels"),
        ({"name": None}, "name"),
    ],
)
def test_bad_updates_are_400_naming_the_field(aws, body, field):
    integration = create_integration(aws)
    response = aws.api("PATCH", f"integrations/{integration['id']}", body)
    assert response.status == 400, response.body
    assert field in response.body and field in response.body["detail"]


def test_delete_integration_keeps_its_alert_groups(aws):
    integration = create_integration(aws)
    aws.http("POST", ingest_path(integration), am_payload())
    aws.drain()
    assert aws.api("DELETE", f"integrations/{integration['id']}").status == 204
    assert aws.api("GET", f"integrations/{integration['id']}").status == 404
    assert aws.api("GET", "routes", query=f"integration_id={integration['id']}").body["count"] == 0
    assert aws.http("POST", ingest_path(integration), am_payload()).status == 403
    assert len(_groups(aws, f"integration_id={integration['id']}")) == 1
    assert aws.api("DELETE", f"integrations/{integration['id']}").status == 404


def test_routes_positions_labels_and_the_default_route(aws):
    integration = create_integration(aws, labels={"team": "db"})
    path = "routes"

    def create(**fields):
        response = aws.api("POST", path, {"integration_id": integration["id"], **fields})
        assert response.status == 201, response.body
        return response.body

    a = create(routing_regex="a")
    labels = create(routing_type="labels", routing_labels=[{"key": {"name": "team"}, "value": {"name": "db"}}])
    assert labels["routing_labels"] == {"team": "db"} and labels["position"] == 1 and labels["routing_regex"] is None
    moved = aws.api("PATCH", f"routes/{labels['id']}", {"position": 0})
    assert moved.body["position"] == 0
    listed = aws.api("GET", path, query=f"integration_id={integration['id']}").body["results"]
    assert [(r["id"], r["position"]) for r in listed[:2]] == [(labels["id"], 0), (a["id"], 1)]
    default_id = integration["default_route"]["id"]
    refused = aws.api("DELETE", f"routes/{default_id}")
    assert refused.status == 400 and "default route" in refused.body["detail"]
    assert aws.api("PUT", f"routes/{default_id}", {"routing_regex": "x"}).status == 400
    assert aws.api("DELETE", f"routes/{labels['id']}").status == 204
    assert aws.api("GET", f"routes/{a['id']}").body["position"] == 0
    # an alert with team=db would have taken the labels route; now it falls to the default
    bad = aws.api("POST", path, {"integration_id": integration["id"], "routing_type": "labels"})
    assert bad.status == 400 and "routing_labels" in bad.body


def test_labels_in_alert_groups_and_the_label_filter(aws):
    integration = create_integration(
        aws,
        labels={"team": "db"},
        dynamic_labels={
            "severity": "{{ payload.commonLabels.severity }}",
            "alert": "{{ payload.groupLabels.alertname }}",
        },
    )
    labels_route = aws.api(
        "POST",
        "routes",
        {"integration_id": integration["id"], "routing_type": "labels", "routing_labels": {"alert": "Disk,Full"}},
    ).body
    aws.http("POST", ingest_path(integration), am_payload(alertname="Disk,Full"))
    aws.http("POST", ingest_path(integration), am_payload(alertname="CPU"))
    aws.drain()
    [disk] = _groups(aws, "label=alert:Disk,Full&label=team:db")
    assert disk["route_id"] == labels_route["id"]
    assert disk["labels"] == [
        {"key": {"id": "alert", "name": "alert"}, "value": {"id": "Disk,Full", "name": "Disk,Full"}},
        {"key": {"id": "severity", "name": "severity"}, "value": {"id": "critical", "name": "critical"}},
        {"key": {"id": "team", "name": "team"}, "value": {"id": "db", "name": "db"}},
    ]
    assert len(_groups(aws, "label=team:db")) == 2
    assert _groups(aws, "label=team:db&label=alert:nothing") == []
    assert aws.api("GET", "alert_groups", query="label=novalue").status == 400
    assert aws.api("GET", f"alert_groups/{disk['id']}").body["labels"] == disk["labels"]


def test_preview_endpoints_render_what_route_would(aws):
    integration = create_integration(aws)
    one = aws.api(
        "POST",
        f"integrations/{integration['id']}/preview_template",
        {"template_name": "resolve_signal", "payload": am_payload("resolved")},
    )
    assert one.status == 200 and one.body == {"preview": "True", "error": None, "is_truthy": True}
    broken = aws.api(
        "POST",
        f"integrations/{integration['id']}/preview_template",
        {"template_name": "web.title", "template_body": "{% if %}", "payload": {}},
    )
    assert broken.body["preview"] is None and broken.body["error"].startswith("Template Error:")
    # without a payload: the latest alert of the integration
    aws.http("POST", ingest_path(integration), am_payload(alertname="Latest"))
    aws.drain()
    everything = aws.api("POST", f"integrations/{integration['id']}/preview", {})
    assert everything.status == 200
    assert everything.body["templates"]["web.title"]["preview"] == "Latest"
    assert everything.body["route_id"] == integration["default_route"]["id"]
    unknown = aws.api("POST", f"integrations/{integration['id']}/preview_template", {"template_name": "nope"})
    assert unknown.status == 400 and "template_name" in unknown.body
    assert aws.api("POST", "integrations/Cnope/preview", {}).status == 404


def test_demo_alert_endpoint_custom_payload_and_refusals(aws):
    integration = create_integration(aws, "webhook")
    custom = {"title": "Custom demo", "alert_uid": "same"}
    for path in ("demo_alert", "send_demo_alert"):
        response = aws.api("POST", f"integrations/{integration['id']}/{path}", {"demo_alert_payload": custom})
        assert response.status == 200, response.body
    aws.drain()
    groups = _groups(aws, f"integration_id={integration['id']}")
    assert len(groups) == 2  # never groups, even with the same uid
    assert [g["last_alert"]["payload"] for g in groups] == [custom, custom]  # lists show it too, as OnCall
    detail = aws.api("GET", f"alert_groups/{groups[0]['id']}").body
    assert detail["last_alert"]["payload"] == custom
    not_object = aws.api("POST", f"integrations/{integration['id']}/demo_alert", {"demo_alert_payload": [1, 2]})
    assert not_object.status == 400 and "demo_alert_payload" in not_object.body
    # a type without demo alerts (OnCall: direct paging, manual, maintenance)
    now = "2026-01-01T00:00:00Z"
    wiring.store().create_integration(
        Integration(
            id="CPAGING", name="Paging", type="direct_paging", token="t" * 25, default_route_id="RP", created_at=now
        ),
        Route(id="RP", integration_id="CPAGING", position=0, is_default=True, created_at=now),
    )
    refused = aws.api("POST", "integrations/CPAGING/demo_alert", {})
    assert refused.status == 400 and "Demo alerts are not available" in refused.body["detail"]
