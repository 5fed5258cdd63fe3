"""Fault injection in route: a throttled DynamoDB, a failing StartExecution, or the function dying in the
middle of a batch. SQS redelivers what was not acknowledged; afterwards every alert is in its group exactly
once (`alerts_count` exact), and every group has exactly one escalation that paged exactly once."""

from __future__ import annotations

import json
import threading
import time

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from oncall import wiring
from oncall_local.functions import LambdaContext, load_module
from oncall_local.workers import sqs_event
from tests.builders import am_payload
from tests.integration.conftest import create_chain, create_integration, ingest_path
from tests.integration.faults import Crash, item_key_prefix

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:ingest.fifo"
NOTIFY_THEN_WAIT = [{"type": "notify_channel", "channel": "outbox://oncall"}, {"type": "wait", "duration": 3600}]


@pytest.fixture
def integration(aws):
    """An integration with a paging chain, and webhooks on its group events (route publishes events only
    when some webhook wants them; these tests check the events too). The webhooks queue is not consumed."""
    chain = create_chain(aws, NOTIFY_THEN_WAIT)
    integration = create_integration(aws, chain_id=chain["id"])
    for trigger in ("alert group created", "alert added to group"):
        body = {"name": trigger, "url": "https://hooks.example.com/x", "trigger_type": trigger}
        assert aws.api("POST", "webhooks", {**body, "integration_filter": [integration["id"]]}).status == 201
    return integration


