"""Every `oncall` command group against the running local stack (typer's test runner): --json output, tables,
references by name, and exit codes (0 ok, 1 API error, 2 usage/configuration, 3 not found)."""

import json
import stat
import threading
import time
import uuid

import pytest
from typer.testing import CliRunner

from oncall_cli.main import app
from tests.e2e.conftest import ADMIN_TOKEN, wait_until

pytestmark = pytest.mark.e2e
runner = CliRunner()


@pytest.fixture
def cli_env(local_stack, monkeypatch):
    monkeypatch.setenv("ONCALL_URL", local_stack.base_url)
    monkeypatch.setenv("ONCALL_TOKEN", ADMIN_TOKEN)
    monkeypatch.setenv("COLUMNS", "200")
    return local_stack


@pytest.fixture
def suffix() -> str:
    return uuid.uuid4().hex[:6]


def _run(*args: str, code: int = 0):
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def _json(*args: str):
    return json.loads(_run(*args, "--json").output)


def test_login_status_logout(local_stack, monkeypatch, tmp_path):
    # given no environment variables and an empty config directory
    monkeypatch.delenv("ONCALL_URL", raising=False)
    monkeypatch.delenv("ONCALL_TOKEN", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    _run("integrations", "list", code=2)  # not configured
    # a wrong token is refused and nothing is stored
    assert "Login failed" in _run("login", "--url", local_stack.base_url, "--token", "wrong", code=1).output
    assert not (tmp_path / "oncall" / "config.toml").exists()
    # when logging in with the right one
    _run("login", "--url", local_stack.base_url, "--token", ADMIN_TOKEN)
    stored = tmp_path / "oncall" / "config.toml"
    # then it is stored privately and later commands use it
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    status = _json("status")
    assert status["api"] == "ok" and status["configured_by"] == str(stored) and ADMIN_TOKEN not in str(status)
    _run("integrations", "list")
    assert "Removed" in _run("logout").output
    _run("status", code=2)


def test_integrations_routes_preview_and_demo(cli_env, suffix, tmp_path):
    name = f"cli-int-{suffix}"
    chain = _json("chains", "create", "--name", f"cli-chain-{suffix}")
    # create with labels, a template, options, and the default route's chain by name
    created = _json(
        "integrations",
        "create",
        "--type",
        "webhook",
        "--name",
        name,
        "--chain",
        chain["name"],
        "--label",
        "team=db",
        "--template",
        "web.title={{ payload.title }}!",
        "--rate-limit",
        "100/1m",
    )
    assert created["default_route"]["escalation_chain_id"] == chain["id"] and created["labels"] == {"team": "db"}
    assert created["rate_limit"] == {"alerts": 100, "per_seconds": 60}
    assert _json("integrations", "templates", name)["web"]["title"] == "{{ payload.title }}!"
    shown = _run("integrations", "get", name).output
    assert chain["name"] in shown and created["link"] in shown
    # update: rename, reset the template, clear labels
    updated = _json(
        "integrations", "update", name, "--name", f"{name}-2", "--reset-template", "web.title", "--clear-labels"
    )
    assert (updated["name"], updated["templates"]["web"]["title"], updated["labels"]) == (f"{name}-2", None, {})
    name = f"{name}-2"
    _run("integrations", "update", name, code=2)  # nothing to change
    # routes: by integration and chain names, positions
    first = _json("routes", "create", "--integration", name, "--label", "severity=critical", "--chain", chain["name"])
    second = _json("routes", "create", "--integration", name, "--regex", "db-[0-9]+", "--position", "0")
    listed = _json("routes", "list", "--integration", name)
    assert [r["id"] for r in listed if not r["is_the_last_route"]] == [second["id"], first["id"]]
    assert "severity" in _run("routes", "list", "--integration", name).output
    assert _json("routes", "update", first["id"], "--position", "0", "--chain", "none")["escalation_chain_id"] is None
    _run("routes", "create", "--integration", name, "--regex", "a", "--label", "a=b", code=2)
    _run("routes", "delete", second["id"], "--yes")
    _run("routes", "get", second["id"], code=3)
    # preview one template with a payload file, then everything
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps({"title": "Disk full", "severity": "critical"}))
    one = _json(
        "preview", name, "--template", "web.title", "--body", "{{ payload.title | upper }}", "--payload", str(payload)
    )
    assert one["preview"] == "DISK FULL" and one["error"] is None
    assert (
        _run(
            "preview",
            name,
            "--template",
            "web.title",
            "--body",
            "{{ payload.title | upper }}",
            "--payload",
            str(payload),
        ).output.strip()
        == "DISK FULL"
    )
    everything = _json("preview", name, "--payload", str(payload))
    assert everything["title"] and "templates" in everything
    _run("preview", name, "--body", "x", code=2)  # --body needs --template
    # demo, then delete: the integration is gone (3)
    assert _json("demo", name)["alert_id"]
    _run("integrations", "delete", name, "--yes")
    _run("integrations", "get", name, code=3)


