"""Issue 13 item 12: with PublicBaseUrl unset, links were built from the request's Host and X-Forwarded-Proto
headers, and the Swagger page put that value into HTML and JS unescaped, with no CSP. Links now come from the
API's own domain (requestContext.domainName, which API Gateway sets) and the page is escaped with a strict CSP."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest

from oncall_local.front_door import build_event, match_route
from tests.integration.conftest import ADMIN_TOKEN, create_integration

API_DOMAIN = "abc123.execute-api.eu-west-1.amazonaws.com"
HOSTILE = {
    "host": 'evil.example"><script>alert(1)</script>',
    "x-forwarded-proto": "javascript:alert(1)//",
}


@pytest.fixture
def no_public_base_url(aws):
    # and integration URLs on the HTTP API (IntegrationUrls: http-api), so every link is built from the request
    aws.set_env(PUBLIC_BASE_URL="", INGEST_BASE_URL="")
    return aws


def _call(aws, method: str, path: str, headers: dict[str, str], query: str = "") -> tuple[int, str, dict]:
    """A request as API Gateway hands it over: requestContext.domainName is the API's own domain, whatever
    Host the client sent."""
    route, params = match_route(aws.topology.http_routes, method, path)
    event = build_event(route, method, path, query, headers, b"", params, "203.0.113.9")
    event["requestContext"]["domainName"] = API_DOMAIN
    result = aws.functions.invoke(route.function, event)
    return result["statusCode"], result.get("body") or "", result.get("headers") or {}


def test_the_swagger_page_ignores_host_and_forwarded_proto_and_sends_a_csp(no_public_base_url):
    status, page, headers = _call(no_public_base_url, "GET", "/api/v1/docs", dict(HOSTILE))
    assert status == 200
    assert "evil" not in page and "javascript:" not in page and "<script>alert" not in page
    assert f'href="https://{API_DOMAIN}/api/v1/docs/swagger-ui.css"' in page
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "unsafe-eval" not in policy
    # the only inline script is allowed by its hash, nothing else inline runs
    [inline] = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]


def test_a_configured_base_url_with_markup_is_escaped_on_the_page(aws):
    aws.set_env(PUBLIC_BASE_URL='https://x.example/"><img src=x onerror=alert(1)></script><script>1')
    status, page, _ = _call(aws, "GET", "/api/v1/docs", {})
    assert status == 200 and "<img" not in page and "</script><script>1" not in page


def test_api_links_come_from_the_api_domain_not_the_host_header(no_public_base_url):
    aws = no_public_base_url
    integration = create_integration(aws)
    for path in ("/api/v1/integrations/", f"/api/v1/integrations/{integration['id']}/"):
        status, body, _ = _call(aws, "GET", path, {**HOSTILE, "authorization": ADMIN_TOKEN})
        assert status == 200, body
        assert "evil" not in body and "javascript" not in body
        assert f"https://{API_DOMAIN}/integrations/v1/" in body
    # the ingest GET (how to connect) names the same URL
    link = json.loads(
        _call(aws, "GET", f"/api/v1/integrations/{integration['id']}/", {"authorization": ADMIN_TOKEN})[1]
    )
    path = link["link"].removeprefix(f"https://{API_DOMAIN}")
    status, text, _ = _call(aws, "GET", path, dict(HOSTILE))
    assert status == 200 and "evil" not in text and f"https://{API_DOMAIN}/integrations/v1/" in text
