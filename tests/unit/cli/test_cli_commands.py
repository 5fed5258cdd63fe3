"""CLI commands against an in-memory API (no HTTP): delete confirmations, maintenance stop, preview's exit
code, labels in either notation, route names after an update, and the hint for a missing team (issue 12
items 9 and 10)."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from oncall_cli import ui
from oncall_cli.client import find_in
from oncall_cli.commands import admin, alert_groups, escalation, integrations, people, webhooks
from oncall_cli.main import app

INTEGRATION = {"id": "CINT1", "name": "Prometheus", "maintenance_mode": None}
OBJECTS: dict[str, list[dict[str, Any]]] = {
    "integrations": [INTEGRATION],
    "escalation_chains": [{"id": "FCH1", "name": "Primary"}],
    "teams": [{"id": "TSRE1", "name": "SRE"}],
    "users": [{"id": "UAL1", "username": "alice", "email": "alice@example.com"}],
    "schedules": [{"id": "SSCH1", "name": "Week"}],
    "webhooks": [{"id": "WHK1", "name": "ticket"}],
    "tokens": [{"id": "TKN1", "name": "ci"}],
}


class FakeApi:
    """Answers like the API from OBJECTS (or `answers` keyed by (method, path)) and records every call."""

    def __init__(self, answers: dict[tuple[str, str], Any] | None = None) -> None:
        self.answers = answers or {}
        self.calls: list[tuple[str, str, Any]] = []

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        path = path.strip("/")
        self.calls.append((method, path, kwargs.get("json", kwargs.get("params"))))
        if (method, path) in self.answers:
            return self.answers[(method, path)]
        if method == "GET":
            return {"results": OBJECTS.get(path, []), "next": None}
        return {}

    def list_all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        return self.request("GET", path, params=params)["results"]

    def find(self, resource: str, reference: str, *, names: tuple[str, ...] = ("name",)) -> dict[str, Any]:
        return find_in(self.list_all(resource), reference, resource, names=names)

    def deletes(self) -> list[str]:
        return [path for method, path, _ in self.calls if method == "DELETE"]


@pytest.fixture
def api(monkeypatch) -> FakeApi:
    fake = FakeApi()
    for module in (admin, alert_groups, escalation, integrations, people, webhooks):
        monkeypatch.setattr(module, "client", lambda: fake)
    return fake


@pytest.fixture(autouse=True)
def _unwrapped_messages(monkeypatch):
    """Messages are asserted whole: no wrapping at whatever width the test runner's terminal has (xdist
    workers get 80 columns)."""
    from oncall_cli import ui

    for console in (ui.console, ui.errors):
        monkeypatch.setattr(console, "width", ui.PIPED_WIDTH)


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(app, list(args), input=input)
    return result, result.output + (result.stderr if result.stderr_bytes is not None else "")


DELETES = [
    (["integrations", "delete", "Prometheus"], "integrations/CINT1"),
    (["routes", "delete", "RRT1"], "routes/RRT1"),
    (["chains", "delete", "Primary"], "escalation_chains/FCH1"),
    (["policies", "delete", "EST1"], "escalation_policies/EST1"),
    (["schedules", "delete", "Week"], "schedules/SSCH1"),
    (["users", "delete", "alice"], "users/UAL1"),
    (["teams", "delete", "SRE"], "teams/TSRE1"),
    (["webhooks", "delete", "ticket"], "webhooks/WHK1"),
    (["tokens", "delete", "ci"], "tokens/TKN1"),
    (["alert-groups", "delete", "IGRP1"], "alert_groups/IGRP1"),
]


@pytest.mark.parametrize(("args", "path"), DELETES)
def test_a_delete_without_a_terminal_and_without_yes_refuses(api, args, path):
    """Given no terminal (a script), when a delete runs without --yes, it deletes nothing, says to pass
    --yes, and exits non-zero."""
    result, output = run(*args)
    assert result.exit_code == ui.EXIT_USAGE, output
    assert "Pass --yes to delete" in output
    assert api.deletes() == []


@pytest.mark.parametrize(("args", "path"), DELETES)
def test_yes_deletes(api, args, path):
    result, output = run(*args, "--yes")
    assert result.exit_code == 0, output
    assert api.deletes() == [path]


@pytest.mark.parametrize(("answer", "deleted", "code"), [("y\n", True, 0), ("n\n", False, 1), ("\n", False, 1)])
def test_a_delete_on_a_terminal_asks_first(api, monkeypatch, answer, deleted, code):
    monkeypatch.setattr(ui, "_interactive", lambda: True)
    result, output = run("integrations", "delete", "Prometheus", input=answer)
    assert "Delete integration Prometheus (CINT1) and its routes?" in output
    assert (result.exit_code, api.deletes() == ["integrations/CINT1"]) == (code, deleted), output


def test_maintenance_stop_says_what_it_stopped(api):
    """Given an integration in debug mode, `maintenance stop` names what it ended (not "not in maintenance",
    which the API's answer — the state after the stop — would say)."""
    OBJECTS["integrations"] = [{**INTEGRATION, "maintenance_mode": "debug", "maintenance_end_at": "2026-12-01T06:00Z"}]
    try:
        result, output = run("maintenance", "stop", "Prometheus")
    finally:
        OBJECTS["integrations"] = [INTEGRATION]
    assert result.exit_code == 0, output
    assert "Stopped debug mode of Prometheus (it was to end at 2026-12-01T06:00Z)." in output
    assert "not in maintenance" not in output
    result, output = run("maintenance", "stop", "Prometheus")
    assert "Prometheus was not in maintenance: nothing to stop." in output


def test_preview_exits_non_zero_on_a_template_error(api):
    api.answers[("POST", "integrations/CINT1/preview_template")] = {"preview": None, "error": "unexpected '}'"}
    result, output = run("preview", "Prometheus", "--template", "web.title", "--body", "{{ x }")
    assert result.exit_code == ui.EXIT_API_ERROR and "unexpected" in output
    api.answers[("POST", "integrations/CINT1/preview_template")] = {"preview": "ok", "error": None}
    assert run("preview", "Prometheus", "--template", "web.title")[0].exit_code == 0
    everything = {
        "title": "t",
        "labels": {},
        "route_id": "R1",
        "groups": True,
        "is_resolve_signal": False,
        "is_acknowledge_signal": False,
        "templates": {"web.title": {"preview": "t"}, "sms.title": {"error": "boom"}},
    }
    api.answers[("POST", "integrations/CINT1/preview")] = everything
    result, output = run("preview", "Prometheus")
    assert result.exit_code == ui.EXIT_API_ERROR and "sms.title" in output
    assert run("preview", "Prometheus", "--json")[0].exit_code == ui.EXIT_API_ERROR


@pytest.mark.parametrize("label", ["team=db", "team:db"])
def test_labels_are_key_equals_value_or_key_colon_value_everywhere(api, label):
    result, output = run("alert-groups", "list", "--label", label, "--label", "url=http://x:1")
    assert result.exit_code == 0, output
    [(_, _, params)] = [c for c in api.calls if c[1] == "alert_groups"]
    assert ("label", "team:db") in params and ("label", "url:http://x:1") in params
    api.answers[("PATCH", "integrations/CINT1")] = {**INTEGRATION, "team_id": None}
    result, output = run("integrations", "update", "Prometheus", "--label", label)
    assert result.exit_code == 0, output
    [(_, _, body)] = [c for c in api.calls if c[0] == "PATCH"]
    assert body["labels"] == {"team": "db"}


def test_routes_update_shows_names_as_list_does(api):
    updated = {
        "id": "RRT1",
        "integration_id": "CINT1",
        "escalation_chain_id": "FCH1",
        "routing_type": "regex",
        "routing_regex": "db",
        "position": 0,
        "is_the_last_route": False,
    }
    api.answers[("PATCH", "routes/RRT1")] = updated
    result, output = run("routes", "update", "RRT1", "--chain", "Primary")
    assert result.exit_code == 0, output
    assert "Prometheus" in output and "Primary" in output


@pytest.mark.parametrize(
    "args",
    [
        ["integrations", "create", "--type", "webhook", "--name", "x", "--team", "Platform"],
        ["chains", "create", "--name", "x", "--team", "Platform"],
    ],
)
def test_a_missing_team_says_how_to_create_it(api, args):
    result, output = run(*args)
    assert result.exit_code == ui.EXIT_NOT_FOUND, output
    assert "No team with id or name 'Platform'" in output
    assert "oncall teams create --name Platform" in output


def test_the_make_run_banner_says_how_to_get_oncall_on_path_and_what_the_time_scale_does():
    from types import SimpleNamespace

    from oncall_cli.main import banner

    stack = SimpleNamespace(moto_url="http://127.0.0.1:1", base_url="http://127.0.0.1:2", admin_token="t")
    settings = SimpleNamespace(outbox_path="outbox.jsonl", time_scale=0.01)
    text = banner(stack, settings, "http://127.0.0.1:2/integrations/v1/alertmanager/x/", "curl …", "curl …")
    assert ". .venv/bin/activate" in text and "export ONCALL_TOKEN=t" in text
    assert "the service's clock runs 100x fast" in text
