import json

import boto3
import pytest

from oncall import wiring
from oncall_local.workers import sqs_event
from tests.builders import am_payload
from tests.integration.conftest import create_chain, create_integration, ingest_path

NOTIFY_THEN_WAIT = [{"type": "notify_channel", "channel": "outbox://oncall"}, {"type": "wait", "duration": 3600}]


def _groups(aws, integration_id):
    return aws.api("GET", "alert_groups", query=f"integration_id={integration_id}").body["results"]


def test_alerts_become_one_group_that_escalates_and_resolves(aws):
    chain = create_chain(aws, NOTIFY_THEN_WAIT)
    integration = create_integration(aws, chain_id=chain["id"])
    # given two firing notifications for the same Alertmanager group
    for _ in range(2):
        assert aws.http("POST", ingest_path(integration), am_payload()).status == 200
    assert aws.drain() == 2
    [group] = _groups(aws, integration["id"])
    assert (group["state"], group["alerts_count"], group["title"]) == ("firing", 2, "DiskFull")
    # then one escalation runs and notifies once
    assert aws.execution_status(group["id"], timeout=0.5) == "RUNNING"
    # when the resolved notification arrives
    aws.http("POST", ingest_path(integration), am_payload("resolved"))
    aws.drain()
    # then the group is resolved and its escalation stopped
    [group] = _groups(aws, integration["id"])
    assert (group["state"], group["alerts_count"]) == ("resolved", 3)
    assert aws.execution_status(group["id"]) == "ABORTED"
    assert len(aws.outbox_lines()) == 1


