"""The local front door builds events and matches routes as API Gateway's HTTP APIs do (payload format 2.0)."""

import base64
import json

import pytest

from oncall_local.front_door import build_event, is_text_media_type, match_route, payload_size
from oncall_local.template import load_template
from oncall_local.topology import HttpRoute

TEMPLATE_ROUTES = [
    HttpRoute("ANY", "/{proxy+}", "ApiFunction"),  # the catch-all (first here: order must not matter)
    HttpRoute("ANY", "/integrations/v1/{proxy+}", "IngestFunction"),
    HttpRoute("ANY", "/api/v1/{proxy+}", "ApiFunction"),
    HttpRoute("GET", "/actions/{token}", "ApiFunction"),
    HttpRoute("POST", "/actions/{token}", "ApiFunction"),
    HttpRoute("GET", "/", "ConsoleFunction"),
    HttpRoute("GET", "/console", "ConsoleFunction"),
    HttpRoute("ANY", "/console/{proxy+}", "ConsoleFunction"),
]
SPECIFIC_ROUTES = [route for route in TEMPLATE_ROUTES if route.path != "/{proxy+}"]
ROUTE = TEMPLATE_ROUTES[1]


def event_for(headers, body=b"", query="", path="/integrations/v1/alertmanager/T/", method="POST"):
    return build_event(ROUTE, method, path, query, headers, body, {"proxy": "alertmanager/T/"}, "198.51.100.7")


def test_these_are_the_routes_template_yaml_declares():
    # given the template's HttpApi events: the route tests below are about exactly these
    declared = {
        (props["Method"].upper(), props["Path"])
        for resource in load_template()["Resources"].values()
        for event in (resource.get("Properties", {}).get("Events") or {}).values()
        if event["Type"] == "HttpApi"
        for props in [event["Properties"]]
    }
    assert declared == {(route.method, route.path) for route in TEMPLATE_ROUTES}


@pytest.mark.parametrize(
    ("method", "path", "route_key", "expected"),
    [
        ("POST", "/integrations/v1/am/TOKEN/", "ANY /integrations/v1/{proxy+}", {"proxy": "am/TOKEN/"}),
        ("POST", "/integrations/v1/am/TOKEN", "ANY /integrations/v1/{proxy+}", {"proxy": "am/TOKEN"}),
        ("HEAD", "/integrations/v1/x/T/heartbeat/", "ANY /integrations/v1/{proxy+}", {"proxy": "x/T/heartbeat/"}),
        ("GET", "/api/v1/alert_groups/", "ANY /api/v1/{proxy+}", {"proxy": "alert_groups/"}),
        ("GET", "/actions/I1.acknowledge.9.-.sig", "GET /actions/{token}", {"token": "I1.acknowledge.9.-.sig"}),
        ("POST", "/actions/abc", "POST /actions/{token}", {"token": "abc"}),
    ],
)
def test_routes_that_match_on_aws_match(method, path, route_key, expected):
    route, parameters = match_route(TEMPLATE_ROUTES, method, path)
    assert (route.route_key, parameters) == (route_key, expected)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/actions/abc/"),  # a path variable is one segment: no trailing slash forgiven
        ("POST", "/actions/abc/"),
        ("GET", "/actions/"),
        ("GET", "/actions"),
        ("GET", "/actions/a/b"),
        ("DELETE", "/actions/abc"),  # only GET and POST are declared
        ("GET", "/api/v1/"),  # a greedy variable needs at least one character
        ("GET", "/api/v1"),
        ("GET", "/API/v1/integrations/"),  # paths are case-sensitive
        ("TRACE", "/api/v1/integrations/"),  # ANY is the methods HTTP APIs route, not any token
        ("GET", "/nothing"),
    ],
)
def test_routes_that_do_not_match_on_aws_do_not_match(method, path):
    assert match_route(SPECIFIC_ROUTES, method, path) is None


@pytest.mark.parametrize(("method", "path"), [("GET", "/actions/abc/"), ("GET", "/api/v1/"), ("GET", "/nothing")])
def test_what_no_specific_route_takes_falls_to_the_catch_all(method, path):
    route, parameters = match_route(TEMPLATE_ROUTES, method, path)
    assert (route.route_key, parameters) == ("ANY /{proxy+}", {"proxy": path.lstrip("/")})


def test_the_catch_all_takes_only_the_methods_http_apis_route():
    assert match_route(TEMPLATE_ROUTES, "TRACE", "/api/v1/integrations/") is None


