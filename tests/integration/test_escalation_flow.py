"""The real state machine (statemachines/escalation.asl.json) executed by moto, driving the real escalate
handler through the Lambda hook, with time scaled 1000x."""

import time

from tests.builders import am_payload
from tests.integration.conftest import create_chain, create_integration, ingest_path


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_chain_notifies_waits_notifies_then_succeeds(aws):
    chain = create_chain(
        aws,
        [
            {"type": "notify_channel", "channel": "outbox://first"},
            {"type": "wait", "duration": 300},
            {"type": "notify_channel", "channel": "outbox://second"},
        ],
    )
    integration = create_integration(aws, chain_id=chain["id"])
    aws.http("POST", ingest_path(integration), am_payload())
    aws.drain()
    [group] = aws.api("GET", "alert_groups").body["results"]
    assert aws.execution_status(group["id"]) == "SUCCEEDED"
    assert [n["channel"] for n in aws.outbox_lines()] == ["outbox://first", "outbox://second"]
    timeline = [e["type"] for e in aws.api("GET", f"alert_groups/{group['id']}/timeline").body["results"]]
    assert timeline == ["registered", "notified", "notified", "escalation_finished"]


def test_resolve_step_resolves_the_group(aws):
    chain = create_chain(aws, [{"type": "wait", "duration": 60}, {"type": "resolve"}])
    integration = create_integration(aws, chain_id=chain["id"])
    aws.http("POST", ingest_path(integration), am_payload())
    aws.drain()
    [group] = aws.api("GET", "alert_groups").body["results"]
    assert aws.execution_status(group["id"]) == "SUCCEEDED"
    assert aws.api("GET", f"alert_groups/{group['id']}").body["state"] == "resolved"


def test_a_failing_step_is_retried_then_recorded(aws, monkeypatch):
    # given the escalate function keeps failing
    chain = create_chain(aws, [{"type": "notify_channel", "channel": "outbox://x"}])
    integration = create_integration(aws, chain_id=chain["id"])
    module = aws.functions.module("EscalateFunction")
    original = module.run_escalation
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("DynamoDB is having a bad day")

    monkeypatch.setattr(module, "run_escalation", failing)
    aws.http("POST", ingest_path(integration), am_payload())
    aws.drain()
    [group] = aws.api("GET", "alert_groups").body["results"]
    # then Step Functions retried it, recorded the failure on the timeline, and the execution failed
    assert aws.execution_status(group["id"], timeout=20) == "FAILED"
    assert len(calls) == 3  # first try + 2 retries of States.TaskFailed
    timeline = aws.api("GET", f"alert_groups/{group['id']}/timeline").body["results"]
    assert timeline[-1]["type"] == "escalation_failed" and "RuntimeError" in timeline[-1]["text"]
    monkeypatch.setattr(module, "run_escalation", original)