def test_chains_and_policies(cli_env, suffix):
    team = _json("teams", "create", "--name", f"cli-team-{suffix}")
    user = _json("users", "create", "--username", f"cli-u-{suffix}", "--contact", "push=outbox://cli")
    schedule = _json(
        "schedules",
        "create",
        "--name",
        f"cli-s-{suffix}",
        "--rotation",
        user["username"],
        "--start",
        "2026-01-05T09:00",
    )
    chain = _json("chains", "create", "--name", f"cli-c-{suffix}", "--team", team["name"])
    assert chain["team_id"] == team["id"]
    # steps by name: people, schedule, team; durations as 5m
    _run("policies", "create", "--chain", chain["name"], "--type", "notify_persons", "--persons", user["username"])
    wait = _json("policies", "create", "--chain", chain["name"], "--type", "wait", "--duration", "5m")
    _run(
        "policies",
        "create",
        "--chain",
        chain["name"],
        "--type",
        "notify_on_call_from_schedule",
        "--schedule",
        schedule["name"],
        "--important",
    )
    _run("policies", "create", "--chain", chain["name"], "--type", "notify_team_members", "--team", team["name"])
    assert wait["duration"] == 300 and wait["position"] == 1
    shown = _json("chains", "get", chain["name"])
    assert [s["type"] for s in shown["steps"]] == [
        "notify_persons",
        "wait",
        "notify_on_call_from_schedule",
        "notify_team_members",
    ]
    assert shown["steps"][0]["persons_to_notify"] == [user["id"]]
    table = _run("chains", "get", chain["name"]).output
    assert f"notify_persons: {user['username']}" in table and "wait 5m" in table and schedule["name"] in table
    # move and change, list by chain, delete
    moved = _json("policies", "update", wait["id"], "--position", "0", "--duration", "10m")
    assert (moved["position"], moved["duration"]) == (0, 600)
    assert len(_json("policies", "list", "--chain", chain["name"])) == 4
    _run("policies", "create", "--chain", chain["name"], "--type", "notify_persons", "--persons", "nobody-x", code=3)
    _run("policies", "create", "--chain", chain["name"], "--type", "bogus", code=1)
    _run("policies", "delete", wait["id"], "--yes")
    _run("policies", "get", wait["id"], code=3)
    assert chain["name"] in _run("chains", "list").output
    # renaming and deleting chains need PUT/DELETE /escalation_chains/{id} (API parity work)
    probe = cli_env.api("PUT", f"escalation_chains/{chain['id']}", json={"name": chain["name"]})
    if probe.status_code in (404, 405):
        refused = _run("chains", "update", chain["name"], "--name", "x", code=1)
        assert "has no" in refused.output or "cannot change" in refused.output
        pytest.skip("PUT/DELETE /api/v1/escalation_chains/{id} are not on this branch yet: rename/delete untested")
    renamed = _json("chains", "update", chain["name"], "--name", f"{chain['name']}-2")
    assert renamed["name"] == f"{chain['name']}-2"
    _run("chains", "delete", renamed["name"], "--yes")
    _run("chains", "get", renamed["name"], code=3)