def test_the_most_specific_route_wins_whatever_the_order():
    # given routes declared greedy-first and ANY-first
    routes = [
        HttpRoute("ANY", "/a/{proxy+}", "Greedy"),
        HttpRoute("ANY", "/a/{name}", "AnyVariable"),
        HttpRoute("GET", "/a/{name}", "GetVariable"),
        HttpRoute("ANY", "/a/literal", "Literal"),
    ]
    # then a literal beats a variable, a variable beats greedy, a method beats ANY
    assert match_route(routes, "GET", "/a/literal")[0].function == "Literal"
    assert match_route(routes, "GET", "/a/x")[0].function == "GetVariable"
    assert match_route(routes, "POST", "/a/x")[0].function == "AnyVariable"
    assert match_route(routes, "GET", "/a/x/y")[0].function == "Greedy"


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON", "text/plain", "text/csv",
     "application/xml", "application/javascript"],
)  # fmt: skip
def test_text_bodies_are_handed_over_as_text(content_type):
    event = event_for({"content-type": content_type}, b'{"k": "\xc3\xa9"}')
    assert event["isBase64Encoded"] is False and event["body"] == '{"k": "é"}'


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "application/x-www-form-urlencoded"},  # forms too, as on AWS
        {"content-type": "multipart/form-data; boundary=x"},
        {"content-type": "application/octet-stream"},
        {"content-type": "application/vnd.api+json"},
        {"content-type": "application/x-yaml"},
        {},  # no Content-Type at all
    ],
)
def test_every_other_body_is_base64(headers):
    event = event_for(headers, b"alertname=Disk&state=alerting")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"alertname=Disk&state=alerting"


def test_a_text_type_that_is_not_utf8_is_handed_over_base64_byte_for_byte():
    event = event_for({"content-type": "text/plain"}, b"\xff\xfe")
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\xff\xfe"


def test_no_body_no_body_field():
    event = event_for({"user-agent": "curl/8"}, b"", method="GET")
    assert "body" not in event and event["isBase64Encoded"] is False


def test_headers_are_lower_cased_and_repeated_ones_comma_joined_without_multi_value_fields():
    event = event_for([("X-Trace", "a"), ("x-trace", "b"), ("Content-Type", "application/json"), ("Accept", "*/*")])
    assert event["headers"] == {"x-trace": "a,b", "content-type": "application/json", "accept": "*/*"}
    assert "multiValueHeaders" not in event and "multiValueQueryStringParameters" not in event


def test_cookies_become_the_cookies_array_and_leave_the_headers():
    event = event_for([("Cookie", "a=1; b=2"), ("cookie", "c=3"), ("Accept", "*/*")])
    assert event["cookies"] == ["a=1", "b=2", "c=3"]
    assert "cookie" not in event["headers"]
    assert "cookies" not in event_for({"accept": "*/*"})


def test_query_strings_raw_and_parsed_with_repeated_keys_comma_joined():
    event = event_for({}, query="a=1&a=2&b=x%20y&flag=")
    assert event["rawQueryString"] == "a=1&a=2&b=x%20y&flag="
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y", "flag": ""}
    assert "queryStringParameters" not in event_for({})


def test_request_context_is_the_http_api_one():
    event = event_for({"host": "abc123.execute-api.us-east-1.amazonaws.com", "user-agent": "curl/8"})
    context = event["requestContext"]
    assert event["version"] == "2.0" and event["routeKey"] == context["routeKey"] == "ANY /integrations/v1/{proxy+}"
    assert event["rawPath"] == context["http"]["path"] == "/integrations/v1/alertmanager/T/"
    assert context["http"] == {
        "method": "POST",
        "path": "/integrations/v1/alertmanager/T/",
        "protocol": "HTTP/1.1",
        "sourceIp": "198.51.100.7",
        "userAgent": "curl/8",
    }
    assert context["domainName"] == "abc123.execute-api.us-east-1.amazonaws.com"
    assert context["domainPrefix"] == "abc123" and context["stage"] == "$default"
    assert context["requestId"] and isinstance(context["timeEpoch"], int) and context["time"].endswith("+0000")
    assert event["pathParameters"] == {"proxy": "alertmanager/T/"}


def test_payload_size_is_the_serialized_event():
    event = event_for({"content-type": "application/octet-stream"}, b"x" * 3000)
    assert payload_size(event) == len(json.dumps(event, separators=(",", ":")).encode())
    assert payload_size(event) > 4000  # base64 grows the body by a third


def test_text_media_types():
    assert is_text_media_type("text/html; charset=utf-8") and not is_text_media_type("")
