"""schemathesis against the served OpenAPI document, in process through the real API handler on moto: for
every operation, a bounded number of generated requests (valid ones, and ones that break the schema), sent
with the admin token; no answer may be a 5xx, and every answer must match the document (status code's
schema, content type). Deterministic (derandomized), so CI never flakes on a new random draw."""

from __future__ import annotations

import base64
import time
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from oncall_local.front_door import build_event, match_route
from tests.integration.conftest import ADMIN_TOKEN, AwsEnv, create_chain, create_integration

CASES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 3}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def lambda_wsgi(aws: AwsEnv):
    """A WSGI app that hands each request to the function the template routes it to, as API Gateway would
    (an HTTP API v2 event); an unhandled exception is the 500 API Gateway would answer."""

    def app(environ: dict[str, Any], start_response):
        method = environ["REQUEST_METHOD"]
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
        path = raw_uri.split("?", 1)[0] or quote(environ.get("PATH_INFO", "/"))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        headers.update({"host": "oncall.test", "x-forwarded-proto": "https"})
        matched = match_route(aws.topology.http_routes, method, path)
        if matched is None:  # API Gateway's own answer for a path no route takes
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"message":"Not Found"}']
        route, params = matched
        event = build_event(route, method, path, environ.get("QUERY_STRING", ""), headers, body, params, "127.0.0.1")
        try:
            result = aws.functions.invoke(route.function, event)
        except Exception:  # noqa: BLE001 - the crash is what the test reports
            start_response("500 Internal Server Error", [("Content-Type", "application/json")])
            return [b'{"message":"Internal Server Error"}']
        status = int(result["statusCode"])
        text = result.get("body") or ""
        payload = base64.b64decode(text) if result.get("isBase64Encoded") else text.encode()
        start_response(f"{status} {HTTPStatus(status).phrase}", list((result.get("headers") or {}).items()))
        return [payload]

    return app


@pytest.fixture
def unlimited(aws, monkeypatch):
    aws.set_env(ONCALL_API_RATE_LIMIT_PER_MINUTE="0")
    yield


def test_generated_requests_get_no_5xx_and_match_the_document(aws, unlimited, capsys):
    # Some objects to find, so that generated requests also reach beyond the 404s.
    chain = create_chain(aws, [{"type": "wait", "duration": 60}], name="Primary")
    create_integration(aws, "webhook", chain_id=chain["id"], name="hook")
    app = lambda_wsgi(aws)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    tried: dict[str, int] = {}
    failures: list[str] = []
    started = time.monotonic()

    def cases_of(label: str, strategy, count: int):
        @settings(
            max_examples=count,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case):
            case.headers = {**(case.headers or {}), "Authorization": ADMIN_TOKEN}
            tried[label] = tried.get(label, 0) + 1
            response = case.call()
            case.validate_response(response, checks=CHECKS)

        return run

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, count in CASES.items():
            try:
                cases_of(operation.label, operation.as_strategy(generation_mode=mode), count)()
            except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - collect every failure, then report
                failures.append(f"{operation.label} ({mode.value}): {type(error).__name__} {str(error)[:1500]}")

    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\nschemathesis: {sum(tried.values())} cases over {len(tried)} operations in {elapsed:.1f} s")
    assert len(tried) > 80, (sorted(tried), failures[:3])
    assert not failures, "\n\n".join(failures)