def test_a_failing_alert_holds_back_its_integration_only(aws):
    first = create_integration(aws)
    second = create_integration(aws)
    for integration in (first, first, second):
        aws.http("POST", ingest_path(integration), am_payload())
    messages = (
        boto3.client("sqs")
        .receive_message(QueueUrl=aws.topology.ingest_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])
        .get("Messages", [])
    )
    assert len(messages) == 3
    # given the first alert of the first integration has vanished from the table
    broken_id = json.loads(messages[0]["Body"])["alert_id"]
    wiring.store().delete_alert(broken_id)
    # when the batch is processed
    result = aws.functions.invoke("RouteFunction", sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:q"))
    # then it and the later alert of the same integration are returned; the other integration went on
    failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
    first_ids = {m["MessageId"] for m in messages if json.loads(m["Body"])["integration_id"] == first["id"]}
    assert failed == first_ids
    assert _groups(aws, first["id"]) == []
    assert len(_groups(aws, second["id"])) == 1


def test_redelivered_batch_adds_nothing(aws):
    integration = create_integration(aws)
    aws.http("POST", ingest_path(integration), am_payload())
    messages = boto3.client("sqs").receive_message(
        QueueUrl=aws.topology.ingest_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    event = sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:q")
    for _ in range(3):  # at-least-once delivery
        assert aws.functions.invoke("RouteFunction", event) == {"batchItemFailures": []}
    [group] = _groups(aws, integration["id"])
    assert group["alerts_count"] == 1


def test_two_route_workers_racing_on_a_new_key_make_one_group(aws, monkeypatch):
    import threading

    from oncall_local.functions import LambdaContext, load_module

    # given two alerts with the same new grouping key, received by two route containers at once
    chain = create_chain(aws, NOTIFY_THEN_WAIT)
    integration = create_integration(aws, chain_id=chain["id"])
    for _ in range(2):
        assert aws.http("POST", ingest_path(integration), am_payload()).status == 200
    messages = boto3.client("sqs").receive_message(
        QueueUrl=aws.topology.ingest_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    assert len(messages) == 2
    containers = [load_module("route"), load_module("route")]  # separate module state, like two Lambdas
    # and both read "no open group for this key" before either writes
    store = wiring.store()
    read_key = store.get_group_key
    barrier = threading.Barrier(2)
    reads = []

    def read_then_wait(key):
        pointer = read_key(key)
        reads.append(pointer)
        if len(reads) <= 2:
            barrier.wait(timeout=10)
        return pointer

    monkeypatch.setattr(store, "get_group_key", read_then_wait)
    results = [None, None]

    def work(index):
        event = sqs_event([messages[index]], "arn:aws:sqs:us-east-1:123456789012:q")
        results[index] = containers[index].handler(event, LambdaContext(function_name="RouteFunction"))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then both succeed, exactly one group holds both alerts, and it escalates once
    assert results == [{"batchItemFailures": []}] * 2
    assert reads[0].open_group_id is None and reads[1].open_group_id is None
    [group] = _groups(aws, integration["id"])
    assert group["alerts_count"] == 2
    assert aws.execution_status(group["id"], timeout=0.5) == "RUNNING"
    assert len(aws.api("GET", "alerts", query=f"alert_group_id={group['id']}").body["results"]) == 2


class _Calls:
    """AWS calls made by this thread (botocore's before-call hook), except the poller's own SQS calls."""

    def __init__(self) -> None:
        import threading
        from collections import Counter

        self.counts: Counter[str] = Counter()
        self._thread = threading.get_ident()
        self._threading = threading

    def __call__(self, model, **_kwargs) -> None:  # noqa: ANN001 - botocore's hook signature
        name = f"{model.service_model.service_name}.{model.name}"
        if self._threading.get_ident() == self._thread and name not in (
            "sqs.ReceiveMessage",
            "sqs.DeleteMessageBatch",
        ):
            self.counts[name] += 1


def test_alerts_joining_an_open_group_cost_two_writes_and_a_tenth_of_a_read(aws, monkeypatch):
    # given a warm route container (configuration cached, as deployed) and an open group
    aws.set_env(ONCALL_CONFIG_CACHE_SECONDS="300")
    integration = create_integration(aws, chain_id=create_chain(aws, NOTIFY_THEN_WAIT)["id"])
    aws.http("POST", ingest_path(integration), am_payload())
    aws.drain()
    for _ in range(10):
        aws.http("POST", ingest_path(integration), am_payload())
    # when a batch of ten alerts of that group is routed
    from oncall.platform.aws import client

    calls = _Calls()
    with aws.functions.entered("RouteFunction"):  # the route function's own clients
        clients = [client(name) for name in ("dynamodb", "sqs", "stepfunctions")]
    for each in clients:
        each.meta.events.register("before-call.*.*", calls)
    try:
        assert aws.drain() == 10
    finally:
        for each in clients:
            each.meta.events.unregister("before-call.*.*", calls)
    # then each alert cost one conditional update and one conditional put; the batch one read
    assert dict(calls.counts) == {"dynamodb.BatchGetItem": 1, "dynamodb.UpdateItem": 10, "dynamodb.PutItem": 10}
    [group] = _groups(aws, integration["id"])
    assert group["alerts_count"] == 11


def test_a_crash_between_counting_and_joining_does_not_count_the_alert_twice(aws):
    # given an open group, and an alert whose join dies after the counter was written
    from botocore.exceptions import ClientError

    from oncall.models import Alert

    integration = create_integration(aws)
    aws.http("POST", ingest_path(integration), am_payload())
    aws.drain()
    [group] = _groups(aws, integration["id"])
    store = wiring.store()
    alert = Alert(
        id="ACRASH", integration_id=integration["id"], payload={}, received_at="2026-01-01T00:00:00Z", request_id="q"
    )
    store.put_alert(alert)

    def crash(params, **_kwargs) -> None:
        if params.get("Item", {}).get("sk", {}).get("S") == "MEMBER":
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "crash"}}, "PutItem")

    store._ddb.meta.events.register("before-parameter-build.dynamodb.PutItem", crash)
    try:
        with pytest.raises(ClientError):
            store.add_alert_to_group(group["id"], alert, must_be_open=True)
    finally:
        store._ddb.meta.events.unregister("before-parameter-build.dynamodb.PutItem", crash)
    # when the alert is delivered again
    store.add_alert_to_group(group["id"], alert, must_be_open=True)
    # then it is in the group once, counted once
    stored = store.get_group(group["id"])
    assert (stored.alerts_count, stored.last_alert_id) == (2, "ACRASH")
    assert store.get_alert("ACRASH").group_id == group["id"]
