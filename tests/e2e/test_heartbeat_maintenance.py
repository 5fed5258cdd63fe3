"""Heartbeats and maintenance in the time-scaled local stack (0.02: the 1-minute sweep runs every 1.2 s and
the stack's clock runs 50 times faster), over HTTP, like a cron job, a monitoring tool and a user would."""

import json
import uuid

import pytest
import requests
from typer.testing import CliRunner

from oncall_cli.main import app
from tests.builders import am_payload
from tests.e2e.conftest import ADMIN_TOKEN, wait_until

pytestmark = pytest.mark.e2e
runner = CliRunner()


def _chain(stack, channel):
    chain = stack.api("POST", "escalation_chains", json={"name": f"chain-{uuid.uuid4().hex[:6]}"}).json()
    for step in ({"type": "notify_channel", "channel": channel}, {"type": "wait", "duration": 3600}):
        assert stack.api("POST", "escalation_policies", json={"escalation_chain_id": chain["id"], **step}).ok
    return chain


def _integration(stack, kind, chain):
    body = {
        "type": kind,
        "name": f"{kind}-{uuid.uuid4().hex[:6]}",
        "default_route": {"escalation_chain_id": chain["id"]},
    }
    response = stack.api("POST", "integrations", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _groups(stack, integration_id):
    return stack.api("GET", "alert_groups", params={"integration_id": integration_id}).json()["results"]


def _paged(stack, channel):
    return [json.loads(line) for line in stack.outbox_lines() if json.loads(line)["channel"] == channel]


def test_a_silent_job_pages_and_its_return_resolves_the_group(local_stack):
    stack = local_stack
    channel = f"outbox://hb-{uuid.uuid4().hex[:6]}"
    integration = _integration(stack, "webhook", _chain(stack, channel))
    path = f"integrations/{integration['id']}/heartbeat"
    configured = stack.api("PUT", path, json={"period": 120, "grace_period": 60}).json()
    # given the job pings its heartbeat URL (the exact URL a cron job would curl)
    assert requests.get(configured["link"], timeout=5).status_code == 200
    assert stack.api("GET", path).json()["state"] == "up"
    try:
        # when it stops pinging: within period + grace + a sweep (about 3.6 + 1.2 s here) a group appears
        assert wait_until(lambda: _groups(stack, integration["id"]), timeout=15), "no missing-heartbeat group"
        [group] = _groups(stack, integration["id"])
        assert group["title"].endswith("heartbeat missing") and group["state"] == "firing"
        assert stack.api("GET", path).json()["state"] == "down"
        # and it pages
        assert wait_until(lambda: _paged(stack, channel), timeout=5), "nobody was paged"
        assert _paged(stack, channel)[0]["title"].endswith("heartbeat missing")
        # when the pings resume, the group resolves
        assert requests.post(configured["link"], timeout=5).status_code == 200
        resolved = wait_until(
            lambda: stack.api("GET", f"alert_groups/{group['id']}").json()["state"] == "resolved", timeout=5
        )
        assert resolved, "the restored heartbeat did not resolve the group"
    finally:
        stack.api("POST", f"{path}/reset")


def test_a_maintenance_window_collects_groups_and_resolves_them_at_expiry(local_stack):
    stack = local_stack
    channel = f"outbox://mw-{uuid.uuid4().hex[:6]}"
    integration = _integration(stack, "alertmanager", _chain(stack, channel))
    # given a 10-minute maintenance (12 s here)
    started = stack.api(
        "POST", f"integrations/{integration['id']}/maintenance_start", json={"mode": "maintenance", "duration": 600}
    )
    assert started.status_code == 200 and started.json()["maintenance_mode"] == "maintenance"
    incident_id = started.json()["maintenance_incident_id"]
    # when three different alerts fire
    for name in ("DiskFull", "HighLatency", "NodeDown"):
        assert requests.post(integration["link"], json=am_payload(alertname=name), timeout=5).status_code == 200
    # then three groups are collected into the maintenance incident, and nobody is paged
    assert wait_until(lambda: len(_groups(stack, integration["id"])) == 3, timeout=10)
    assert {g["root_alert_group_id"] for g in _groups(stack, integration["id"])} == {incident_id}
    assert _paged(stack, channel) == []
    # when the window's time is up (the sweep ends it at most about a minute late: 1.2 s here)
    ended = wait_until(lambda: {g["state"] for g in _groups(stack, integration["id"])} == {"resolved"}, timeout=20)
    assert ended, "the groups were not resolved at the end of the maintenance"
    assert stack.api("GET", f"alert_groups/{incident_id}").json()["state"] == "resolved"
    assert stack.api("GET", f"integrations/{integration['id']}").json()["maintenance_mode"] is None
    assert _paged(stack, channel) == []


@pytest.fixture
def cli_env(local_stack, monkeypatch):
    monkeypatch.setenv("ONCALL_URL", local_stack.base_url)
    monkeypatch.setenv("ONCALL_TOKEN", ADMIN_TOKEN)
    return local_stack


def test_cli_heartbeat_and_maintenance(cli_env):
    name = f"cli-{uuid.uuid4().hex[:6]}"
    created = runner.invoke(app, ["integrations", "create", "--type", "webhook", "--name", name, "--json"])
    assert created.exit_code == 0, created.output
    shown = runner.invoke(app, ["heartbeat", "show", name, "--json"])
    assert shown.exit_code == 0 and json.loads(shown.output)["state"] == "new"
    configured = runner.invoke(app, ["heartbeat", "configure", name, "--period", "1d", "--grace", "30m", "--json"])
    assert configured.exit_code == 0, configured.output
    assert (json.loads(configured.output)["period"], json.loads(configured.output)["grace_period"]) == (86400, 1800)
    assert runner.invoke(app, ["heartbeat", "configure", name, "--period", "soon"]).exit_code == 2
    assert runner.invoke(app, ["heartbeat", "configure", name, "--cron", "every day"]).exit_code == 1
    reset = runner.invoke(app, ["heartbeat", "reset", name])
    assert reset.exit_code == 0 and "new" in reset.output  # never pinged: nothing to pause
    # maintenance
    started = runner.invoke(app, ["maintenance", "start", name, "--mode", "debug", "--duration", "1h"])
    assert started.exit_code == 0 and "debug" in started.output, started.output
    assert runner.invoke(app, ["maintenance", "start", name, "--duration", "1h"]).exit_code == 1  # already on
    scheduled = runner.invoke(
        app,
        [
            "maintenance",
            "schedule",
            name,
            "--cron",
            "0 2 * * 0",
            "--timezone",
            "Europe/Paris",
            "--duration",
            "2h",
            "--json",
        ],
    )
    assert scheduled.exit_code == 0, scheduled.output
    window = json.loads(scheduled.output)
    listed = json.loads(runner.invoke(app, ["maintenance", "list", name, "--json"]).output)
    assert listed["current"]["maintenance_mode"] == "debug" and [w["id"] for w in listed["windows"]] == [window["id"]]
    assert runner.invoke(app, ["maintenance", "cancel", name, window["id"]]).exit_code == 0
    stopped = runner.invoke(app, ["maintenance", "stop", name])
    assert stopped.exit_code == 0 and f"Stopped debug mode of {name}" in stopped.output, stopped.output
    assert runner.invoke(app, ["maintenance", "schedule", name, "--start", "2030-01-01T00:00:00Z"]).exit_code == 2
