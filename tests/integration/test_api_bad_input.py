"""Bad input never gets a 5xx: every operation of the OpenAPI document gets malformed JSON, bodies of the
wrong type, unknown fields, every field with a wrong type and with a huge value, and bad ids — and must
answer with a 4xx JSON body that has a `detail`. The operations come from the served document, so a new
endpoint is covered the day it is added."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.builders import am_payload
from tests.integration.conftest import ADMIN_TOKEN, create_chain, create_integration, ingest_path
from tests.integration.openapi_check import document

MALFORMED_BODIES = ["{", '{"a": ', "[]", '"text"', "123", "null", "NaN", '{"a": Infinity}', "\x00\xff", "{}" * 1000]
BAD_IDS = ["nope", "A" * 3000, "..", "%2e%2e", "ü-ñ", "' OR '1'='1", "null", "-1"]
HUGE_STRING = "x" * 300_000
WRONG_TYPE = {"string": 12345, "integer": "twelve", "number": "twelve", "boolean": "perhaps", "array": "x", "object": 7}
HUGE = {"string": HUGE_STRING, "integer": 10**40, "number": 1e308, "array": ["x"] * 5000, "object": {"k": HUGE_STRING}}


@pytest.fixture
def unlimited(aws, monkeypatch):
    """Thousands of requests in a minute: the per-token rate limit is not what these tests are about."""

    aws.set_env(ONCALL_API_RATE_LIMIT_PER_MINUTE="0")
    yield


@pytest.fixture
def ids(aws, unlimited) -> dict[str, str]:
    """A real id for every path parameter, so bad bodies reach the handlers' logic, not only the 404s."""
    chain = create_chain(aws, [{"type": "wait", "duration": 60}])
    integration = create_integration(aws, "alertmanager", chain_id=chain["id"])
    route = aws.api("POST", "routes", {"integration_id": integration["id"], "routing_regex": "db"}).body
    step = aws.api("GET", "escalation_policies", query=f"escalation_chain_id={chain['id']}").body["results"][0]
    team = aws.api("POST", "teams", {"name": "SRE"}).body
    user = aws.api("POST", "users", {"username": "alice"}).body
    schedule = aws.api(
        "POST", "schedules", {"name": "Primary", "layers": [{"users": [user["id"]], "start": "2026-03-23T09:00:00"}]}
    ).body
    webhook = aws.api("POST", "webhooks", {"name": "hook", "url": "http://127.0.0.1:9/refused"}).body
    token = aws.api("POST", "tokens", {"name": "t", "role": "viewer"}).body
    window = aws.api(
        "POST",
        f"integrations/{integration['id']}/maintenance_windows",
        {"mode": "maintenance", "start_at": "2030-01-01T00:00:00Z", "duration": 3600},
    ).body
    aws.http("POST", ingest_path(integration), am_payload())
    aws.drain()
    group = aws.api("GET", "alert_groups").body["results"][0]
    found = {
        "integration_id": integration["id"],
        "route_id": route["id"],
        "chain_id": chain["id"],
        "step_id": step["id"],
        "group_id": group["id"],
        "user_id": user["id"],
        "team_id": team["id"],
        "schedule_id": schedule["id"],
        "webhook_id": webhook["id"],
        "response_id": "WRnope",
        "window_id": window["id"],
        "token_id": token["id"],
        "rule_id": "Nnope",
        "organization_id": aws.api("GET", "organizations").body["results"][0]["id"],
    }
    return found


def _operations(methods: set[str]) -> list[tuple[str, str, dict[str, Any]]]:
    found = [
        (method.upper(), path, operation)
        for path, operations in document()["paths"].items()
        for method, operation in operations.items()
        if method.upper() in methods
    ]
    # Deletes last, so that the other operations still find the objects.
    return sorted(found, key=lambda item: (item[0] == "DELETE", item[1], item[0]))


