"""The api's routers, included on demand (oncall/api/app.py, decision 79): every router is listed with the
path segments it serves, a request includes only the routers of its segment, and the OpenAPI document still
describes every route."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.api_gateway import Router

import oncall.api
from oncall import wiring
from oncall.api import app as api_app

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


def _routers() -> dict[str, Router]:
    found = {}
    for info in pkgutil.iter_modules(oncall.api.__path__):
        router = getattr(importlib.import_module(f"oncall.api.{info.name}"), "router", None)
        if isinstance(router, Router):
            found[info.name] = router
    return found


def test_every_router_is_listed_with_the_first_path_segments_it_serves():
    listed = dict(api_app.RESOURCES) | dict(api_app.PUBLIC_RESOURCES)
    routers = _routers()

    assert set(routers) == set(listed)
    for name, router in routers.items():
        segments = {rule.strip("/").split("/", 1)[0] for rule, *_ in router._routes}
        assert segments <= set(listed[name]), name


def _event(path: str, method: str = "GET") -> dict:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "oncall.test"},
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "192.0.2.1"},
            "requestId": "r1",
            "stage": "$default",
            "domainName": "oncall.test",
        },
        "isBase64Encoded": False,
    }


@pytest.fixture
def fresh_app(monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "unit")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    wiring.reset()
    yield api_app.build_app(Logger(service="unit"), on_demand=True)
    wiring.reset()


@pytest.mark.parametrize(
    ("path", "included", "status"),
    [
        ("/api/v1/integrations/", {"integrations", "heartbeats", "maintenance"}, 401),
        ("//api/v1//teams", {"teams"}, 401),
        ("/api/v1/escalation/", {"direct_paging"}, 401),
        ("/api/v1/escalation_chains/C1/", {"escalation"}, 401),
        # Unknown paths under /api/v1/ ask for a token first, as with every router included.
        ("/api/v1/nothing-here/", set(), 401),
        ("/elsewhere", set(), 404),
    ],
)
def test_a_request_includes_only_the_routers_of_its_first_segment(fresh_app, path, included, status):
    answer = fresh_app.resolve(_event(path), None)

    assert fresh_app._included == included
    assert answer["statusCode"] == status


def test_an_action_link_includes_the_actions_router(fresh_app):
    fresh_app.resolve(_event("/actions/abc"), None)

    assert fresh_app._included == {"actions"}


def test_built_without_on_demand_every_router_is_included_at_once(monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "unit")
    app = api_app.build_app(Logger(service="unit"))

    assert app._included == {name for name, _ in (*api_app.RESOURCES, *api_app.PUBLIC_RESOURCES)}


def test_the_document_describes_every_route_whatever_was_included_before(fresh_app):
    fresh_app.resolve(_event("/api/v1/teams/"), None)

    described = set(json.loads(fresh_app.get_openapi_json_schema())["paths"])

    assert {name for name, _ in api_app.RESOURCES} <= fresh_app._included
    assert set(json.loads(DOCUMENT.read_text())["paths"]) <= described
