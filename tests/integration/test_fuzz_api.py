"""Fuzzing the management API (hypothesis), for every operation of its OpenAPI schema (new endpoints are
fuzzed without touching this file): random JSON to every write endpoint (random values for the schema's
fields, random extra fields, bodies that are not objects or not JSON), random query parameters to every
list endpoint, random path ids (real ones, ids of the wrong kind, unicode, percent-encoded, very long) and
random Authorization headers.

Invariants, for every request: no 5xx and no unhandled exception; a 4xx is JSON {"detail": …}; a 2xx is JSON
(or an empty 204). (`api` runs schemathesis over the same schema for conformance; this is about robustness.)
"""

from __future__ import annotations

import base64
import json
import socket
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncall_local.front_door import build_event, match_route
from tests.builders import am_payload
from tests.integration.conftest import ADMIN_TOKEN, create_chain, create_integration, ingest_path, put_user
from tests.integration.faults import enforce_dynamodb_key_limits
from tests.integration.fuzzing import count, fuzz_settings

WRITE_METHODS = ("post", "put", "patch", "delete")


def _schema() -> dict[str, Any]:
    from aws_lambda_powertools import Logger

    from oncall.api.app import build_app

    return json.loads(build_app(Logger()).get_openapi_json_schema())


SCHEMA = _schema()
COMPONENTS = SCHEMA.get("components", {}).get("schemas", {})
OPERATIONS = [
    (path, method, operation)
    for path, item in sorted(SCHEMA["paths"].items())
    for method, operation in sorted(item.items())
    if method in ("get", "post", "put", "patch", "delete")
]
WRITES = [op for op in OPERATIONS if op[1] in WRITE_METHODS]
READS = [op for op in OPERATIONS if op[1] == "get"]


def _body_fields(operation: dict[str, Any]) -> list[str]:
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "").rsplit("/", 1)[-1]
    return sorted(COMPONENTS.get(ref, {}).get("properties", {}))


def _query_names(operation: dict[str, Any]) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]


# ------------------------------------------------------------------------------------------ values
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
PLAUSIBLE_STRINGS = [
    "",
    " ",
    "x" * 5000,
    "é" * 400,
    "\x00",
    "null",
    "https://hooks.example.com/x",
    "http://127.0.0.1:1/",
    "http://169.254.169.254/latest/meta-data/",
    "outbox://fuzz",
    "slack://T000/B000/XXXX",
    "json://hooks.example.com/",
    "sns-sms://+15551234567",
    "ses://someone@example.com",
    "{{ payload.title }}",
    "{{ payload.x | regex_replace('(a|aa)+$', '') }}",
    "{% for %}",
    "{{ ''.__class__.__mro__ }}",
    "2026-01-01T00:00:00Z",
    "2026-13-45T99:99:99",
    "12:00:00Z",
    "UTC",
    "Europe/Nowhere",
    "0 3 * * *",
    "* *",
    "alertmanager",
    "webhook",
    "notify_channel",
    "wait",
    "debug",
    "maintenance",
    "critical",
    "(unclosed",
    "admin",
    "****",
]
PLAUSIBLE_NUMBERS = [0, -1, 1, 59, 60, 300, 86400, 86401, 2**31, 10**20, -(10**20), 1.5, float("inf"), float("nan")]


def values(ids: dict[str, list[str]]) -> st.SearchStrategy:
    real_ids = [i for kind in ids.values() for i in kind]
    plausible = st.sampled_from(PLAUSIBLE_STRINGS + PLAUSIBLE_NUMBERS + real_ids) | json_scalars
    return st.one_of(
        plausible,
        st.lists(plausible, max_size=4),
        st.dictionaries(st.sampled_from(["team", "severity", "a", "", "x" * 300]) | st.text(max_size=8), plausible),
        json_values,
    )


