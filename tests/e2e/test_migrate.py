"""`oncall migrate` end to end: from the OnCall API v1 fake, and from one local stack to another, into a local
stack of its own (a fresh destination: other e2e tests expect the shared stack as they left it).

- the plan comes first (--dry-run writes nothing; without a terminal --yes is required);
- the integrations keep their tokens, so the same Alertmanager payload posted to both URLs (which differ only
  in host) makes a group on the same route and escalates through the same chain;
- a second run changes nothing, a run after a source change updates exactly that;
- bad input (wrong source token, unreachable source, non-admin destination token, token clash) is a clear
  message, a non-zero exit and nothing written."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import requests
import yaml
from typer.testing import CliRunner

from oncall_cli.main import app
from tests.e2e.conftest import ADMIN_TOKEN, start_stack, stop_stack, wait_until
from tests.oncall_v1_fake import AM_TOKEN, TOKEN, WEBHOOK_TOKEN, OnCallV1Fake

pytestmark = pytest.mark.e2e
runner = CliRunner()
# A real Alertmanager notification (a copy of /work/shared/reference/payloads/alertmanager/01_single_firing.json)
FIRING = (Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager" / "01_single_firing.json").read_text()


@pytest.fixture(scope="module")
def destination(tmp_path_factory):
    stack = start_stack(tmp_path_factory.mktemp("migrate-destination"))
    # A local stack starts with a demo integration of its own; a deployment on AWS starts empty.
    for integration in stack.api("GET", "integrations").json()["results"]:
        stack.api("DELETE", f"integrations/{integration['id']}")
    yield stack
    stop_stack(stack)


@pytest.fixture(scope="module")
def state(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("migrate-state") / "state.json"


@pytest.fixture
def to(destination, monkeypatch):
    monkeypatch.setenv("ONCALL_URL", destination.base_url)
    monkeypatch.setenv("ONCALL_TOKEN", ADMIN_TOKEN)
    monkeypatch.setenv("COLUMNS", "200")
    return destination


@pytest.fixture(scope="module")
def source():
    with OnCallV1Fake() as fake:
        yield fake


def _migrate(*args: str, code: int = 0):
    result = runner.invoke(app, ["migrate", *args])
    assert result.exit_code == code, result.output
    return result


def _json(result) -> dict:
    return json.loads(result.stdout)


def _post(url: str) -> requests.Response:
    return requests.post(url, data=FIRING, headers={"Content-Type": "application/json"}, timeout=10)


def _names(stack, resource: str) -> list[str]:
    return sorted(o["name"] for o in stack.api("GET", resource, params={"perpage": 1000}).json()["results"])


def _snapshot(stack) -> dict[str, list[str]]:
    return {r: _names(stack, r) for r in ("integrations", "escalation_chains", "teams", "schedules", "webhooks")}


# ------------------------------------------------------------------------------------------ from OnCall
def test_from_oncall_plan_first_then_apply_keeps_every_token(to, source, state):
    before = _snapshot(to)
    # --dry-run shows the plan and the report, writes nothing
    dry = _migrate("--from-url", source.url, "--from-token", TOKEN, "--state", str(state), "--dry-run")
    assert "Plan:" in dry.output and "Not carried over exactly" in dry.output
    assert "slack://" in dry.output  # the nearest equivalent of the Slack rules and steps
    assert _snapshot(to) == before
    # without a terminal, --yes is required
    refused = _migrate("--from-url", source.url, "--from-token", TOKEN, "--state", str(state), code=2)
    assert "--yes" in refused.output
    assert _snapshot(to) == before

    applied = _migrate("--from-url", source.url, "--from-token", TOKEN, "--state", str(state), "--yes")
    assert "Applied" in applied.output
    links = {i["name"]: i["link"] for i in to.api("GET", "integrations").json()["results"]}
    assert links["Prometheus"] == f"{to.base_url}/integrations/v1/alertmanager/{AM_TOKEN}/"
    assert links["Cron jobs"] == f"{to.base_url}/integrations/v1/webhook/{WEBHOOK_TOKEN}/"
    assert f"heartbeat (pingers must change it): {to.base_url}/integrations/v1/alertmanager/{AM_TOKEN}/heartbeat/" in (
        applied.output
    )
    # the kept URL takes alerts
    assert _post(f"{to.base_url}/integrations/v1/alertmanager/{AM_TOKEN}/").status_code == 200
    assert {"Critical", "Default", "Every step"} <= set(_names(to, "escalation_chains"))
    users = {u["username"]: u for u in to.api("GET", "users").json()["results"]}
    assert set(users) >= {"alice", "bob", "carol"}
    # the schedule's shifts came across as they are: who is on call is computed from them here too
    [primary] = to.api("GET", "schedules", params={"name": "Primary"}).json()["results"]
    assert len(primary["shifts"]) == 2

    def on_call(at: str) -> list[str]:
        body = to.api("GET", f"schedules/{primary['id']}/on_call", params={"at": at}).json()
        return [u["username"] for u in body["users"]]

    assert on_call("2026-03-03T10:00:00Z") == ["bob"]  # week 8 of a two-person rotation that starts with bob
    assert on_call("2026-03-10T10:00:00Z") == ["alice"]
    assert on_call("2099-01-01T00:30:00Z") == ["carol"]  # the override


def test_a_second_run_changes_nothing_and_a_source_change_updates_exactly_that(to, source, state):
    again = _json(_migrate("--from-url", source.url, "--from-token", TOKEN, "--state", str(state), "--yes", "--json"))
    assert again["plan"]["summary"] == {"create": 0, "update": 0, "delete": 0}, again["plan"]["changes"]
    assert again["applied"] == 0
    # when the source renames a chain and changes one of its waits
    chain = next(c for c in source.data["escalation_chains"] if c["id"] == "FCRITICAL001")
    chain["name"] = "Critical 24/7"
    wait = next(p for p in source.data["escalation_policies"] if p["id"] == "ECR2")
    wait["duration"] = 600
    changed = _json(_migrate("--from-url", source.url, "--from-token", TOKEN, "--state", str(state), "--yes", "--json"))
    # then exactly that chain is updated, in place (renamed, not duplicated)
    assert changed["plan"]["summary"] == {"create": 0, "update": 1, "delete": 0}, changed["plan"]["changes"]
    [change] = changed["plan"]["changes"]
    assert (change["kind"], change["name"], change.get("renamed_from")) == (
        "escalation chain",
        "Critical 24/7",
        "Critical",
    )
    chains = _names(to, "escalation_chains")
    assert "Critical 24/7" in chains and "Critical" not in chains
    final = _json(_migrate("--from-url", source.url, "--from-token", TOKEN, "--state", str(state), "--yes", "--json"))
    assert final["plan"]["summary"] == {"create": 0, "update": 0, "delete": 0}


def test_export_only_writes_the_yaml_with_the_tokens(to, source, tmp_path):
    out = tmp_path / "oncall.yaml"
    _migrate("--from-url", source.url, "--from-token", TOKEN, "--export-only", "-o", str(out))
    written = yaml.safe_load(out.read_text())
    tokens = {i["name"]: i["token"] for i in written["integrations"]}
    assert tokens["Prometheus"] == AM_TOKEN


# ------------------------------------------------------------------------------------------ bad input
def test_a_wrong_source_token_is_refused_and_nothing_is_written(to, source, state):
    before = _snapshot(to)
    result = _migrate("--from-url", source.url, "--from-token", "wrong", "--state", str(state), "--yes", code=1)
    assert "refused the token" in result.output and "Nothing was changed" in result.output
    assert _snapshot(to) == before


def test_an_unreachable_source_is_refused_and_nothing_is_written(to, state, monkeypatch):
    from oncall_cli import migrate

    monkeypatch.setattr(migrate.time, "sleep", lambda _s: None)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    before = _snapshot(to)
    result = _migrate("--from-url", f"http://127.0.0.1:{port}", "--from-token", TOKEN, "--yes", code=1)
    assert "Cannot reach the source" in result.output
    assert _snapshot(to) == before


def test_a_destination_token_without_admin_rights_is_refused_before_anything(to, source, state, monkeypatch):
    editor = to.api("POST", "tokens", json={"name": "editor", "role": "editor"}).json()["token"]
    monkeypatch.setenv("ONCALL_TOKEN", editor)
    before = _snapshot(to)
    result = _migrate("--from-url", source.url, "--from-token", TOKEN, "--state", str(state), "--yes", code=1)
    assert "not an admin token" in result.output
    assert _snapshot(to) == before


def test_a_token_clash_is_refused_before_the_first_write(to, source, state):
    # given an integration here that has a token a new source integration also has
    clash = "Cl4shCl4shZq9Wx8Ec7Rv6Tb5"
    created = to.api("POST", "integrations", json={"type": "webhook", "name": "Already here", "token": clash})
    assert created.status_code == 201
    source.data["teams"].append({"id": "TNEW00000009", "name": "Newcomers", "email": None, "avatar_url": None})
    source.data["integrations"].append(
        {
            **source.data["integrations"][4],
            "id": "CCLASH000009",
            "name": "Clashing",
            "link": f"{source.url}/integrations/v1/webhook/{clash}/",
        }
    )
    before = _snapshot(to)
    try:
        result = _migrate("--from-url", source.url, "--from-token", TOKEN, "--state", str(state), "--yes", code=2)
        assert 'integration "Already here" here already has this token' in result.output
        # nothing of the plan was applied, not even the team that came before it
        assert _snapshot(to) == before
    finally:
        source.data["teams"].pop()
        source.data["integrations"].pop()


# ------------------------------------------------------------------------------------------ stack to stack
@pytest.fixture(scope="module")
def source_stack(tmp_path_factory):
    stack = start_stack(tmp_path_factory.mktemp("migrate-source"))
    yield stack
    stop_stack(stack)


ROUND_TRIP = """
escalation_chains:
  - name: RT critical
    steps:
      - type: notify_channel
        channel: outbox://rt-critical
      - type: wait
        duration: 30m
      - type: notify_channel
        channel: outbox://rt-critical-again
  - name: RT other
    steps:
      - type: notify_channel
        channel: outbox://rt-other
