"""`oncall apply|plan|export` against the running local stack: examples/oncall.yaml applies, a second apply
plans nothing, the export round-trips, edits (rename, routes, steps, contacts) plan and apply as expected."""

import json
import uuid

import pytest
import yaml
from typer.testing import CliRunner

from oncall_cli.main import app
from tests.e2e.conftest import ADMIN_TOKEN, REPO_ROOT

pytestmark = pytest.mark.e2e
runner = CliRunner()
EXAMPLE = REPO_ROOT / "examples" / "oncall.yaml"


@pytest.fixture
def cli_env(local_stack, monkeypatch):
    monkeypatch.setenv("ONCALL_URL", local_stack.base_url)
    monkeypatch.setenv("ONCALL_TOKEN", ADMIN_TOKEN)
    monkeypatch.setenv("COLUMNS", "200")
    before = local_stack.api("GET", "settings").json()
    yield local_stack
    # the example turns acknowledge reminders on: other tests expect the defaults
    local_stack.api("PUT", "settings", json=before)


def _run(*args: str, code: int = 0):
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def _plan(path, *options: str) -> dict:
    return json.loads(_run("plan", "-f", str(path), "--json", *options).output)["plan"]


def _nothing(plan: dict) -> bool:
    return plan["summary"] == {"create": 0, "update": 0, "delete": 0} and not plan["problems"]


def test_example_applies_then_plans_nothing_and_the_export_round_trips(cli_env, tmp_path):
    # given the example applied
    applied = _run("apply", "-f", str(EXAMPLE), "--yes")
    assert "Applied" in applied.output or "Nothing to change" in applied.output
    # then applying it again plans nothing
    assert _nothing(_plan(EXAMPLE)), _plan(EXAMPLE)
    assert "Nothing to change" in _run("apply", "-f", str(EXAMPLE), "--yes").output
    # and what it made works: the rotation names alice, routes take the chains by name
    on_call = json.loads(_run("schedules", "oncall", "SRE primary", "--at", "2026-03-24T12:00:00Z", "--json").output)
    assert [u["username"] for u in on_call["users"]] == ["alice"]
    routes = json.loads(_run("routes", "list", "--integration", "Prometheus prod", "--json").output)
    chains = {c["name"]: c["id"] for c in json.loads(_run("chains", "list", "--json").output)}
    assert [(r["routing_labels"], r["escalation_chain_id"]) for r in routes if not r["is_the_last_route"]] == [
        ({"severity": "critical"}, chains["SRE critical"])
    ]
    # when the deployment is exported (to stdout and to a file)
    exported = tmp_path / "export.yaml"
    _run("export", "-o", str(exported))
    assert _run("export").output == exported.read_text()
    text = exported.read_text()
    assert "default_chain: SRE default" in text and "schedule: SRE primary" in text
    # then applying the export, even with --prune, changes nothing
    assert _nothing(_plan(exported, "--prune"))