def path_ids(ids: dict[str, list[str]]) -> st.SearchStrategy:
    real = [i for kind in ids.values() for i in kind]
    return st.one_of(
        st.sampled_from(real),
        st.sampled_from(["Cnope", "I", "current", "..", ".", "%00", "%2F", "null", "x" * 3000, "é" * 600]),
        st.text(min_size=1, max_size=40).map(lambda t: quote(t, safe="")),
        st.text(min_size=1, max_size=2000).map(lambda t: quote(t, safe="")),
    )


# ------------------------------------------------------------------------------------------ requests
@pytest.fixture
def ids(aws, faults, monkeypatch) -> dict[str, list[str]]:
    """A small deployment to aim at, with real ids of every kind."""
    enforce_dynamodb_key_limits(faults)

    def no_dns(host, *args, **kwargs):  # no network here: every name fails fast instead of timing out
        if host in ("127.0.0.1", "localhost", "::1"):
            return real_getaddrinfo(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "fuzz: no DNS")

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    chain = create_chain(
        aws, [{"type": "notify_channel", "channel": "outbox://fuzz"}, {"type": "wait", "duration": 3600}]
    )
    integration = create_integration(aws, chain_id=chain["id"])
    aws.http("POST", ingest_path(integration), json.dumps(am_payload()))
    aws.drain()
    group = aws.api("GET", "alert_groups").body["results"][0]
    user = put_user("fuzzy")
    team = aws.api("POST", "teams", {"name": "fuzz-team"}).body
    webhook = aws.api("POST", "webhooks", {"name": "fuzz-hook", "url": "https://hooks.example.com/x"}).body
    schedule = aws.api("POST", "schedules", {"name": "fuzz-schedule", "type": "calendar", "layers": []}).body
    policies = aws.api("GET", "escalation_policies", query=f"escalation_chain_id={chain['id']}").body["results"]
    routes = aws.api("GET", "routes", query=f"integration_id={integration['id']}").body["results"]
    return {
        "integration": [integration["id"]],
        "chain": [chain["id"]],
        "policy": [p["id"] for p in policies],
        "route": [r["id"] for r in routes],
        "group": [group["id"]],
        "user": [user],
        "team": [team["id"]],
        "webhook": [webhook["id"]],
        "schedule": [schedule["id"]],
    }