integrations:
  - name: RT Prometheus
    type: alertmanager
    default_chain: RT other
    routes:
      - regex: '"severity": "warning"'
        chain: RT other
      - jinja2: '{{ payload.commonLabels.severity == "critical" }}'
        chain: RT critical
"""


def _group_path(stack, integration: dict) -> tuple[int, str, list[str]]:
    """(the route's position, its chain's name, the channels paged) of the integration's newest group."""
    groups = wait_until(
        lambda: stack.api("GET", "alert_groups", params={"integration_id": integration["id"]}).json()["results"], 10
    )
    assert groups, "no alert group"
    route = stack.api("GET", f"routes/{groups[0]['route_id']}").json()
    chain = stack.api("GET", f"escalation_chains/{route['escalation_chain_id']}").json()
    pages = wait_until(lambda: [json.loads(x)["channel"] for x in stack.outbox_lines() if groups[0]["id"] in x], 10)
    return route["position"], chain["name"], pages


def test_round_trip_from_one_stack_to_another(to, source_stack, tmp_path, monkeypatch):
    # given a setup on the source stack
    file = tmp_path / "rt.yaml"
    file.write_text(ROUND_TRIP)
    monkeypatch.setenv("ONCALL_URL", source_stack.base_url)
    result = runner.invoke(app, ["apply", "-f", str(file), "--yes"])
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("ONCALL_URL", to.base_url)
    # when it is migrated (the source is this service: its own export is read)
    migrated = _migrate("--from-url", source_stack.base_url, "--from-token", ADMIN_TOKEN, "--yes")
    assert "is a deployment of this service" in migrated.output
    assert (
        "Nothing to change"
        in _migrate("--from-url", source_stack.base_url, "--from-token", ADMIN_TOKEN, "--yes").output
    )
    # then the same payload posted to both URLs (they differ only in host) takes the same route and chain
    here = {i["name"]: i for i in to.api("GET", "integrations").json()["results"]}["RT Prometheus"]
    there = {i["name"]: i for i in source_stack.api("GET", "integrations").json()["results"]}["RT Prometheus"]
    assert here["link"].replace(to.base_url, "") == there["link"].replace(source_stack.base_url, "")
    for stack, integration in ((source_stack, there), (to, here)):
        assert integration["link"].startswith(stack.base_url)
        assert _post(integration["link"]).status_code == 200
    assert _group_path(source_stack, there) == _group_path(to, here) == (1, "RT critical", ["outbox://rt-critical"])


