"""oncall.platform.http.Router: the small HTTP API v2 resolver of the ingest function."""

import json

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from oncall.platform.errors import RateLimitedError, ValidationError
from oncall.platform.http import HttpResponse, Router, json_result


def _event(method: str, path: str, stage: str = "$default") -> dict:
    return {"rawPath": path, "requestContext": {"http": {"method": method}, "stage": stage}, "body": ""}


def _app() -> Router:
    app = Router(Logger(service="test-router"))

    @app.post("/integrations/v1/amazon_sns/<token>")
    def sns(event, token):
        return json_result(200, f"sns {token}")

    @app.post("/integrations/v1/<kind>/<token>")
    def alert(event, kind, token):
        if token == "bad":
            raise ValidationError("Payload is required.", {"body": ["required"]})
        if token == "busy":
            raise RateLimitedError("Too many alerts.", limit={"alerts": 1, "per_seconds": 60}, retry_after=7)
        if token == "json":
            json.loads("{")
        if token == "throttled":
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetItem")
        if token == "latin1":
            b"\xff".decode("utf-8")
        return json_result(200, f"{kind} {token}")

    @app.route("/integrations/v1/<kind>/<token>/heartbeat", methods=("GET", "HEAD", "POST"))
    def ping(event, kind, token):
        return HttpResponse(200, "pong", content_type="text/plain")

    return app


def test_routes_match_with_or_without_the_trailing_slash_first_registered_first():
    app = _app()
    for path in ("/integrations/v1/alertmanager/T1/", "/integrations/v1/alertmanager/T1"):
        assert json.loads(app.resolve(_event("POST", path))["body"]) == "alertmanager T1"
    assert json.loads(app.resolve(_event("POST", "/integrations/v1/amazon_sns/T2/"))["body"]) == "sns T2"
    result = app.resolve(_event("HEAD", "/integrations/v1/webhook/T3/heartbeat/"))
    assert (result["statusCode"], result["headers"]["Content-Type"], result["body"]) == (200, "text/plain", "pong")


def test_a_named_stage_is_not_part_of_the_path():
    assert app_status(_event("POST", "/prod/integrations/v1/alertmanager/T1/", stage="prod")) == 200


def app_status(event: dict) -> int:
    return _app().resolve(event)["statusCode"]


def test_unknown_routes_and_methods_are_json_404s():
    for event in (_event("GET", "/nowhere"), _event("PUT", "/integrations/v1/alertmanager/T1/")):
        result = _app().resolve(event)
        assert result["statusCode"] == 404 and json.loads(result["body"]) == {"detail": "Not found."}


def test_domain_errors_use_the_error_map_with_their_fields_and_headers():
    app = _app()
    bad = app.resolve(_event("POST", "/integrations/v1/alertmanager/bad/"))
    assert bad["statusCode"] == 400
    assert json.loads(bad["body"]) == {"detail": "Payload is required.", "body": ["required"]}
    busy = app.resolve(_event("POST", "/integrations/v1/alertmanager/busy/"))
    assert busy["statusCode"] == 429 and busy["headers"]["Retry-After"] == "7"
    malformed = app.resolve(_event("POST", "/integrations/v1/alertmanager/json/"))
    assert malformed["statusCode"] == 400 and "Malformed JSON" in json.loads(malformed["body"])["detail"]


def test_an_aws_failure_is_a_json_503_and_a_body_that_is_not_utf8_a_400():
    # given a route whose lookup DynamoDB throttles, and one that meets a body in another encoding
    app = _app()
    # when they are called
    throttled = app.resolve(_event("POST", "/integrations/v1/webhook/throttled/"))
    latin1 = app.resolve(_event("POST", "/integrations/v1/webhook/latin1/"))
    # then the sender is told to retry (503), or that its body is not UTF-8 (400), never a bare 500
    assert throttled["statusCode"] == 503 and "retry" in json.loads(throttled["body"])["detail"]
    assert latin1["statusCode"] == 400 and "UTF-8" in json.loads(latin1["body"])["detail"]


def test_repeated_slashes_count_as_one():
    """nginx merges slashes in front of most OnCall installs, so clients send such paths (issue 12 item 4)."""
    app = _app()
    for path in (
        "/integrations/v1//alertmanager/T1/",
        "//integrations/v1/alertmanager//T1//",
        "/integrations//v1/alertmanager/T1",
    ):
        assert json.loads(app.resolve(_event("POST", path))["body"]) == "alertmanager T1", path
    assert app.resolve(_event("GET", "/integrations/v1/webhook/T3//heartbeat//"))["body"] == "pong"