def seeds(ids: dict[str, list[str]], unique: str) -> dict[tuple[str, str], dict[str, Any]]:
    """A valid body for the main write operations: mutating one or two of its fields reaches the logic
    behind validation (random bodies mostly stop at it)."""
    integration, chain, user, group = ids["integration"][0], ids["chain"][0], ids["user"][0], ids["group"][0]
    templates = {"web": {"title": "{{ payload.title }}"}, "grouping_key": "{{ payload.id }}"}
    user_body = {
        "username": f"u{unique}",
        "email": f"{unique}@example.com",
        "contacts": {"a": "outbox://a", "b": "slack://T/B/C"},
        "default_rules": [{"type": "notify", "contact": "a"}, {"type": "wait", "duration": 60}],
    }
    schedule = {
        "name": f"s{unique}",
        "type": "calendar",
        "time_zone": "Europe/Paris",
        "layers": [{"frequency": "daily", "users": [user], "start": "2026-01-01T09:00:00"}],
        "overrides": [{"user_id": user, "start": "2026-01-02T10:00:00", "end": "2026-01-02T12:00:00"}],
    }
    webhook = {"name": f"w{unique}", "url": "https://hooks.example.com/x", "trigger_type": "resolve", "data": "{}"}
    return {
        ("/api/v1/integrations", "post"): {"type": "webhook", "name": f"i{unique}", "templates": templates},
        ("/api/v1/integrations/{integration_id}", "put"): {"templates": templates, "labels": {"team": "db"}},
        ("/api/v1/integrations/{integration_id}", "patch"): {"rate_limit": {"alerts": 10, "per_seconds": 60}},
        ("/api/v1/routes", "post"): {"integration_id": integration, "routing_regex": "x", "escalation_chain_id": chain},
        ("/api/v1/routes/{route_id}", "put"): {"routing_type": "labels", "routing_labels": {"a": "b"}},
        ("/api/v1/routes/{route_id}", "patch"): {"position": 0},
        ("/api/v1/escalation_chains", "post"): {"name": f"c{unique}"},
        ("/api/v1/escalation_policies", "post"): {
            "escalation_chain_id": chain,
            "type": "notify_persons",
            "persons_to_notify": [user],
        },
        ("/api/v1/escalation_policies/{step_id}", "put"): {"type": "wait", "duration": 120, "position": 0},
        ("/api/v1/users", "post"): user_body,
        ("/api/v1/users/{user_id}", "put"): {**user_body, "username": f"v{unique}", "email": None},
        ("/api/v1/users/{user_id}", "patch"): {"timezone": "Asia/Tokyo"},
        ("/api/v1/teams", "post"): {"name": f"t{unique}"},
        ("/api/v1/schedules", "post"): schedule,
        ("/api/v1/schedules/{schedule_id}", "put"): {**schedule, "name": f"r{unique}"},
        ("/api/v1/webhooks", "post"): webhook,
        ("/api/v1/webhooks/{webhook_id}", "patch"): {"http_method": "PUT", "forward_all": False},
        ("/api/v1/alert_groups/{group_id}/silence", "post"): {"delay": 3600},
        ("/api/v1/alert_groups/{group_id}/attach", "post"): {"root_alert_group_id": group},
        ("/api/v1/integrations/{integration_id}/maintenance_start", "post"): {"mode": "debug", "duration": 3600},
        ("/api/v1/integrations/{integration_id}/maintenance_windows", "post"): {
            "mode": "maintenance",
            "duration": 3600,
            "cron": "0 22 * * 6",
            "timezone": "Europe/Berlin",
        },
        ("/api/v1/integrations/{integration_id}/heartbeat", "put"): {"period": 600, "grace_period": 60},
        ("/api/v1/integrations/{integration_id}/preview_template", "post"): {
            "template_name": "web.title",
            "template_body": "{{ payload }}",
        },
        ("/api/v1/integrations/{integration_id}/preview", "post"): {"payload": {"title": "x"}},
        ("/api/v1/integrations/{integration_id}/demo_alert", "post"): {"demo_alert_payload": {"title": "x"}},
        ("/api/v1/settings", "put"): {"acknowledge_remind_timeout": 0, "unacknowledge_timeout": 0},
    }


KIND_OF_PARAMETER = {
    "integration_id": "integration",
    "route_id": "route",
    "step_id": "policy",
    "chain_id": "chain",
    "group_id": "group",
    "user_id": "user",
    "team_id": "team",
    "webhook_id": "webhook",
    "schedule_id": "schedule",
}


def _fill(path: str, draw_id) -> str:
    """The path with each {parameter} replaced by draw_id(parameter name)."""
    parts = []
    for segment in path.split("/"):
        is_parameter = segment.startswith("{") and segment.endswith("}")
        parts.append(draw_id(segment[1:-1]) if is_parameter else segment)
    return "/".join(parts)


def _id_for(data, ids: dict[str, list[str]], parameter: str) -> str:
    """Mostly a real id of the kind the parameter names, sometimes any real id."""
    kind = KIND_OF_PARAMETER.get(parameter)
    everything = [i for kind_ids in ids.values() for i in kind_ids]
    if kind and data.draw(st.integers(0, 9), label="id of the right kind?") < 9:
        return data.draw(st.sampled_from(ids[kind]), label=parameter)
    return data.draw(st.sampled_from(everything), label=parameter)


def _invoke(aws, method: str, path: str, *, body: bytes | None, query: str = "", headers: dict | None = None):
    matched = match_route(aws.topology.http_routes, method, path)
    assert matched, path
    route, params = matched
    request_headers = {"host": "oncall.test", "x-forwarded-proto": "https", **(headers or {})}
    event = build_event(route, method, path, query, request_headers, body or b"", params, "203.0.113.9")
    response = aws.functions.invoke(route.function, event)  # an exception here fails the test
    status, text = response["statusCode"], response.get("body") or ""
    assert status < 500, (method, path, query, status, text[:500])
    if status == 204:
        return response
    content_type = (response.get("headers") or {}).get("Content-Type", "")
    if path.startswith("/actions/"):  # pages: HTML, JSON or a line of text, as the client asks
        return response
    assert "json" in content_type, (status, content_type)
    parsed = json.loads(base64.b64decode(text) if response.get("isBase64Encoded") else text)
    if status >= 400:
        assert isinstance(parsed, dict) and "detail" in parsed, parsed
    return response


