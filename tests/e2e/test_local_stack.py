"""What a new user does after `make run`: fire the printed curl, see the notification, resolve."""

import json
import socket
import time

import pytest
import requests

from tests.builders import am_payload
from tests.e2e.conftest import ADMIN_TOKEN, start_stack, stop_stack, wait_until

pytestmark = pytest.mark.e2e


def _groups(stack, integration_id):
    return stack.api("GET", "alert_groups", params={"integration_id": integration_id}).json()["results"]


def test_demo_alert_notifies_groups_and_resolves(local_stack):
    stack = local_stack
    integration_id = stack.api("GET", "integrations", params={"name": "Demo Alertmanager"}).json()["results"][0]["id"]
    before = len(stack.outbox_lines())
    payload = am_payload(alertname=f"E2E{int(time.time())}")
    # when the curl printed by `make run` fires an alert
    sent = time.monotonic()
    response = requests.post(stack.demo_ingest_url, json=payload, timeout=10)
    assert (response.status_code, response.json()) == (200, "Ok.")
    # then the demo chain's first notification is in the outbox within 2 seconds
    assert wait_until(lambda: len(stack.outbox_lines()) > before, timeout=2), "no notification within 2 s"
    latency = time.monotonic() - sent
    notification = json.loads(stack.outbox_lines()[-1])
    assert notification["channel"] == "outbox://demo" and payload["groupLabels"]["alertname"] in notification["title"]
    assert wait_until(lambda: "📣 outbox://demo" in "".join(stack.output), timeout=2), "not printed on the console"
    print(f"alert → first notification: {latency * 1000:.0f} ms")
    [group] = [g for g in _groups(stack, integration_id) if g["title"] == payload["groupLabels"]["alertname"]]
    # when a second alert with the same grouping key arrives
    requests.post(stack.demo_ingest_url, json=payload, timeout=10)
    assert wait_until(lambda: stack.api("GET", f"alert_groups/{group['id']}").json()["alerts_count"] == 2, 2)
    # then it joined the group and nobody was paged again (the chain waits 5 scaled minutes = 6 s)
    assert len(stack.outbox_lines()) == before + 1
    # when the resolve payload arrives
    requests.post(stack.demo_ingest_url, json={**payload, "status": "resolved"}, timeout=10)
    assert wait_until(lambda: stack.api("GET", f"alert_groups/{group['id']}").json()["state"] == "resolved", 2)
    # then the escalation execution is stopped
    sfn = stack.aws_client("stepfunctions")
    machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    execution = machine.replace(":stateMachine:", ":execution:") + f":{group['id']}"
    assert wait_until(lambda: sfn.describe_execution(executionArn=execution)["status"] == "ABORTED", 2)
    time.sleep(6.5)  # past the chain's wait: the second notification must never come
    assert len(stack.outbox_lines()) == before + 1


def test_ctrl_c_stops_everything_and_frees_the_port(tmp_path):
    stack = start_stack(tmp_path)
    assert (
        requests.get(
            f"{stack.base_url}/api/v1/integrations/", headers={"Authorization": ADMIN_TOKEN}, timeout=5
        ).status_code
        == 200
    )
    assert stop_stack(stack) == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", stack.port))  # would raise if anything still listened