def _schema(ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in ref_or_schema:
        return document()["components"]["schemas"][ref_or_schema["$ref"].rsplit("/", 1)[1]]
    return ref_or_schema


def _property_types(schema: dict[str, Any]) -> dict[str, str]:
    """Each property of a request model and its (first non-null) JSON type."""
    types = {}
    for name, prop in _schema(schema).get("properties", {}).items():
        options = prop.get("anyOf", [prop])
        kinds = [_schema(o).get("type", "object") for o in options if o.get("type") != "null"]
        types[name] = kinds[0] if kinds and isinstance(kinds[0], str) else "string"
    return types


def _fill(path: str, ids: dict[str, str], bad_id: str | None = None) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", bad_id or value)
    return path


class Crash:
    """What an unhandled exception in the handler becomes (API Gateway would answer 500)."""

    def __init__(self, error: Exception) -> None:
        self.status, self.body = 500, f"{type(error).__name__}: {str(error)[:300]}"


def _call(aws, method: str, path: str, body: Any, **kwargs: Any):
    try:
        return aws.http(method, path, body, **kwargs)
    except Exception as error:  # noqa: BLE001 - every crash is a finding
        return Crash(error)


def _check(response, problems: list, what: str, statuses: list[int]) -> None:
    """A 2xx is fine (an unknown field is ignored, a PATCH of nothing changes nothing); a refusal must be
    a 4xx JSON body with a `detail`."""
    statuses.append(response.status)
    refused_well = (
        400 <= response.status < 500
        and response.status != 429
        and isinstance(response.body, dict)
        and response.body.get("detail")
    )
    if response.status >= 300 and not refused_well:
        problems.append(f"{what} -> {response.status} {str(response.body)[:200]}")


def test_write_operations_refuse_malformed_and_wrongly_typed_bodies(aws, ids):
    problems: list[str] = []
    statuses: list[int] = []
    headers = {"authorization": ADMIN_TOKEN, "content-type": "application/json"}
    for method, template, operation in _operations({"POST", "PUT", "PATCH", "DELETE"}):
        path = _fill(template, ids)
        for raw in MALFORMED_BODIES:
            _check(_call(aws, method, path, raw, headers=headers), problems, f"{method} {path} {raw[:20]!r}", statuses)
        body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if not body_schema:
            continue
        unknown = _call(aws, method, path, json.dumps({"surely_unknown": 1}), headers=headers)
        _check(unknown, problems, f"{method} {path} unknown field", statuses)
        for name, kind in _property_types(body_schema).items():
            for value in (WRONG_TYPE.get(kind, 1), HUGE.get(kind, HUGE_STRING), None):
                response = _call(aws, method, path, json.dumps({name: value}), headers=headers)
                _check(response, problems, f"{method} {path} {name}={str(value)[:20]}", statuses)
    assert not problems, "\n".join(problems)
    from collections import Counter

    assert len(statuses) > 1200 and statuses.count(400) > 900, Counter(statuses)


def test_every_operation_refuses_bad_ids_and_bad_query_values(aws, ids):
    problems: list[str] = []
    tried = 0
    headers = {"authorization": ADMIN_TOKEN}
    for method, template, operation in _operations({"GET", "POST", "PUT", "PATCH", "DELETE"}):
        if "{" in template:
            for bad in BAD_IDS:
                path = _fill(template, ids, bad)
                response = _call(aws, method, path, "{}" if method != "GET" else None, headers=headers)
                tried += 1
                if response.status >= 500 or (response.status >= 400 and "detail" not in (response.body or {})):
                    problems.append(f"{method} {path[:80]} -> {response.status} {str(response.body)[:200]}")
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            for value in ("abc", "-1", str(10**30), "%00", HUGE_STRING[:5000], "2026-13-45T99:99:99_x"):
                query = f"{parameter['name']}={value}"
                response = _call(aws, method, _fill(template, ids), None, headers=headers, query=query)
                tried += 1
                if response.status >= 500:
                    problems.append(f"{method} {template}?{query[:60]} -> {response.status} {str(response.body)[:200]}")
    assert not problems, "\n".join(problems)
    assert tried > 600, tried


@pytest.mark.parametrize("depth", [65, 300, 1_000, 20_000])
def test_deeply_nested_bodies_are_a_400_naming_the_limit_on_every_write(aws, ids, depth):
    """Given a body whose value nests `depth` arrays/objects (past the parser's and pydantic's own limits
    too), when it is sent to every write operation, then each operation with a body answers 400 naming the
    nesting limit, and none answers 5xx (issue 12 item 3, issue 13 item 9)."""
    from oncall.platform.json_bodies import MAX_NESTING

    headers = {"authorization": ADMIN_TOKEN, "content-type": "application/json"}
    deep = "[" * depth + "]" * depth
    problems: list[str] = []
    for method, template, operation in _operations({"POST", "PUT", "PATCH", "DELETE"}):
        body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if not body_schema:
            continue
        name = next(iter(_property_types(body_schema)), "x")
        response = _call(aws, method, _fill(template, ids), '{"' + name + '": ' + deep + "}", headers=headers)
        detail = response.body.get("detail", "") if isinstance(response.body, dict) else ""
        if response.status != 400 or f"at most {MAX_NESTING} levels" not in detail:
            problems.append(f"{method} {template} -> {response.status} {str(response.body)[:200]}")
    assert not problems, "\n".join(problems)


def test_a_body_that_is_not_json_gets_one_readable_message(aws, ids):
    """Given a write whose body is not JSON, the 400 says what is wrong and where, and names no field after a
    character offset (issue 12 item 8)."""
    headers = {"authorization": ADMIN_TOKEN, "content-type": "application/json"}
    response = aws.http("POST", "/api/v1/integrations/", '{"type": "webhook", oops', headers=headers)
    assert response.status == 400
    assert response.body == {
        "detail": "Malformed JSON body: Expecting property name enclosed in double quotes at character 20."
    }


# ------------------------------------------------------------------------------------------ nothing ignored
def test_every_write_refuses_a_field_it_does_not_take_naming_it(aws, ids):
    """Given every write operation that takes a body, when a field it does not take is sent, then it is a 400
    naming that field, never a 2xx that silently ignores it (issue 12 item 6)."""
    headers = {"authorization": ADMIN_TOKEN, "content-type": "application/json"}
    problems: list[str] = []
    for method, template, operation in _operations({"POST", "PUT", "PATCH", "DELETE"}):
        if not operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema"):
            continue
        response = _call(aws, method, _fill(template, ids), json.dumps({"surely_unknown": 1}), headers=headers)
        fields = response.body if isinstance(response.body, dict) else {}
        if response.status != 400 or "Unknown field" not in str(fields.get("surely_unknown")):
            problems.append(f"{method} {template} -> {response.status} {str(response.body)[:200]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
@pytest.mark.parametrize(
    "chat", [{"slack": {"channel_id": "C0123", "enabled": True}}, {"telegram": {"id": "-100123", "enabled": True}}]
)
def test_chat_settings_on_a_route_are_a_400_saying_how_to_reach_a_chat_channel(aws, ids, method, chat):
    """PATCH /routes/<id> with slack/telegram settings answered 200 and changed nothing; now it is a 400 that
    points to a notify_channel step with an Apprise URL, and the route is unchanged (issue 12 item 6)."""
    path = f"routes/{ids['route_id']}"
    before = aws.api("GET", path).body
    response = aws.api(method, path, {"escalation_chain_id": None, **chat})
    assert response.status == 400, response.body
    [name] = chat
    assert "notify_channel" in response.body[name][0] and "Apprise" in response.body[name][0]
    assert aws.api("GET", path).body == before


def test_a_body_read_from_the_api_can_be_sent_back(aws, ids):
    """What the API shows (ids, links, computed state, chat settings shown as not configured) may be sent back
    unchanged with PUT/PATCH: read-only fields are ignored, as in OnCall, and are not "unknown"."""
    problems: list[str] = []
    headers = {"authorization": ADMIN_TOKEN, "content-type": "application/json"}
    for method, template, _ in _operations({"PUT", "PATCH"}):
        path = _fill(template, ids)
        shown = _call(aws, "GET", path, None, headers={"authorization": ADMIN_TOKEN})
        if shown.status != 200 or not isinstance(shown.body, dict):
            continue
        response = _call(aws, method, path, json.dumps(shown.body), headers=headers)
        if "Unknown field" in str(response.body) or "chat-app" in str(response.body):
            problems.append(f"{method} {template} -> {response.status} {str(response.body)[:300]}")
    assert not problems, "\n".join(problems)


def test_manual_order_true_is_refused_and_false_accepted(aws, ids):
    """OnCall's `manual_order` on routes: false is what this API does; true (keep the others in place) would
    be ignored, so it is a 400 that says so (issue 12 item 6)."""
    path = f"routes/{ids['route_id']}"
    refused = aws.api("PATCH", path, {"manual_order": True, "position": 0})
    assert refused.status == 400 and "manual_order" in refused.body, refused.body
    assert aws.api("PATCH", path, {"manual_order": False, "position": 0}).status == 200
