"""The adapters' "AWS failed" errors (StoreRequestError, QueueUnavailableError) are domain errors, not botocore
ones: callers catch them by name, and the one error map answers them exactly as an uncaught AWS error."""

import json

import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from botocore.exceptions import BotoCoreError, ClientError

from oncall.console import app as console
from oncall.console.http import Request
from oncall.intake.queue import QueueUnavailableError
from oncall.platform import aws
from oncall.platform.errors import OnCallError, ServiceUnavailableError
from oncall.platform.http import Router, register_error_map
from oncall.storage.protocols import ItemTooLargeError, StoreRequestError

_THROTTLED = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetItem")
_FAILURES = {
    "store": StoreRequestError(operation="GetItem", reason="ProvisionedThroughputExceededException"),
    "too-large": ItemTooLargeError(operation="PutItem", reason="Item size has exceeded the maximum"),
    "queue": QueueUnavailableError(reason="ServiceUnavailable: down"),
    "botocore": _THROTTLED,
}


def _event(method: str, path: str) -> dict:
    return {"rawPath": path, "requestContext": {"http": {"method": method}, "stage": "$default"}, "body": ""}


@pytest.mark.parametrize("kind", ["store", "too-large", "queue"])
def test_they_are_domain_errors_that_say_what_failed_only_to_the_log(kind):
    error = _FAILURES[kind]
    assert isinstance(error, ServiceUnavailableError) and isinstance(error, OnCallError)
    assert not isinstance(error, BotoCoreError) and not isinstance(error, aws.AWS_ERRORS)
    assert error.reason in str(error)  # what failed and why, for the log
    assert error.detail == "The service is temporarily unavailable; please retry."


def test_the_ingest_router_answers_them_as_an_aws_failure():
    # given a route that fails each way
    app = Router(Logger(service="test-unavailable"))

    @app.post("/fail/<kind>")
    def fail(event, kind):
        raise _FAILURES[kind]

    # when each is called
    results = {kind: app.resolve(_event("POST", f"/fail/{kind}")) for kind in _FAILURES}
    # then each is the same JSON 503 as a botocore error, and no AWS reason reaches the client
    expected = (results["botocore"]["statusCode"], results["botocore"]["body"])
    assert expected[0] == 503 and "retry" in json.loads(expected[1])["detail"]
    for kind, result in results.items():
        assert (result["statusCode"], result["body"]) == expected, kind
        assert "Throughput" not in result["body"] and "down" not in result["body"]


def test_the_api_error_map_answers_them_as_an_aws_failure():
    # given the api's resolver with the error map, and a route that fails each way
    app = APIGatewayHttpResolver()
    register_error_map(app, Logger(service="test-unavailable"))

    @app.get("/fail/<kind>")
    def fail(kind: str):
        raise _FAILURES[kind]

    # when each is called
    results = {kind: app.resolve(_event("GET", f"/fail/{kind}"), {}) for kind in _FAILURES}
    # then each is the same JSON 503
    expected = (results["botocore"]["statusCode"], results["botocore"]["body"])
    assert expected[0] == 503 and "retry" in json.loads(expected[1])["detail"]
    for kind, result in results.items():
        assert (result["statusCode"], result["body"]) == expected, kind


def test_the_console_shows_its_try_again_page_for_them(monkeypatch):
    # given a console page that fails each way
    failing = {}

    def page(ctx):
        raise failing["error"]

    page.public = True
    monkeypatch.setattr(console.routes, "match", lambda method, path: (page, {}))
    monkeypatch.setattr(console, "_load_pages", lambda path: None)
    answers = {}
    for kind, error in _FAILURES.items():
        failing["error"] = error
        # when it is opened
        response = console.dispatch(Request.from_event(_event("GET", "/console/anything")))
        answers[kind] = (response.status, response.body)
    # then each is the same 503 "try again" page as a botocore error
    assert answers["botocore"][0] == 503 and "Try again" in answers["botocore"][1]
    assert all(answer == answers["botocore"] for answer in answers.values()), answers