def test_users_teams_and_schedules(cli_env, suffix):
    team = _json("teams", "create", "--name", f"cli-t-{suffix}", "--email", "t@example.com")
    secret = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7F"
    user = _json(
        "users",
        "create",
        "--username",
        f"cli-user-{suffix}",
        "--contact",
        "push=outbox://p",
        "--contact",
        f"slack={secret}",
        "--default-rule",
        "notify:push",
        "--default-rule",
        "wait:5m",
        "--default-rule",
        "notify:slack",
        "--team",
        team["name"],
    )
    assert user["default_rules"] == [
        {"type": "notify", "contact": "push"},
        {"type": "wait", "duration": 300},
        {"type": "notify", "contact": "slack"},
    ]
    # adding a contact keeps the others' stored secrets (sent back masked)
    updated = _json("users", "update", user["username"], "--contact", "sms=outbox://sms", "--name", "Cli User")
    assert set(updated["contacts"]) == {"push", "slack", "sms"} and updated["name"] == "Cli User"
    _run("users", "update", user["username"], "--remove-contact", "sms", "--default-rule", "none")
    shown = _run("users", "get", user["username"]).output
    assert "every contact once" in shown and "TIiajk" not in shown
    _run("users", "update", user["username"], "--default-rule", "call:now", code=2)
    # teams: get shows members by username, update, delete
    assert user["username"] in _run("teams", "get", team["name"]).output
    assert _json("teams", "update", team["name"], "--name", f"{team['name']}-2")["email"] == "t@example.com"
    # schedules: create, shifts, update, delete
    schedule = _json(
        "schedules",
        "create",
        "--name",
        f"cli-sched-{suffix}",
        "--rotation",
        user["username"],
        "--frequency",
        "daily",
        "--start",
        "2026-03-23T09:00",
        "--team",
        f"{team['name']}-2",
    )
    shifts = _json("schedules", "shifts", schedule["name"], "--start-date", "2026-03-23", "--end-date", "2026-03-24")
    assert {s["user_username"] for s in shifts} == {user["username"]}
    _run("schedules", "shifts", schedule["name"], "--start-date", "soon", code=2)
    assert _json("schedules", "update", schedule["name"], "--time-zone", "Europe/Paris")["time_zone"] == "Europe/Paris"
    _run("schedules", "delete", schedule["name"], "--yes")
    _run("users", "delete", user["username"], "--yes")
    _run("teams", "delete", f"{team['name']}-2", "--yes")
    _run("teams", "get", f"{team['name']}-2", code=3)


def test_webhooks_settings_and_tokens(cli_env, suffix):
    name = f"cli-hook-{suffix}"
    integration = _json("integrations", "create", "--type", "webhook", "--name", f"cli-hi-{suffix}")
    hook = _json(
        "webhooks",
        "create",
        "--name",
        name,
        "--url",
        "http://127.0.0.1:1/hook",
        "--trigger",
        "alert group created",
        "--password",
        "s3cret",
        "--integration",
        integration["name"],
        "--max-retries",
        "0",
    )
    assert hook["password"] == "****************" and hook["integration_filter"] == [integration["id"]]
    assert _json("webhooks", "update", name, "--disabled", "--timeout", "5")["is_webhook_enabled"] is False
    attempt = _json("webhooks", "test", name)
    assert attempt["outcome"] != "success" and attempt["error"]
    assert [r["id"] for r in _json("webhooks", "responses", name)] == [attempt["id"]]
    assert "s3cret" not in _run("webhooks", "get", name).output
    _run("webhooks", "delete", name, "--yes")
    _run("webhooks", "get", name, code=3)
    # settings (admin)
    before = _json("settings", "show")
    try:
        assert _json("settings", "set", "--acknowledge-remind-timeout", "30")["acknowledge_remind_timeout"] == 30
        _run("settings", "set", "--unacknowledge-timeout", "-1", code=1)
        _run("settings", "set", code=2)
    finally:
        cli_env.api("PUT", "settings", json=before)
    # tokens need /api/v1/tokens (API parity work)
    if cli_env.api("GET", "tokens").status_code in (404, 405):
        assert "no token management" in _run("tokens", "list", code=1).output
        pytest.skip("/api/v1/tokens is not on this branch yet: token create/delete untested")
    created = _json("tokens", "create", "--name", f"cli-token-{suffix}", "--role", "viewer")
    assert created["token"]
    assert created["id"] in {t["id"] for t in _json("tokens", "list")}
    _run("tokens", "delete", created["id"], "--yes")


