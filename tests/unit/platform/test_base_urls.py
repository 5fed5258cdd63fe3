"""Which base URL links are built on (oncall.platform.http): the API's, the integration URLs', and the one an
ingest request came in on (decision 80)."""

from __future__ import annotations

from oncall.platform.http import base_url, integration_base_url, reached_base_url

FUNCTION_DOMAIN = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws"


def _event(domain: str, host: str = "evil.example") -> dict:
    return {"requestContext": {"domainName": domain}, "headers": {"host": host}}


def test_integration_urls_prefer_the_ingest_functions_url_without_its_trailing_slash():
    assert integration_base_url("https://api.example", f"https://{FUNCTION_DOMAIN}/") == f"https://{FUNCTION_DOMAIN}"
    assert integration_base_url("https://api.example", "") == "https://api.example"


def test_a_request_on_the_function_url_is_answered_on_that_url_even_with_a_configured_base():
    event = _event(FUNCTION_DOMAIN)
    assert reached_base_url(event, "https://oncall.example.com") == f"https://{FUNCTION_DOMAIN}"


def test_a_request_on_the_api_is_answered_as_base_url_answers_it():
    api = _event("a1b2c3.execute-api.eu-west-1.amazonaws.com")
    assert reached_base_url(api, "https://oncall.example.com/") == "https://oncall.example.com"
    assert reached_base_url(api) == base_url(api) == "https://a1b2c3.execute-api.eu-west-1.amazonaws.com"


def test_only_a_function_url_domain_counts_never_the_host_header():
    # a lookalike domain or a client's Host header is not a function URL
    lookalike = _event("x.lambda-url.eu-west-1.on.aws.evil.example")
    assert reached_base_url(lookalike, "https://oncall.example.com") == "https://oncall.example.com"
    spoofed = _event("", host=FUNCTION_DOMAIN)
    assert reached_base_url(spoofed, "https://oncall.example.com") == "https://oncall.example.com"
