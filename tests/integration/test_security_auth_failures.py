"""Issue 13 items 10 and 11.

10: a deleted integration's URL kept accepting alerts for ~5 s (a cached positive lookup), creating orphan
    groups. Deleting now invalidates the cache of the container that deleted it (the other containers' window
    is documented in docs/SECURITY.md).
11: failed authentication was free for the attacker (a DynamoDB read each, no limit). Wrong tokens are now
    remembered briefly and failures are limited per source address (429 with Retry-After), for API tokens and
    integration tokens alike."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from oncall import wiring
from oncall.access.auth_failures import FAILURES_PER_MINUTE
from oncall_local.front_door import build_event, match_route
from tests.builders import am_payload
from tests.fakes import FixedClock
from tests.integration.conftest import ADMIN_TOKEN, create_integration, ingest_path


def _call(aws, method: str, path: str, *, source: str, headers: dict | None = None, body: bytes = b"") -> tuple:
    route, params = match_route(aws.topology.http_routes, method, path)
    request_headers = {"content-type": "application/json", **(headers or {})}
    event = build_event(route, method, path, "", request_headers, body, params, source)
    result = aws.functions.invoke(route.function, event)
    return result["statusCode"], result.get("headers") or {}, json.loads(result.get("body") or "null")


@pytest.fixture
def reads(monkeypatch):
    """Counts the store's token lookups (each one a DynamoDB read)."""
    from oncall.storage.dynamo import DynamoStore

    counted = {"api": 0, "integration": 0}
    api, integration = DynamoStore.get_api_token, DynamoStore.find_integration_by_token

    def get_api_token(self, digest):
        counted["api"] += 1
        return api(self, digest)

    def find_integration_by_token(self, token):
        counted["integration"] += 1
        return integration(self, token)

    monkeypatch.setattr(DynamoStore, "get_api_token", get_api_token)
    monkeypatch.setattr(DynamoStore, "find_integration_by_token", find_integration_by_token)
    return counted


@pytest.fixture
def one_window(monkeypatch) -> FixedClock:
    """Failures are counted per minute of the clock: the functions' clock stands 20 s into a minute, so a slow
    machine cannot split one test's attempts across two windows."""
    frozen = FixedClock(datetime(2026, 11, 27, 12, 0, 20, tzinfo=UTC))
    monkeypatch.setattr(wiring, "now_clock", lambda: frozen)
    return frozen


# ------------------------------------------------------------------------------------------ item 11
def test_api_token_guessing_is_limited_per_address_with_retry_after(aws, reads, one_window):
    attacker, colleague = "198.51.100.7", "198.51.100.8"
    # when one address tries wrong tokens
    statuses = [
        _call(aws, "GET", "/api/v1/integrations/", source=attacker, headers={"authorization": f"guess-{n}"})[0]
        for n in range(FAILURES_PER_MINUTE)
    ]
    assert set(statuses) == {401}
    status, headers, body = _call(aws, "GET", "/api/v1/integrations/", source=attacker, headers={"authorization": "x"})
    # then past the limit it gets 429 with Retry-After, and the next attempts cost no lookup at all
    assert status == 429 and 1 <= int(headers["Retry-After"]) <= 60 and "failed authentications" in body["detail"]
    before = reads["api"]
    for _ in range(20):
        assert _call(aws, "GET", "/api/v1/integrations/", source=attacker, headers={"authorization": "y"})[0] == 429
    assert reads["api"] == before
    # (a good token from that address waits too; another address is not affected)
    assert _call(aws, "GET", "/api/v1/teams/", source=attacker, headers={"authorization": ADMIN_TOKEN})[0] == 429
    assert _call(aws, "GET", "/api/v1/teams/", source=colleague, headers={"authorization": ADMIN_TOKEN})[0] == 200


def test_the_same_wrong_api_token_is_answered_from_memory(aws, reads):
    for n in range(10):
        assert _call(aws, "GET", "/api/v1/teams/", source=f"192.0.2.{n}", headers={"authorization": "wrong"})[0] == 401
    assert reads["api"] == 1


def test_integration_token_guessing_is_limited_per_address(aws, reads, one_window):
    aws.set_env(ONCALL_CONFIG_CACHE_SECONDS="5")  # the deployed default (the fixture turns it off)
    integration = create_integration(aws)
    body = json.dumps(am_payload()).encode()
    for n in range(FAILURES_PER_MINUTE):
        path = f"/integrations/v1/alertmanager/guess{n:04d}/"
        assert _call(aws, "POST", path, source="198.51.100.9", body=body)[0] == 403
    status, headers, _ = _call(aws, "POST", "/integrations/v1/alertmanager/again/", source="198.51.100.9", body=body)
    assert status == 429 and "Retry-After" in headers
    # the same wrong token again costs no lookup (the config cache keeps negative answers)
    before = reads["integration"]
    for _ in range(5):
        _call(aws, "POST", "/integrations/v1/alertmanager/guess0000/", source="203.0.113.5", body=body)
    assert reads["integration"] == before
    # and a real sender elsewhere is served
    assert _call(aws, "POST", ingest_path(integration), source="203.0.113.77", body=body)[0] == 200


# ------------------------------------------------------------------------------------------ item 10
def test_a_deleted_integration_stops_accepting_alerts_at_once_in_that_container(aws, monkeypatch):
    """On AWS (and here: each function in its own container) the API that serves the deletion and the ingest
    function that caches the integration are different containers: the deleting one forgets at once, the
    ingest one within its cache's TTL (the window docs/SECURITY.md describes)."""
    aws.set_env(ONCALL_CONFIG_CACHE_SECONDS="60")  # a long cache makes the window obvious
    integration = create_integration(aws)
    body = json.dumps(am_payload()).encode()
    # given the integration's URL was used (its lookup is cached in the ingest container)
    assert _call(aws, "POST", ingest_path(integration), source="203.0.113.1", body=body)[0] == 200
    # when it is deleted
    assert aws.api("DELETE", f"integrations/{integration['id']}").status == 204
    # then the container that served the deletion no longer has it, at once
    assert aws.api("GET", f"integrations/{integration['id']}").status == 404
    # and once the ingest container's copy is older than the TTL, its URL refuses the next alert
    with aws.functions.entered("IngestFunction"):
        cache = wiring.config()
    clock = cache._monotonic  # noqa: SLF001 - the ingest container's cache clock, moved past the TTL
    monkeypatch.setattr(cache, "_monotonic", lambda: clock() + 61)
    assert _call(aws, "POST", ingest_path(integration), source="203.0.113.1", body=body)[0] == 403
    aws.drain()
    groups = aws.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body["results"]
    assert len(groups) <= 1  # (the alert accepted before the deletion may have made one)