# The stack's own demo integration: its routes are in every configuration cache already (a brand-new
# integration's first alert may wait for the 5 s cache), and its chain notifies outbox://demo at once.
DEMO = "Demo Alertmanager"


def _new_group(stack, integration_id: str, known: set[str]) -> dict:
    """Send a demo alert and wait for its (new: demo alerts never group) alert group."""
    stack.api("POST", f"integrations/{integration_id}/demo_alert", json={})

    def found():
        groups = stack.api("GET", "alert_groups", params={"integration_id": integration_id}).json()["results"]
        return next((g for g in groups if g["id"] not in known), None)

    group = wait_until(found, timeout=10)
    assert group, "the demo alert made no group"
    return group


def _group_ids(stack, integration_id: str) -> set[str]:
    groups = stack.api("GET", "alert_groups", params={"integration_id": integration_id, "perpage": 1000}).json()
    return {g["id"] for g in groups["results"]}


def test_alert_group_actions(cli_env):
    integration = _json("integrations", "get", DEMO)
    gid = _new_group(cli_env, integration["id"], _group_ids(cli_env, integration["id"]))["id"]
    listed = _json("alert-groups", "list", "--integration", DEMO, "--state", "firing")
    assert gid in [g["id"] for g in listed]
    assert gid in _run("alert-groups", "list", "--integration", DEMO).output
    assert _json("alert-groups", "ack", gid)["state"] == "acknowledged"
    assert _json("alert-groups", "unack", gid)["state"] == "firing"
    silenced = _json("alert-groups", "silence", gid, "--for", "1h")
    assert silenced["state"] == "silenced" and silenced["silenced_until"]
    _run("alert-groups", "silence", gid, "--for", "a while", code=2)
    assert _json("alert-groups", "unsilence", gid)["state"] == "firing"
    assert "Resolved" in _run("alert-groups", "resolve", gid).output
    _run("alert-groups", "resolve", gid, code=1)  # already resolved: the API refuses
    assert _json("alert-groups", "unresolve", gid)["state"] == "firing"
    types = [e["type"] for e in _json("alert-groups", "timeline", gid)]
    assert types[0] == "registered" and "acknowledged" in types and "unresolved" in types
    assert _json("alert-groups", "get", gid)["id"] == gid
    _run("alert-groups", "delete", gid, "--mode", "delete", "--yes")
    _run("alert-groups", "get", gid, code=3)
    _run("alert-groups", "ack", "INOSUCHGROUP", code=3)
    _run("alert-groups", "list", "--label", "nocolon", code=2)


def test_tail_follows_a_new_group_its_notifications_and_its_acknowledgement(cli_env):
    # given the demo integration, whose chain notifies the outbox at once
    integration = _json("integrations", "get", DEMO)
    known = _group_ids(cli_env, integration["id"])

    def meanwhile():
        time.sleep(1.0)
        group = _new_group(cli_env, integration["id"], known)
        time.sleep(1.0)
        cli_env.api("POST", f"alert_groups/{group['id']}/acknowledge")

    actor = threading.Thread(target=meanwhile)
    actor.start()
    # when tail follows that integration for a few seconds
    result = _run("tail", "--integration", DEMO, "--interval", "0.5", "--for", "5s", "--json")
    actor.join()
    # then it printed the new group, the notification and the acknowledgement, one JSON object per line
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    kinds = [e["event"] for e in events]
    assert kinds and kinds[0] == "new", result.output
    assert "notified" in kinds and "acknowledged" in kinds, kinds
    assert kinds.index("notified") < kinds.index("acknowledged")
    assert {e["integration_id"] for e in events} == {integration["id"]}
    assert len({e["alert_group_id"] for e in events}) == 1
    _run("tail", "--for", "soon", code=2)