@given(data=st.data())
@fuzz_settings(max_examples=400)
def test_random_json_to_every_write_endpoint(aws, ids, data):
    path, method, operation = data.draw(st.sampled_from(WRITES), label="operation")
    filled = _fill(path, lambda parameter: _id_for(data, ids, parameter))
    seed = seeds(ids, data.draw(st.uuids()).hex[:10]).get((path, method))
    shapes = ["fields", "fields", "any json", "not json", "empty"] + (["seed"] * 5 if seed else [])
    shape = data.draw(st.sampled_from(shapes))
    if shape == "seed":
        body = dict(seed)
        for name in data.draw(st.lists(st.sampled_from(sorted({*seed, *_body_fields(operation)})), max_size=2)):
            body[name] = data.draw(values(ids), label=name)
        raw = json.dumps(body).encode()
    elif shape == "fields":
        fields = _body_fields(operation)
        chosen = data.draw(st.lists(st.sampled_from(fields), unique=True) if fields else st.just([]))
        body: Any = {name: data.draw(values(ids), label=name) for name in chosen}
        body.update(data.draw(st.dictionaries(st.text(max_size=10), json_scalars, max_size=2), label="extra"))
        raw = json.dumps(body).encode()
    elif shape == "any json":
        raw = json.dumps(data.draw(json_values)).encode()
    elif shape == "not json":
        raw = data.draw(st.sampled_from([b"{", b"\xff\xfe", b"[1,", b"NaN", b'{"a": 1}garbage', "é".encode("latin-1")]))
    else:
        raw = b""
    content_type = data.draw(
        st.sampled_from(["application/json"] * 6 + ["application/json; charset=utf-8", "text/plain", ""])
    )
    headers = {"authorization": ADMIN_TOKEN, **({"content-type": content_type} if content_type else {})}
    response = _invoke(aws, method.upper(), filled, body=raw, headers=headers)
    count("api: write bodies", response["statusCode"])


@given(data=st.data())
@fuzz_settings(max_examples=200)
def test_random_query_parameters_to_every_list_endpoint(aws, ids, data):
    path, _, operation = data.draw(st.sampled_from(READS), label="operation")
    filled = _fill(path, lambda parameter: _id_for(data, ids, parameter))
    names = _query_names(operation) + ["label", "page", "perpage", "at", "start_date", "end_date", "x"]
    pairs = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(names) | st.text(max_size=10),
                st.sampled_from(PLAUSIBLE_STRINGS + ["0", "-1", "1001", "team:db", ":", "a:b:c"]).map(str)
                | st.text(max_size=30),
            ),
            max_size=5,
        )
    )
    query = urlencode(pairs)
    response = _invoke(aws, "GET", filled, body=None, query=query, headers={"authorization": ADMIN_TOKEN})
    count("api: list queries", response["statusCode"])


@given(data=st.data())
@fuzz_settings(max_examples=250)
def test_random_path_ids_and_tokens(aws, ids, data):
    path, method, _ = data.draw(st.sampled_from(OPERATIONS), label="operation")
    filled = _fill(path, lambda parameter: data.draw(path_ids(ids), label=parameter))
    token = data.draw(
        st.sampled_from([ADMIN_TOKEN, ADMIN_TOKEN, ADMIN_TOKEN, "", "Bearer ", "Bearer x", "x" * 5000, "é"])
        | st.text(max_size=60),
        label="authorization",
    )
    body = b"{}" if method in WRITE_METHODS else None
    headers = {"authorization": token, "content-type": "application/json"}
    response = _invoke(aws, method.upper(), filled, body=body, headers=headers)
    count("api: path ids and tokens", response["statusCode"])