def test_edits_plan_apply_and_converge(cli_env, tmp_path):
    _run("apply", "-f", str(EXAMPLE), "--yes")
    link = json.loads(_run("integrations", "get", "Prometheus prod", "--json").output)["link"]
    # given the example edited: an integration renamed, a route added first and one changed, a step added,
    # a contact changed
    config = yaml.safe_load(EXAMPLE.read_text())
    integration = config["integrations"][0]
    integration.update(name="Prometheus production", renamed_from="Prometheus prod")
    integration["routes"] = [{"regex": "db-[0-9]+", "chain": "SRE critical"}, {"labels": {"severity": "page"}}]
    config["webhooks"][0]["integration_filter"] = ["Prometheus production"]
    config["escalation_chains"][1]["steps"].insert(0, {"type": "notify_channel", "channel": "outbox://sre"})
    config["users"][1]["contacts"]["push"] = "outbox://bob-phone"
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(config, sort_keys=False))
    # when it is planned
    plan = _plan(edited)
    # then the plan names each change and its fields, and renames (no delete, no create)
    changes = {(c["action"], c["kind"], c["name"]): c.get("changes", []) for c in plan["changes"]}
    assert set(changes) == {
        ("update", "user", "bob"),
        ("update", "escalation chain", "SRE critical"),
        ("update", "integration", "Prometheus production"),
    }
    paths = {c["path"] for c in changes[("update", "integration", "Prometheus production")]}
    assert paths == {"name", "routes[0]", "routes[1].labels.severity", "routes[1].chain"}
    assert [c["path"] for c in changes[("update", "escalation chain", "SRE critical")]] == ["steps[0]"]
    assert changes[("update", "user", "bob")] == [
        {"path": "contacts.push", "old": "outbox://bob", "new": "outbox://bob-phone"}
    ]
    # and --dry-run shows it without applying, a terminal-less apply without --yes refuses
    assert "Plan: 0 to create, 3 to update" in _run("apply", "-f", str(edited), "--dry-run").output
    assert "--yes" in _run("apply", "-f", str(edited), code=2).output
    # when it is applied
    applied = _run("apply", "-f", str(edited), "--yes")
    assert "[3/3]" in applied.output and "Applied 3 changes." in applied.output
    # then it converges, and the renamed integration kept its URL
    assert _nothing(_plan(edited))
    assert json.loads(_run("integrations", "get", "Prometheus production", "--json").output)["link"] == link
    # and renaming back, then applying the example, puts everything back
    config["integrations"][0].update(name="Prometheus prod", renamed_from="Prometheus production")
    config["webhooks"][0]["integration_filter"] = ["Prometheus prod"]
    edited.write_text(yaml.safe_dump(config, sort_keys=False))
    _run("apply", "-f", str(edited), "--yes")
    _run("apply", "-f", str(EXAMPLE), "--yes")
    assert _nothing(_plan(EXAMPLE))


def test_prune_deletes_only_in_the_sections_the_file_declares(cli_env, tmp_path):
    # given a webhook that no file declares
    name = f"stray-{uuid.uuid4().hex[:6]}"
    _run("webhooks", "create", "--name", name, "--url", "http://127.0.0.1:1/x", "--password", "s3cret")
    # and a file declaring every webhook but that one (from an export: secrets masked, kept)
    exported = tmp_path / "export.yaml"
    _run("export", "-o", str(exported))
    config = yaml.safe_load(exported.read_text())
    webhooks_only = {"webhooks": [w for w in config["webhooks"] if w["name"] != name]}
    path = tmp_path / "webhooks.yaml"
    path.write_text(yaml.safe_dump(webhooks_only))
    # without --prune nothing is deleted
    plan = _plan(path)
    assert _nothing(plan) and plan["unmanaged"] == {"webhook": [name]}
    # with --prune only the stray webhook is
    assert [(c["action"], c["name"]) for c in _plan(path, "--prune")["changes"]] == [("delete", name)]
    _run("apply", "-f", str(path), "--prune", "--yes")
    assert name not in {w["name"] for w in json.loads(_run("webhooks", "list", "--json").output)}


def test_files_that_do_not_fit_are_refused_with_the_path(cli_env, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("integrations:\n- name: X\n  type: webhook\n  routes:\n  - regex: a\n    chain: db\n")
    refused = _run("apply", "-f", str(bad), "--yes", code=2)
    assert 'integrations[0].routes[0].chain: no escalation chain named "db"' in refused.output
    as_json = _run("plan", "-f", str(bad), "--json", code=2)
    assert json.loads(as_json.stdout)["plan"]["problems"] == [
        'integrations[0].routes[0].chain: no escalation chain named "db"'
    ]
    bad.write_text("integrations:\n- name: X\n  typ: webhook\n")
    refused = _run("plan", "-f", str(bad), code=2)
    assert "integrations[0].typ: unknown field" in refused.output and "integrations[0].type" in refused.output
    _run("plan", "-f", str(tmp_path / "missing.yaml"), code=2)