MASKED_CHAIN = """
escalation_chains:
  - name: RT masked
    steps:
      - type: notify_channel
        channel: outbox://a-channel-whose-name-is-secret
"""


def _steps_channels(stack) -> list[str]:
    listed = stack.api("GET", "escalation_policies", params={"perpage": 1000, "reveal_secrets": "true"})
    return sorted(s.get("channel") or "" for s in listed.json()["results"])


def test_a_masked_source_is_refused_at_the_plan_and_nothing_is_written(to, source_stack, tmp_path, monkeypatch):
    # given the source holds a secret its API shows masked (this channel's name is too long to be shown)
    file = tmp_path / "masked.yaml"
    file.write_text(MASKED_CHAIN)
    monkeypatch.setenv("ONCALL_URL", source_stack.base_url)
    assert runner.invoke(app, ["apply", "-f", str(file), "--yes"]).exit_code == 0
    viewer = source_stack.api("POST", "tokens", json={"name": "read-only", "role": "viewer"}).json()["token"]
    plain, secret = tmp_path / "plain.yaml", tmp_path / "with-secrets.yaml"
    assert runner.invoke(app, ["export", "-o", str(plain)]).exit_code == 0
    exported = runner.invoke(app, ["export", "--with-secrets", "-o", str(secret)])
    assert exported.exit_code == 0, exported.output
    monkeypatch.setenv("ONCALL_URL", to.base_url)
    before = (_snapshot(to), _steps_channels(to))
    state = str(tmp_path / "state.json")
    # when it is migrated with a token that may not read secrets, or from an export made without them
    by_viewer = _migrate("--from-url", source_stack.base_url, "--from-token", viewer, "--state", state, "--yes", code=2)
    from_plain = _migrate("--from-file", str(plain), "--state", state, "--yes", code=2)
    # then the plan names every masked value and how to fix it, and nothing is written
    for result, fix in ((by_viewer, "admin token of the source"), (from_plain, "--with-secrets")):
        assert "cannot be copied (nothing was changed)" in result.output
        assert 'escalation chain "RT masked": step 1 channel = outbox://****' in result.output
        assert fix in result.output and "applied" not in result.output.lower()
    assert (_snapshot(to), _steps_channels(to)) == before
    # and an export with its secrets is the owner's only, and carries them (a re-run changes nothing)
    assert secret.stat().st_mode & 0o777 == 0o600 and "a-channel-whose-name-is-secret" in secret.read_text()
    _migrate("--from-file", str(secret), "--state", state, "--yes")
    assert "outbox://a-channel-whose-name-is-secret" in _steps_channels(to)
    assert "Nothing to change" in _migrate("--from-file", str(secret), "--state", state, "--yes").output
