"""Fault injection in the escalate task, run by the real state machine on moto: a throttled DynamoDB or a
task that raises is retried by Step Functions (Retry on States.TaskFailed), every failed attempt is on the
group's timeline, and after recovery each step has paged exactly once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oncall import wiring
from oncall.escalation import task as executions
from tests.integration.conftest import fire, put_user
from tests.integration.faults import item_key_prefix

CHAIN = [
    {"type": "notify_channel", "channel": "outbox://first"},
    {"type": "notify_channel", "channel": "outbox://second"},
    {"type": "wait", "duration": 60},
    {"type": "notify_channel", "channel": "outbox://third"},
]
EVERY_STORE_CALL = ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "TransactWriteItems"]


def _timeline(aws, group_id) -> list[dict]:
    return aws.api("GET", f"alert_groups/{group_id}/timeline").body["results"]


def _delivery_key(prefix: str):
    """DynamoDB calls on the group's delivery claims (GROUP#… / DELIVERY#…): a claim is a transaction (the
    claim and a check of the group's version), a release a DeleteItem."""

    def matches(params):
        keys = [params.get("Item") or params.get("Key") or {}]
        keys += [(item.get("Put") or {}).get("Item", {}) for item in params.get("TransactItems", [])]
        return any(key.get("sk", {}).get("S", "").startswith(prefix) for key in keys)

    return matches


FAULTS = {
    "reading the group (throttled)": dict(
        operations="Query", code="ProvisionedThroughputExceededException", when=item_key_prefix("GROUP#")
    ),
    "claiming the second delivery (throttled)": dict(
        operations="TransactWriteItems", code="ThrottlingException", when=_delivery_key("DELIVERY#"), skip=1
    ),
    "the timeline after the first page": dict(
        operations="PutItem", code="InternalServerError", when=lambda p: p["Item"]["sk"]["S"].startswith("LOG#")
    ),
    "every store call, twice in a row": dict(operations=EVERY_STORE_CALL, code="ThrottlingException", times=2),
}


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_a_failing_step_is_retried_shown_on_the_timeline_and_pages_once(aws, faults, fault):
    # given DynamoDB fails the escalate task once (after botocore's own retries)
    rule = faults.add("dynamodb", function="EscalateFunction", **fault)
    # when a group escalates through notify, notify, wait, notify
    group_id = fire(aws, CHAIN)
    # then Step Functions retried the step and the escalation finished
    assert aws.execution_status(group_id, timeout=20) == "SUCCEEDED"
    assert rule.hits >= 1
    # and each step paged exactly once
    assert [n["channel"] for n in aws.outbox_lines()] == ["outbox://first", "outbox://second", "outbox://third"]
    # and the timeline shows the failed attempt before the escalation went on
    timeline = _timeline(aws, group_id)
    failed = [e for e in timeline if e["type"] == "escalation_attempt_failed"]
    assert len(failed) == 1, [e["text"] for e in timeline]
    assert "attempt 1" in failed[0]["text"] and "retry 1 of 2 follows" in failed[0]["text"]
    assert [e["type"] for e in timeline].count("notified") in (2, 3)  # a crash after a page may lose its entry
    assert timeline[-1]["type"] == "escalation_finished"


def test_when_the_failure_cannot_be_written_the_retry_writes_it(aws, faults):
    # given the task and its attempt to record the failure both fail (DynamoDB is down for a moment)
    faults.add("dynamodb", EVERY_STORE_CALL, code="ThrottlingException", function="EscalateFunction", times=2)
    group_id = fire(aws, CHAIN[:1])
    assert aws.execution_status(group_id, timeout=20) == "SUCCEEDED"
    # then the successful retry wrote the entry of the attempt that failed unrecorded
    [failed] = [e for e in _timeline(aws, group_id) if e["type"] == "escalation_attempt_failed"]
    assert "could not be recorded" in failed["text"]
    assert [n["channel"] for n in aws.outbox_lines()] == ["outbox://first"]