def _send(aws, integration, alertnames: list[str]) -> list[dict]:
    """Alerts through ingest; returns the queued messages (one batch, in order)."""
    for name in alertnames:
        assert aws.http("POST", ingest_path(integration), json.dumps(am_payload(alertname=name))).status == 200
    messages = boto3.client("sqs").receive_message(
        QueueUrl=aws.topology.ingest_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    assert len(messages) == len(alertnames)
    return messages


def _route(aws, messages: list[dict]) -> set[str]:
    """One invocation of the route function; the ids of the messages it reported as failed."""
    try:
        result = aws.functions.invoke("RouteFunction", sqs_event(messages, QUEUE_ARN))
    except BatchProcessingError:  # every record failed: Powertools fails the invocation, SQS retries them all
        return {m["MessageId"] for m in messages}
    return {item["itemIdentifier"] for item in result["batchItemFailures"]}


def _redeliver_until_done(aws, messages: list[dict], rounds: int = 5) -> int:
    """What SQS does: hand the unacknowledged messages back until none fails. Returns the invocations."""
    pending = messages
    for invocation in range(1, rounds + 1):
        failed = _route(aws, pending)
        pending = [m for m in pending if m["MessageId"] in failed]
        if not pending:
            return invocation
    raise AssertionError(f"{len(pending)} messages still failing after {rounds} deliveries")


def _groups(aws, integration_id) -> dict[str, dict]:
    results = aws.api("GET", "alert_groups", query=f"integration_id={integration_id}").body["results"]
    return {g["title"]: g for g in results}


def _assert_exact(aws, integration, expected: dict[str, int]) -> None:
    """Each title's group holds exactly `expected[title]` alerts, escalates once and paged once."""
    groups = _groups(aws, integration["id"])
    assert {title: g["alerts_count"] for title, g in groups.items()} == expected
    for group in groups.values():
        alerts = aws.api("GET", "alerts", query=f"alert_group_id={group['id']}").body["results"]
        assert len(alerts) == len({a["id"] for a in alerts}) == group["alerts_count"]
        assert aws.execution_status(group["id"], timeout=0.5) == "RUNNING"
    executions = [name for name in aws.executions() if name in {g["id"] for g in groups.values()}]
    assert sorted(executions) == sorted(g["id"] for g in groups.values())
    aws.wait_for(lambda: len(aws.outbox_lines()) >= len(groups), message="not every group paged")
    time.sleep(0.2)  # a duplicate page would show up by now
    paged = [line["group_id"] for line in aws.outbox_lines()]
    assert sorted(paged) == sorted(g["id"] for g in groups.values())


# ------------------------------------------------------------------------------------------ DynamoDB throttles
THROTTLES = {
    # the batch read first (route then reads alert by alert), then the first single read
    "reading the alert": dict(operations=["BatchGetItem", "Query"], when=item_key_prefix("ALERT#"), times=2),
    "creating the group": dict(operations="TransactWriteItems", when=item_key_prefix("GROUP#")),
    "counting the second alert": dict(operations="UpdateItem", when=item_key_prefix("GROUP#", "GROUP#COUNTS")),
    "making the second alert a member": dict(operations="PutItem", when=item_key_prefix("ALERT#", "MEMBER")),
    "numbering the group": dict(operations="UpdateItem", when=item_key_prefix("COUNTER")),
    "writing the timeline": dict(operations="PutItem", when=item_key_prefix("GROUP#")),
    "every write, twice": dict(operations=["PutItem", "UpdateItem", "TransactWriteItems"], times=2),
}


@pytest.mark.parametrize("throttle", THROTTLES.values(), ids=THROTTLES.keys())
def test_a_throttled_write_fails_the_item_and_redelivery_makes_counts_exact(aws, faults, integration, throttle):
    messages = _send(aws, integration, ["DiskFull", "DiskFull", "CPUHigh", "DiskFull"])
    # given DynamoDB throttles route once (after its retries) at this point
    rule = faults.add("dynamodb", code="ProvisionedThroughputExceededException", function="RouteFunction", **throttle)
    # when the batch is processed, the failed alert and the later alerts of its integration come back
    failed = _route(aws, messages)
    assert rule.hits >= 1 and failed
    ordered = [m["MessageId"] for m in messages]
    first_failed = min(ordered.index(i) for i in failed)
    assert failed == set(ordered[first_failed:])  # FIFO: nothing overtakes the failed alert
    # then, once SQS has redelivered them, every alert is in its group exactly once
    _redeliver_until_done(aws, [m for m in messages if m["MessageId"] in failed])
    _assert_exact(aws, integration, {"DiskFull": 3, "CPUHigh": 1})


@pytest.mark.parametrize("code", ["ThrottlingException", "ExecutionLimitExceeded", "ServiceUnavailable"])
def test_a_failed_start_execution_is_retried_by_redelivery(aws, faults, integration, code):
    messages = _send(aws, integration, ["DiskFull", "DiskFull"])
    # given Step Functions refuses to start the new group's escalation once
    faults.add("stepfunctions", "StartExecution", code=code, function="RouteFunction")
    failed = _route(aws, messages)
    # then the group exists but the batch item failed, so SQS brings the alert back
    assert failed == {m["MessageId"] for m in messages}
    assert aws.executions() == []
    # and the redelivery starts the escalation exactly once, without counting the alert twice
    _redeliver_until_done(aws, messages)
    _assert_exact(aws, integration, {"DiskFull": 2})


# ------------------------------------------------------------------------------------------ the function dies
CRASHES = {
    "creating the first group": dict(service="dynamodb", operations="TransactWriteItems", skip=0),
    "counting the second alert": dict(
        service="dynamodb", operations="UpdateItem", when=item_key_prefix("GROUP#", "GROUP#COUNTS")
    ),
    # the window between the two writes of a join: counted, not yet a member
    "making the second alert a member": dict(
        service="dynamodb", operations="PutItem", when=item_key_prefix("ALERT#", "MEMBER")
    ),
    "creating the second group": dict(service="dynamodb", operations="TransactWriteItems", skip=1),
    "starting the first escalation": dict(service="stepfunctions", operations="StartExecution", skip=0),
    "starting the second escalation": dict(service="stepfunctions", operations="StartExecution", skip=1),
    "publishing an event (after the writes)": dict(service="sqs", operations="SendMessage", skip=3),
    "the timeline of the second group": dict(
        service="dynamodb", operations="PutItem", when=item_key_prefix("GROUP#"), skip=1
    ),
}


@pytest.mark.parametrize("crash", CRASHES.values(), ids=CRASHES.keys())
def test_route_dies_mid_batch_and_the_redelivered_batch_adds_nothing_twice(aws, faults, integration, crash):
    messages = _send(aws, integration, ["DiskFull", "DiskFull", "CPUHigh", "DiskFull", "CPUHigh"])
    # given the route function dies (timeout, out of memory) in the middle of the batch
    crash = dict(crash)
    rule = faults.add(crash.pop("service"), error=Crash(), function="RouteFunction", code=None, **crash)
    with pytest.raises(Crash):
        _route(aws, messages)
    assert rule.hits == 1
    # when SQS hands the same batch to the function again (nothing of it was acknowledged)
    assert _redeliver_until_done(aws, messages) == 1
    # then no alert is duplicated, the counts are exact, and each group escalates and pages once
    _assert_exact(aws, integration, {"DiskFull": 3, "CPUHigh": 2})


def test_the_same_batch_delivered_three_times_after_a_crash_is_still_exact(aws, faults, integration):
    messages = _send(aws, integration, ["DiskFull", "CPUHigh", "DiskFull"])
    faults.add("dynamodb", "TransactWriteItems", error=Crash(), code=None, function="RouteFunction", skip=1)
    with pytest.raises(Crash):
        _route(aws, messages)
    for _ in range(3):  # at-least-once: the same batch again and again
        assert _route(aws, messages) == set()
    _assert_exact(aws, integration, {"DiskFull": 2, "CPUHigh": 1})


# ------------------------------------------------------------------------------------------ races
@pytest.mark.parametrize("workers", [2, 4])
def test_route_workers_racing_on_a_new_key_make_one_group(aws, monkeypatch, integration, workers):
    # given N alerts with the same new grouping key, each received by its own route container at once
    messages = _send(aws, integration, ["DiskFull"] * workers)
    containers = [load_module("route") for _ in range(workers)]  # separate module state, like N Lambdas
    # and all of them read "no open group for this key" before any writes
    store = wiring.store()
    read_key = store.get_group_key
    barrier = threading.Barrier(workers)
    first_reads: list = []
    lock = threading.Lock()

    def read_then_wait(key):
        pointer = read_key(key)
        with lock:
            first_round = len(first_reads) < workers
            if first_round:
                first_reads.append(pointer)
        if first_round:
            barrier.wait(timeout=10)
        return pointer

    monkeypatch.setattr(store, "get_group_key", read_then_wait)
    results: list = [None] * workers

    def work(index):
        event = sqs_event([messages[index]], QUEUE_ARN)
        results[index] = containers[index].handler(event, LambdaContext(function_name="RouteFunction"))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then all succeed, every one of them had seen no group, and exactly one group holds all the alerts
    assert results == [{"batchItemFailures": []}] * workers
    assert [p.open_group_id for p in first_reads] == [None] * workers
    _assert_exact(aws, integration, {"DiskFull": workers})


# ------------------------------------------------------------------------------------------ what follows the writes
def _events(aws) -> list[dict]:
    [mapping] = [m for m in aws.topology.queue_mappings if m.function == "WebhooksFunction"]
    sqs, events = boto3.client("sqs"), []
    while messages := sqs.receive_message(QueueUrl=mapping.queue_url, MaxNumberOfMessages=10).get("Messages", []):
        events += [json.loads(m["Body"])["event"] for m in messages]
    return events


AFTER_THE_WRITE = {
    "the 'registered' timeline entry": dict(service="dynamodb", operations="PutItem", when=item_key_prefix("GROUP#")),
    "publishing 'alert group created'": dict(service="sqs", operations="SendMessage", skip=0),
    "publishing 'alert added to group'": dict(service="sqs", operations="SendMessage", skip=1),
}


@pytest.mark.parametrize("crash", AFTER_THE_WRITE.values(), ids=AFTER_THE_WRITE.keys())
def test_a_crash_after_grouping_loses_neither_the_timeline_nor_the_event(aws, faults, integration, crash):
    messages = _send(aws, integration, ["DiskFull", "DiskFull"])
    # given route dies right after the alert was put into its group, before what follows it was written
    crash = dict(crash)
    faults.add(crash.pop("service"), error=Crash(), function="RouteFunction", code=None, **crash)
    with pytest.raises(Crash):
        _route(aws, messages)
    # when the batch is redelivered
    _redeliver_until_done(aws, messages)
    # then the group was registered once, and each alert's event was published (webhooks deduplicate on its id)
    [group] = _groups(aws, integration["id"]).values()
    timeline = aws.api("GET", f"alert_groups/{group['id']}/timeline").body["results"]
    assert [e["type"] for e in timeline].count("registered") == 1
    events = [e for e in _events(aws) if e["group_id"] == group["id"]]
    ids_by_type = {kind: {e["id"] for e in events if e["type"] == kind} for kind in {e["type"] for e in events}}
    assert sorted(ids_by_type) == ["alert added to group", "alert group created"]
    assert [len(ids) for ids in ids_by_type.values()] == [1, 1]
    assert {e["alert_id"] for e in events} == {json.loads(m["Body"])["alert_id"] for m in messages}
