import pytest

from oncall import wiring
from oncall.models import ApiToken, ApiTokenRole
from oncall.platform import ids
from tests.builders import am_payload
from tests.integration.conftest import create_chain, create_integration, ingest_path


def test_integration_create_get_list(aws):
    created = create_integration(aws, "alertmanager", name="Prometheus prod")
    assert created["link"].startswith("https://oncall.test/integrations/v1/alertmanager/")
    assert created["type"] == "alertmanager" and created["default_route"]["escalation_chain_id"] is None
    assert aws.api("GET", f"integrations/{created['id']}").body == created
    listed = aws.api("GET", "integrations", query="name=Prometheus+prod").body
    assert listed["count"] == 1 and listed["results"][0]["id"] == created["id"]


def test_routes_chains_and_policies(aws):
    chain = create_chain(aws, [{"type": "notify_channel", "channel": "outbox://a"}, {"type": "wait", "duration": 90}])
    integration = create_integration(aws, chain_id=chain["id"])
    route = aws.api(
        "POST",
        "routes",
        {"integration_id": integration["id"], "routing_regex": "critical", "escalation_chain_id": chain["id"]},
    )
    assert route.status == 201 and route.body["position"] == 0 and not route.body["is_the_last_route"]
    routes = aws.api("GET", "routes", query=f"integration_id={integration['id']}").body["results"]
    assert [r["is_the_last_route"] for r in routes] == [False, True]
    steps = aws.api("GET", "escalation_policies", query=f"escalation_chain_id={chain['id']}").body["results"]
    assert [(s["position"], s["type"]) for s in steps] == [(0, "notify_channel"), (1, "wait")]
    assert steps[1]["duration"] == 90


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("integrations", {"name": "no type"}, "type"),
        ("integrations", {"type": "nonsense"}, "type"),
        ("escalation_policies", {"escalation_chain_id": "Fnope", "type": "wait"}, "escalation_chain_id"),
        ("escalation_policies", {"escalation_chain_id": "F1", "type": "wait", "duration": 5}, "duration"),
        ("routes", {"integration_id": "Cnope", "routing_regex": "x"}, "integration_id"),
    ],
)
def test_bad_input_is_400_naming_the_field(aws, path, body, field):
    response = aws.api("POST", path, body)
    assert response.status == 400
    assert field in response.body and field in response.body["detail"]


def test_malformed_json_is_400(aws):
    response = aws.http("POST", "/api/v1/integrations/", "{not json", headers={"authorization": "admin-test-token"})
    assert response.status == 400


def test_unknown_object_is_404(aws):
    assert aws.api("GET", "integrations/Cnope").body == {"detail": "Not found."}
    assert aws.api("GET", "alert_groups/Inope").status == 404
    assert aws.api("GET", "nothing/here").status == 404


def test_authentication_and_roles(aws):
    assert aws.api("GET", "integrations", token="").status == 401
    assert aws.api("GET", "integrations", token="wrong").status == 401
    viewer = ids.api_token()
    wiring.store().put_api_token(
        ApiToken(
            id="T1",
            name="viewer",
            role=ApiTokenRole.VIEWER,
            digest=ids.token_digest(viewer),
            created_at="2026-01-01T00:00:00Z",
        )
    )
    assert aws.api("GET", "integrations", token=viewer).status == 200
    assert aws.api("POST", "integrations", {"type": "webhook"}, token=viewer).status == 403


def test_alert_groups_list_filters_and_detail(aws):
    integration = create_integration(aws)
    aws.http("POST", ingest_path(integration), am_payload(alertname="A"))
    aws.http("POST", ingest_path(integration), am_payload(alertname="B"))
    aws.http("POST", ingest_path(integration), am_payload("resolved", alertname="B"))
    aws.drain()
    groups = aws.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body
    assert groups["count"] == 2
    resolved = aws.api("GET", "alert_groups", query="state=resolved").body["results"]
    new = aws.api("GET", "alert_groups", query="state=new").body["results"]
    assert [g["title"] for g in resolved] == ["B"] and [g["title"] for g in new] == ["A"]
    detail = aws.api("GET", f"alert_groups/{resolved[0]['id']}").body
    assert detail["alerts_count"] == 2 and detail["last_alert"]["payload"]["status"] == "resolved"
    timeline = aws.api("GET", f"alert_groups/{resolved[0]['id']}/timeline").body["results"]
    assert [e["type"] for e in timeline] == ["registered", "resolved"]
    alerts = aws.api("GET", "alerts", query=f"alert_group_id={resolved[0]['id']}").body
    assert alerts["count"] == 2


def test_demo_alert_never_groups(aws):
    integration = create_integration(aws, "webhook")
    for _ in range(2):
        response = aws.api("POST", f"integrations/{integration['id']}/send_demo_alert", {})
        assert response.status == 200 and response.body["alert_id"].startswith("A")
    aws.drain()
    groups = aws.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body
    assert groups["count"] == 2


def test_pagination(aws):
    for _ in range(3):
        create_integration(aws)
    page = aws.api("GET", "integrations", query="page=2&perpage=2").body
    assert (page["count"], page["current_page_number"], len(page["results"])) == (3, 2, 1)
    assert page["previous"] == "https://oncall.test/api/v1/integrations/?page=1&perpage=2"
    assert aws.api("GET", "integrations", query="page=zero").status == 400