def test_a_task_that_raises_is_retried_and_each_step_pages_once(aws, monkeypatch):
    # given the notifier raises once, right after the first step's page went out in the same run
    with aws.functions.entered("EscalateFunction"):  # the escalate function's own notifier
        notifier = wiring.notifier()
    deliver = notifier.deliver
    raised = []

    def flaky(notification):
        if notification.channel == "outbox://second" and not raised:
            raised.append(notification.idempotency_key)
            raise ConnectionResetError("provider hung up")
        deliver(notification)

    monkeypatch.setattr(notifier, "deliver", flaky)
    group_id = fire(aws, CHAIN)
    assert aws.execution_status(group_id, timeout=20) == "SUCCEEDED"
    # then the retry paged the second step, and nobody got the first one twice
    assert raised
    assert [n["channel"] for n in aws.outbox_lines()] == ["outbox://first", "outbox://second", "outbox://third"]
    timeline = _timeline(aws, group_id)
    [failed] = [e for e in timeline if e["type"] == "escalation_attempt_failed"]
    assert "ConnectionResetError" in failed["text"] and "provider hung up" in failed["text"]
    assert [e["type"] for e in timeline].count("notified") == 3


def test_a_step_that_keeps_failing_shows_every_attempt_then_the_failure(aws, monkeypatch):
    def failing(*args, **kwargs):
        raise RuntimeError("DynamoDB is having a bad day")

    monkeypatch.setattr(executions, "run_escalation", failing)
    group_id = fire(aws, CHAIN)
    assert aws.execution_status(group_id, timeout=20) == "FAILED"
    types = [e["type"] for e in _timeline(aws, group_id)]
    assert types == ["registered", *["escalation_attempt_failed"] * 3, "escalation_failed"]
    texts = [e["text"] for e in _timeline(aws, group_id) if e["type"] == "escalation_attempt_failed"]
    assert ["retry 1 of 2" in texts[0], "retry 2 of 2" in texts[1], "no retries left" in texts[2]] == [True] * 3
    assert aws.outbox_lines() == []


def test_a_personal_execution_is_retried_and_pages_each_contact_once(aws, faults):
    alice = put_user("alice", contacts={"push": "outbox://alice-push", "sms": "outbox://alice-sms"})
    # given the second contact's delivery claim is throttled once
    faults.add(
        "dynamodb",
        "TransactWriteItems",
        code="ThrottlingException",
        when=_delivery_key("DELIVERY#"),
        skip=1,
        function="EscalateFunction",
    )
    group_id = fire(aws, [{"type": "notify_persons", "persons_to_notify": [alice]}])
    assert aws.execution_status(f"{group_id}-p0r0-{alice}", timeout=20) == "SUCCEEDED"
    assert sorted(n["channel"] for n in aws.outbox_lines()) == ["outbox://alice-push", "outbox://alice-sms"]
    [failed] = [e for e in _timeline(aws, group_id) if e["type"] == "escalation_attempt_failed"]
    assert f"Notifying user {alice}" in failed["text"] and "ThrottlingException" in failed["text"]


def test_the_retry_count_in_the_code_is_the_state_machines():
    definition = json.loads((Path(__file__).resolve().parents[2] / "statemachines" / "escalation.asl.json").read_text())
    task = definition["States"]["RunSteps"]
    [retry] = [r for r in task["Retry"] if r["ErrorEquals"] == ["States.TaskFailed"]]
    assert retry["MaxAttempts"] == executions.TASK_RETRIES
    assert task["Parameters"]["attempt.$"] == "$$.State.RetryCount"
    # and the last run (decision 0072) is retried, counted and caught exactly as every other run
    last = definition["States"]["RunLastSteps"]
    assert (last["Retry"], last["Catch"], last["Resource"]) == (task["Retry"], task["Catch"], task["Resource"])
    assert last["Parameters"] == {**task["Parameters"], "last": True} and last["End"] is True
