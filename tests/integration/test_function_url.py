"""Integration URLs on the ingest function's own Lambda function URL (decision 80): the API and the console show
them there, and the ingest function answers a function URL request as it answers the HTTP API's."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.builders import am_payload
from tests.integration.conftest import BASE_URL, create_integration, ingest_path
from tests.integration.test_console_handler import Browser

URL_ID = "abcdefghijklmnopqrstuvwxyz012345"
FUNCTION_HOST = f"{URL_ID}.lambda-url.us-east-1.on.aws"
FUNCTION_URL = f"https://{FUNCTION_HOST}/"  # as !GetAtt IngestFunctionUrl.FunctionUrl gives it: a trailing slash


def function_url_event(method: str, path: str, body: str = "", headers: dict[str, str] | None = None) -> dict:
    """What Lambda hands the function for a request to its URL: payload format 2.0 like the HTTP API's, but
    the route key is `$default`, there are no path parameters, and the domain is the URL's own."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": FUNCTION_HOST, "content-type": "application/json", **(headers or {})},
        "requestContext": {
            "accountId": "anonymous",
            "apiId": URL_ID,
            "domainName": FUNCTION_HOST,
            "domainPrefix": URL_ID,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "Alertmanager/0.27.0",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": "06/Dec/2026:22:00:00 +0000",
            "timeEpoch": 1796594400000,
        },
        "body": body,
        "isBase64Encoded": False,
    }


@pytest.fixture
def on_function_url(aws):
    aws.set_env(INGEST_BASE_URL=FUNCTION_URL)
    return aws


def test_the_api_shows_integration_and_heartbeat_urls_on_the_function_url(on_function_url):
    # given a deployment whose integration URLs are on the ingest function's URL
    aws = on_function_url
    created = create_integration(aws, "alertmanager")
    # then the integration's URL, as created, as read and as listed, is on the function URL
    expected = f"https://{FUNCTION_HOST}{ingest_path(created)}"
    assert created["link"] == expected
    assert aws.api("GET", f"integrations/{created['id']}").body["link"] == expected
    listed = aws.api("GET", "integrations").body["results"]
    assert [i["link"] for i in listed if i["id"] == created["id"]] == [expected]
    # and so is its heartbeat URL, while the API's own links stay on the API
    heartbeat = aws.api("GET", f"integrations/{created['id']}/heartbeat").body
    assert heartbeat["link"] == f"{expected}heartbeat/"


def test_without_a_function_url_integration_urls_stay_on_the_api(aws):
    # given IntegrationUrls: http-api (the template then gives the functions an empty INGEST_BASE_URL)
    aws.set_env(INGEST_BASE_URL="")
    created = create_integration(aws, "alertmanager")
    assert created["link"] == f"{BASE_URL}{ingest_path(created)}"


def test_the_console_shows_the_function_url(on_function_url):
    aws = on_function_url
    created = create_integration(aws, "alertmanager", name="Prometheus")
    browser = Browser(aws)
    browser.sign_in()
    page = browser.get(f"/console/integrations/{created['id']}").body
    assert f"https://{FUNCTION_HOST}{ingest_path(created)}" in page
    assert f"{BASE_URL}/integrations/v1/" not in page


def test_an_alert_posted_to_the_function_url_is_accepted_and_grouped(on_function_url):
    # given an integration and Alertmanager posting to its function URL
    aws = on_function_url
    created = create_integration(aws, "alertmanager")
    event = function_url_event("POST", ingest_path(created), json.dumps(am_payload()))
    # when Lambda invokes the ingest function with the function URL's event
    result = aws.functions.invoke("IngestFunction", event)
    # then it answers as on the HTTP API, and the alert goes through route to a group
    assert (result["statusCode"], json.loads(result["body"])) == (200, "Ok.")
    assert aws.drain() == 1
    groups = aws.api("GET", "alert_groups", query=f"integration_id={created['id']}").body["results"]
    assert len(groups) == 1


def test_the_connect_page_on_the_function_url_names_the_function_url(on_function_url):
    aws = on_function_url
    created = create_integration(aws, "alertmanager")
    result = aws.functions.invoke("IngestFunction", function_url_event("GET", ingest_path(created)))
    assert result["statusCode"] == 200
    assert f"https://{FUNCTION_HOST}{ingest_path(created)}" in result["body"]


def test_a_wrong_token_on_the_function_url_is_a_json_4xx(on_function_url):
    event = function_url_event("POST", "/integrations/v1/alertmanager/nosuchtoken0000/", "{}")
    result = on_function_url.functions.invoke("IngestFunction", event)
    assert 400 <= result["statusCode"] < 500
    assert "detail" in json.loads(result["body"])
