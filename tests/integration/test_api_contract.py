"""The management API's contract, resource by resource, through the real handler on moto: OnCall's paths,
filters, pagination envelope and shapes (checked against the served OpenAPI document), tokens and roles,
the rate limit, errors, and the OpenAPI document itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from oncall import VERSION, wiring
from tests.builders import am_payload
from tests.integration.conftest import ADMIN_TOKEN, BASE_URL, create_chain, create_integration, ingest_path
from tests.integration.openapi_check import assert_shape

ROOT = Path(__file__).resolve().parents[2]


def _token(aws, role: str, **fields) -> str:
    created = aws.api("POST", "tokens", {"name": f"{role} token", "role": role, **fields})
    assert created.status == 201, created.body
    return created.body["token"]


def _fire(aws, integration: dict, **labels) -> None:
    aws.http("POST", ingest_path(integration), am_payload(**labels))


# ------------------------------------------------------------------------------------------ pagination
def test_pagination_envelope_links_and_out_of_range_pages(aws):
    for n in range(5):
        create_integration(aws, "webhook", name=f"hook {n}")

    first = aws.api("GET", "integrations", query="perpage=2")
    middle = aws.api("GET", "integrations", query="perpage=2&page=2")
    beyond = aws.api("GET", "integrations", query="perpage=2&page=99")

    assert_shape("IntegrationPage", first.body)
    assert {k: first.body[k] for k in ("count", "page_size", "current_page_number", "total_pages")} == {
        "count": 5,
        "page_size": 2,
        "current_page_number": 1,
        "total_pages": 3,
    }
    assert first.body["previous"] is None
    assert first.body["next"] == f"{BASE_URL}/api/v1/integrations/?page=2&perpage=2"
    assert middle.body["previous"] == f"{BASE_URL}/api/v1/integrations/?page=1&perpage=2"
    assert [i["name"] for i in middle.body["results"]] == ["hook 2", "hook 3"]
    assert beyond.body["current_page_number"] == 3 and [i["name"] for i in beyond.body["results"]] == ["hook 4"]
    assert aws.api("GET", "integrations", query="page=0").status == 400


def test_trailing_slash_is_optional(aws):
    headers = {"authorization": ADMIN_TOKEN}
    assert aws.http("GET", "/api/v1/integrations", headers=headers).status == 200
    assert aws.http("GET", "/api/v1/integrations/", headers=headers).status == 200
    created = aws.http("POST", "/api/v1/escalation_chains", json.dumps({"name": "no slash"}), headers=headers)
    assert created.status == 201
    assert aws.http("GET", f"/api/v1/escalation_chains/{created.body['id']}", headers=headers).status == 200


# ------------------------------------------------------------------------------------------ integrations, routes
def test_integrations_filter_by_name_and_team(aws):
    ours = create_integration(aws, "webhook", name="Same", team_id="TSRE")
    create_integration(aws, "webhook", name="Same", team_id="TDB")
    create_integration(aws, "webhook", name="Other", team_id="TSRE")

    by_both = aws.api("GET", "integrations", query="name=Same&team_id=TSRE").body
    by_team = aws.api("GET", "integrations", query="team_id=TSRE").body

    assert [i["id"] for i in by_both["results"]] == [ours["id"]]
    assert sorted(i["name"] for i in by_team["results"]) == ["Other", "Same"]
    assert by_team["results"][0]["id"].startswith("C")
    assert_shape("IntegrationOut", ours)


def test_routes_filters_order_and_the_default_route(aws):
    integration = create_integration(aws)
    first = aws.api("POST", "routes", {"integration_id": integration["id"], "routing_regex": "db"}).body
    second = aws.api("POST", "routes", {"integration_id": integration["id"], "routing_regex": "web", "position": 0})
    create_integration(aws)  # another integration's default route

    mine = aws.api("GET", "routes", query=f"integration_id={integration['id']}").body
    by_regex = aws.api("GET", "routes", query="routing_regex=db").body

    assert_shape("RoutePage", mine)
    assert mine["page_size"] == 25  # OnCall's default for routes
    assert [(r["routing_regex"], r["position"], r["is_the_last_route"]) for r in mine["results"]] == [
        ("web", 0, False),
        ("db", 1, False),
        (None, 2, True),
    ]
    assert [r["id"] for r in by_regex["results"]] == [first["id"]]
    assert second.body["id"].startswith("R")
    default_id = integration["default_route"]["id"]
    assert aws.api("GET", f"routes/{default_id}").body["position"] == 2
    refused = aws.api("DELETE", f"routes/{default_id}")
    assert refused.status == 400 and "default route" in refused.body["detail"]


# ------------------------------------------------------------------------------------------ escalation chains
def test_escalation_chain_crud_and_filters(aws):
    chain = aws.api("POST", "escalation_chains", {"name": "Primary", "team_id": "TSRE"})
    assert chain.status == 201 and chain.body["id"].startswith("F")
    assert_shape("ChainOut", chain.body)
    chain_id = chain.body["id"]
    aws.api("POST", "escalation_chains", {"name": "Secondary"})

    renamed = aws.api("PATCH", f"escalation_chains/{chain_id}", {"name": "Tier 1"})
    assert renamed.body == {"id": chain_id, "name": "Tier 1", "team_id": "TSRE"}
    replaced = aws.api("PUT", f"escalation_chains/{chain_id}", {"name": "Tier one"})
    assert replaced.body == {"id": chain_id, "name": "Tier one", "team_id": None}  # PUT replaces
    taken = aws.api("PATCH", f"escalation_chains/{chain_id}", {"name": "Secondary"})
    assert taken.status == 400 and "name" in taken.body
    assert aws.api("PATCH", f"escalation_chains/{chain_id}", {"name": None}).status == 400
    aws.api("PATCH", f"escalation_chains/{chain_id}", {"team_id": "TDB"})

    assert [c["name"] for c in aws.api("GET", "escalation_chains", query="team_id=TDB").body["results"]] == ["Tier one"]
    assert [c["id"] for c in aws.api("GET", "escalation_chains", query="name=Secondary").body["results"]] != [chain_id]
    assert aws.api("PUT", "escalation_chains/Fnope", {"name": "x"}).status == 404


def test_deleting_a_chain_deletes_its_policies_and_unlinks_routes(aws):
    chain = create_chain(aws, [{"type": "wait", "duration": 60}, {"type": "resolve"}])
    other = create_chain(aws, [{"type": "resolve"}])
    integration = create_integration(aws, chain_id=chain["id"])
    route = aws.api(
        "POST",
        "routes",
        {"integration_id": integration["id"], "routing_regex": "x", "escalation_chain_id": other["id"]},
    ).body

    deleted = aws.api("DELETE", f"escalation_chains/{chain['id']}")

    assert deleted.status == 204
    assert aws.api("GET", f"escalation_chains/{chain['id']}").status == 404
    policies = aws.api("GET", "escalation_policies").body["results"]
    assert {p["escalation_chain_id"] for p in policies} == {other["id"]}
    assert aws.api("GET", f"integrations/{integration['id']}").body["default_route"]["escalation_chain_id"] is None
    assert aws.api("GET", f"routes/{route['id']}").body["escalation_chain_id"] == other["id"]
    assert aws.api("DELETE", f"escalation_chains/{chain['id']}").status == 404


def test_escalation_policies_patch_like_put(aws):
    chain = create_chain(aws, [{"type": "wait", "duration": 60}, {"type": "resolve"}])
    [wait, resolve] = aws.api("GET", "escalation_policies", query=f"escalation_chain_id={chain['id']}").body["results"]

    patched = aws.api("PATCH", f"escalation_policies/{resolve['id']}", {"position": 0})
    longer = aws.api("PATCH", f"escalation_policies/{wait['id']}", {"duration": 600})

    assert patched.status == 200 and patched.body["position"] == 0
    assert longer.body == {
        "id": wait["id"],
        "escalation_chain_id": chain["id"],
        "position": 1,
        "type": "wait",
        "duration": 600,
    }
    assert_shape("PolicyOut", longer.body)


# ------------------------------------------------------------------------------------------ alert groups, alerts
def test_alert_group_filters_order_and_shape(aws):
    sre = create_integration(aws, name="sre", team_id="TSRE")
    other = create_integration(aws, name="other")
    _fire(aws, sre, alertname="Disk", severity="critical")
    _fire(aws, sre, alertname="CPU", severity="warning")
    _fire(aws, other, alertname="Net")
    aws.drain()
    groups = aws.api("GET", "alert_groups").body
    assert_shape("AlertGroupPage", groups)
    newest, middle, oldest = groups["results"]
    assert newest["created_at"] >= middle["created_at"] >= oldest["created_at"]  # -started_at
    assert all(g["last_alert"] and g["last_alert"]["alert_group_id"] == g["id"] for g in groups["results"])
    cpu = next(g for g in groups["results"] if "CPU" in json.dumps(g["last_alert"]["payload"]))
    aws.api("POST", f"alert_groups/{cpu['id']}/acknowledge")

    def ids(query: str) -> set[str]:
        response = aws.api("GET", "alert_groups", query=query)
        assert response.status == 200, response.body
        return {g["id"] for g in response.body["results"]}

    sre_ids = {g["id"] for g in groups["results"] if g["integration_id"] == sre["id"]}
    assert ids("team_id=TSRE") == sre_ids
    assert {g["team_id"] for g in groups["results"] if g["id"] in sre_ids} == {"TSRE"}
    assert ids(f"integration_id={other['id']}") == {g["id"] for g in groups["results"]} - sre_ids
    assert ids(f"route_id={sre['default_route']['id']}") == sre_ids
    assert ids(f"id={cpu['id']}") == {cpu["id"]}
    assert ids("state=acknowledged") == {cpu["id"]}
    assert ids("state=new") == {g["id"] for g in groups["results"]} - {cpu["id"]}
    assert ids("state=resolved") == set()
    assert ids("label=severity:critical") == set()  # alertmanager groups carry labels only when configured
    now = datetime.now(UTC)
    window = f"{(now - timedelta(hours=1)):%Y-%m-%dT%H:%M:%S}_{(now + timedelta(hours=1)):%Y-%m-%dT%H:%M:%S}"
    assert len(ids(f"started_at={window}")) == 3
    assert ids("started_at=2000-01-01T00:00:00_2000-01-02T00:00:00") == set()
    bad_state = aws.api("GET", "alert_groups", query="state=open")
    assert bad_state.status == 400 and "state" in bad_state.body
    bad_window = aws.api("GET", "alert_groups", query="started_at=yesterday")
    assert bad_window.status == 400 and "started_at" in bad_window.body
    assert aws.api("GET", "alert_groups", query="started_at=2026-01-01T00:00:00").status == 400


def test_alerts_filters_search_and_order(aws):
    integration = create_integration(aws, "webhook")
    aws.http("POST", ingest_path(integration), {"title": "Disk FULL on db-1", "n": 1})
    aws.http("POST", ingest_path(integration), {"title": "disk full on db-2", "n": 2})
    aws.http("POST", ingest_path(integration), {"title": "CPU high", "n": 3})
    aws.drain()

    everything = aws.api("GET", "alerts").body
    found = aws.api("GET", "alerts", query="search=DISK+full").body

    assert_shape("AlertPage", everything)
    assert [a["payload"]["n"] for a in everything["results"]] == [3, 2, 1]  # newest first, across groups
    assert [a["payload"]["n"] for a in found["results"]] == [2, 1]
    assert all(a["id"].startswith("A") for a in everything["results"])
    one = everything["results"][1]
    assert [a["id"] for a in aws.api("GET", "alerts", query=f"id={one['id']}").body["results"]] == [one["id"]]
    in_group = aws.api("GET", "alerts", query=f"alert_group_id={one['alert_group_id']}").body["results"]
    assert [a["id"] for a in in_group] == [one["id"]]
    assert aws.api("GET", "alerts", query=f"id={one['id']}&alert_group_id=Inope").body["count"] == 0
    assert aws.api("GET", "alerts", query="id=Anope").body["count"] == 0


def test_delete_alert_group_modes(aws):
    integration = create_integration(aws, "webhook")
    aws.http("POST", ingest_path(integration), {"title": "one"})
    aws.http("POST", ingest_path(integration), {"title": "two"})
    aws.drain()
    first, second = (g["id"] for g in aws.api("GET", "alert_groups").body["results"])

    assert aws.api("DELETE", f"alert_groups/{first}").status == 204  # default: wipe
    assert aws.api("DELETE", f"alert_groups/{second}", {"mode": "delete"}).status == 204

    wiped = aws.api("GET", f"alert_groups/{first}").body
    assert wiped["state"] == "resolved" and "Wiped" in json.dumps(wiped["last_alert"]["payload"])
    assert aws.api("GET", f"alert_groups/{second}").status == 404
    assert aws.api("DELETE", f"alert_groups/{first}", {"mode": "shred"}).status == 400


# ------------------------------------------------------------------------------------------ webhooks, people
def test_webhooks_filter_by_team(aws):
    body = {"url": "https://hooks.example.com/x", "trigger_type": "resolve"}
    team, other = (aws.api("POST", "teams", {"name": name}).body["id"] for name in ("SRE", "DB"))
    sre = aws.api("POST", "webhooks", {**body, "name": "sre", "team": team}).body
    aws.api("POST", "webhooks", {**body, "name": "db", "team": other})
    listed = aws.api("GET", "webhooks", query=f"team_id={team}").body
    assert_shape("WebhookPage", listed)
    assert [w["id"] for w in listed["results"]] == [sre["id"]] and sre["id"].startswith("WH")


def test_people_shapes(aws):
    team = aws.api("POST", "teams", {"name": "SRE"}).body
    user = aws.api("POST", "users", {"username": "alice", "teams": [team["id"]]}).body
    schedule = aws.api(
        "POST",
        "schedules",
        {"name": "Primary", "layers": [{"users": [user["id"]], "start": "2026-03-23T09:00:00"}]},
    ).body
    assert_shape("UserOut", user)
    assert_shape("TeamOut", aws.api("GET", f"teams/{team['id']}").body)
    assert_shape("ScheduleOut", schedule)
    assert_shape("UserPage", aws.api("GET", "users").body)
    assert_shape("SchedulePage", aws.api("GET", "schedules").body)
    assert [user["id"][0], team["id"][0], schedule["id"][0]] == ["U", "T", "S"]


# ------------------------------------------------------------------------------------------ info, organizations
def test_info_and_organizations(aws):
    info = aws.api("GET", "info").body
    organizations = aws.api("GET", "organizations").body
    [organization] = organizations["results"]

    assert info == {"url": BASE_URL, "version": VERSION}
    assert organization["id"].startswith("O") and len(organization["id"]) == 13
    assert aws.api("GET", f"organizations/{organization['id']}").body == organization
    assert aws.api("GET", "organizations/Onope").status == 404
    assert_shape("OrganizationPage", organizations)


def test_version_matches_the_package():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{VERSION}"' in pyproject


# ------------------------------------------------------------------------------------------ tokens
def test_tokens_are_shown_once_stored_as_digests_and_revoked_at_once(aws):
    created = aws.api("POST", "tokens", {"name": "ci", "role": "editor"})
    assert created.status == 201
    assert_shape("TokenCreatedOut", created.body)
    value, token_id = created.body["token"], created.body["id"]
    assert token_id.startswith("K") and len(value) >= 43  # 256 bits, URL-safe base64

    listed = aws.api("GET", "tokens").body
    assert_shape("TokenPage", listed)
    assert [t["id"] for t in listed["results"]] == [token_id]
    assert value not in json.dumps(listed) and "token" not in listed["results"][0]
    assert aws.api("GET", f"tokens/{token_id}").body == listed["results"][0]
    stored = wiring.store().list_api_tokens()
    assert value not in json.dumps([t.model_dump(mode="json") for t in stored])

    assert aws.api("POST", "escalation_chains", {"name": "by ci"}, token=value).status == 201
    assert aws.api("GET", "tokens", token=value).status == 403  # editors do not manage tokens

    assert aws.api("DELETE", f"tokens/{token_id}").status == 204
    assert aws.api("GET", "integrations", token=value).status == 401  # the very next request
    assert aws.api("DELETE", f"tokens/{token_id}").status == 404
    assert aws.api("DELETE", "tokens/bootstrap").status == 400


def test_token_bound_to_a_user_acts_as_that_user(aws):
    user = aws.api("POST", "users", {"username": "bob"}).body
    value = _token(aws, "editor", user_id=user["id"])
    assert aws.api("GET", "users/current", token=value).body["id"] == user["id"]
    unknown = aws.api("POST", "tokens", {"name": "x", "role": "viewer", "user_id": "Unope"})
    assert unknown.status == 400 and "user_id" in unknown.body
    bad_role = aws.api("POST", "tokens", {"name": "x", "role": "owner"})
    assert bad_role.status == 400 and "role" in bad_role.body


ROLE_MATRIX = [
    # (method, path, body, the weakest role allowed)
    ("GET", "integrations", None, "viewer"),
    ("POST", "integrations", {"type": "webhook"}, "editor"),
    ("GET", "routes", None, "viewer"),
    ("POST", "routes", {"integration_id": "Cnope", "routing_regex": "x"}, "editor"),
    ("GET", "escalation_chains", None, "viewer"),
    ("POST", "escalation_chains", {"name": "role check"}, "editor"),
    ("GET", "escalation_policies", None, "viewer"),
    ("DELETE", "escalation_policies/Enope", None, "editor"),
    ("GET", "alert_groups", None, "viewer"),
    ("POST", "alert_groups/Inope/acknowledge", None, "editor"),
    ("GET", "alerts", None, "viewer"),
    ("GET", "users", None, "viewer"),
    ("POST", "users", {"username": "role-check"}, "editor"),
    ("GET", "teams", None, "viewer"),
    ("DELETE", "teams/Tnope", None, "editor"),
    ("GET", "schedules", None, "viewer"),
    ("PATCH", "schedules/Snope", {"name": "x"}, "editor"),
    ("GET", "webhooks", None, "viewer"),
    ("POST", "webhooks", {"name": "role", "url": "https://example.com"}, "editor"),
    ("GET", "personal_notification_rules", None, "viewer"),
    ("GET", "integrations/Cnope/heartbeat", None, "viewer"),
    ("POST", "integrations/Cnope/maintenance_stop", None, "editor"),
    ("GET", "settings", None, "viewer"),
    ("PUT", "settings", {"acknowledge_remind_timeout": 0}, "admin"),
    ("GET", "tokens", None, "admin"),
    ("POST", "tokens", {"name": "x", "role": "viewer"}, "admin"),
    ("DELETE", "tokens/Knope", None, "admin"),
    ("GET", "info", None, "viewer"),
    ("GET", "organizations", None, "viewer"),
]
_RANK = {"viewer": 0, "editor": 1, "admin": 2}


def test_every_router_checks_the_role_of_the_token(aws):
    tokens = {"viewer": _token(aws, "viewer"), "editor": _token(aws, "editor"), "admin": ADMIN_TOKEN}
    wrong = []
    for method, path, body, weakest in ROLE_MATRIX:
        assert aws.api(method, path, body, token="").status == 401, (method, path)
        assert aws.api(method, path, body, token="not-a-token").status == 401, (method, path)
        for role, value in tokens.items():
            status = aws.api(method, path, body, token=value).status
            allowed = _RANK[role] >= _RANK[weakest]
            if (status == 403) == allowed:
                wrong.append((method, path, role, status))
    assert not wrong, wrong


def test_no_token_is_401_even_with_a_malformed_body(aws):
    response = aws.http("POST", "/api/v1/integrations/", "{not json", headers={"content-type": "application/json"})
    assert response.status == 401 and response.body["detail"]
    viewer = _token(aws, "viewer")
    forbidden = aws.http("POST", "/api/v1/integrations/", "{not json", headers={"authorization": viewer})
    assert forbidden.status == 403


# ------------------------------------------------------------------------------------------ rate limit
def test_rate_limit_per_token_with_reset_header(aws, monkeypatch):
    aws.set_env(ONCALL_API_RATE_LIMIT_PER_MINUTE="3")
    editor = _token(aws, "editor")  # the admin token's first request of this minute
    for _ in range(2):
        assert aws.api("GET", "integrations").status == 200

    throttled = aws.api("GET", "integrations")

    assert throttled.status == 429
    assert set(throttled.body) == {"detail"} and "300" not in throttled.body["detail"]
    reset = int(throttled.headers["RateLimit-Reset"])
    assert 1 <= reset <= 60 and throttled.headers["Retry-After"] == str(reset)
    assert aws.api("GET", "integrations", token=editor).status == 200  # per token
    assert aws.api("GET", "integrations", token="").status == 401  # unauthenticated: not counted, not limited
    assert aws.http("GET", "/api/v1/openapi.json").status == 200  # public


def test_action_links_never_count_against_the_api_limit(aws, monkeypatch):
    aws.set_env(ONCALL_API_RATE_LIMIT_PER_MINUTE="1")
    for _ in range(3):
        response = aws.http("GET", "/actions/not.a.valid.token.x", headers={"accept": "application/json"})
        assert response.status == 403  # the link's own answer, never a 429
    assert aws.api("GET", "integrations").status == 200


def test_rate_limit_zero_turns_it_off(aws, monkeypatch):
    aws.set_env(ONCALL_API_RATE_LIMIT_PER_MINUTE="0")
    assert all(aws.api("GET", "info").status == 200 for _ in range(5))


# ------------------------------------------------------------------------------------------ errors
def test_wrong_method_on_a_known_path_is_405(aws):
    response = aws.api("DELETE", "integrations")
    assert response.status == 405
    assert response.body == {"detail": 'Method "DELETE" not allowed.'}
    assert response.headers["Allow"] == "GET, POST"
    assert aws.api("POST", "alert_groups/Iany").headers["Allow"] == "DELETE, GET"
    assert aws.api("GET", "no_such_resource").body == {"detail": "Not found."}


# ------------------------------------------------------------------------------------------ OpenAPI
def test_served_openapi_document_equals_the_committed_copy(aws):
    served = aws.http("GET", "/api/v1/openapi.json")  # no token needed
    assert served.status == 200
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert served.body == committed, (
        "docs/openapi.json differs from the served OpenAPI document: run `make openapi` to update it"
    )


def test_openapi_document_describes_auth_errors_and_resources(aws):
    document = aws.http("GET", "/api/v1/openapi.json").body
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"]["ApiToken"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "An API token (as is, or `Bearer <token>`)",
    }
    assert document["security"] == [{"ApiToken": []}]
    paths = document["paths"]
    for path in (
        "/api/v1/integrations",
        "/api/v1/routes/{route_id}",
        "/api/v1/escalation_chains/{chain_id}",
        "/api/v1/alert_groups",
        "/api/v1/alerts",
        "/api/v1/tokens/{token_id}",
        "/api/v1/info",
        "/api/v1/organizations",
    ):
        assert path in paths, path
    assert not [p for p in paths if not p.startswith("/api/v1/")]
    operations = [op for ops in paths.values() for op in ops.values()]
    assert all("422" not in op["responses"] and "400" in op["responses"] for op in operations)
    alert_group_filters = {p["name"] for p in paths["/api/v1/alert_groups"]["get"]["parameters"]}
    assert alert_group_filters >= {"id", "route_id", "integration_id", "team_id", "state", "started_at", "label"}
    create = paths["/api/v1/integrations"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/IntegrationCreate"
    }
    assert create["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/IntegrationOut"
    }


def test_swagger_ui_page_and_its_assets_need_no_token(aws):
    page = aws.http("GET", "/api/v1/docs")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert f"{BASE_URL}/api/v1/openapi.json" in page.body and "SwaggerUIBundle" in page.body
    script = aws.http("GET", "/api/v1/docs/swagger-ui-bundle.js")
    assert script.status == 200 and "SwaggerUIBundle" in script.body
    assert aws.http("GET", "/api/v1/docs/swagger-ui.css").status == 200
    assert aws.http("GET", "/api/v1/docs/nothing.js").status == 404
