import json
import logging

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


class _Lines(logging.Handler):
    """The route function's log records, formatted by Powertools as they would be written."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        service = logging.getLogger("serverless-oncall")
        self.setFormatter(next((h.formatter for h in service.handlers if h.formatter), None))
        self.records: list[tuple[int, dict]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, json.loads(self.format(record))))

    def at_info(self) -> list[dict]:
        return [line for level, line in self.records if level >= logging.INFO]


@pytest.fixture
def route_lines(aws):
    service = logging.getLogger("serverless-oncall")
    lines = _Lines()
    service.addHandler(lines)
    yield lines
    service.removeHandler(lines)


def _received(aws) -> list[dict]:
    return boto3.client("sqs").receive_message(
        QueueUrl=aws.topology.ingest_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]


def test_a_batch_logs_one_summary_line_about_its_group_and_one_metric_line(aws, route_lines, capsys):
    integration = create_integration(aws)
    for _ in range(4):
        aws.http("POST", ingest_path(integration), am_payload())
    messages = _received(aws)
    assert len(messages) == 4
    capsys.readouterr()
    # when the batch is routed
    result = aws.functions.invoke("RouteFunction", sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:q"))
    assert result == {"batchItemFailures": []}
    # then at INFO the batch wrote one line, about the one group (its correlation id), and the alerts' own
    # lines are DEBUG lines, each still carrying its group
    [group] = _groups(aws, integration["id"])
    [summary] = [line for line in route_lines.at_info() if line["message"] == "alert batch processed"]
    assert (summary["alerts"], summary["processed"], summary["failed"]) == (4, 4, 0)
    assert summary["correlation_id"] == group["id"] and summary["new_groups"] == [group["id"]]
    assert not [line for line in route_lines.at_info() if line["message"] == "alert processed"]
    detail = [line for level, line in route_lines.records if line["message"] == "alert processed"]
    assert all(level == logging.DEBUG for level, line in route_lines.records if line["message"] == "alert processed")
    if detail:  # written only when the function logs at DEBUG
        assert {line["correlation_id"] for line in detail} == {group["id"]}
    # and the lines carry no Lambda context the log group already names
    assert not {"function_arn", "function_name", "function_memory_size"} & set(summary)
    # and the metrics are one EMF line with the batch's totals (other functions' lines left out: escalations
    # of earlier tests may still be running in moto's threads)
    lines = capsys.readouterr().out.splitlines()
    emf = [json.loads(line) for line in lines if '"_aws"' in line and '"AlertsRouted"' in line]
    assert [(m["AlertsRouted"], m["AlertGroupsCreated"]) for m in emf] == [([4.0], [1.0])]


def test_a_batch_summary_counts_the_alerts_held_back(aws, route_lines):
    first, second = create_integration(aws), create_integration(aws)
    for integration in (first, first, second):
        aws.http("POST", ingest_path(integration), am_payload())
    messages = _received(aws)
    wiring.store().delete_alert(json.loads(messages[0]["Body"])["alert_id"])
    result = aws.functions.invoke("RouteFunction", sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:q"))
    assert len(result["batchItemFailures"]) == 2
    [summary] = [line for line in route_lines.at_info() if line["message"] == "alert batch processed"]
    assert (summary["alerts"], summary["processed"], summary["failed"]) == (3, 1, 2)
    assert "AlertMissingError" in summary["errors"]
    [group] = _groups(aws, second["id"])
    assert summary["correlation_id"] == group["id"]


def test_the_batch_read_is_one_eventually_consistent_read(aws):
    integration = create_integration(aws)
    for _ in range(2):
        aws.http("POST", ingest_path(integration), am_payload())
    messages = _received(aws)
    from oncall.platform.aws import client

    with aws.functions.entered("RouteFunction"):
        dynamodb = client("dynamodb")
    batch_reads: list[dict] = []

    def record(params, **_kwargs) -> None:
        batch_reads.append(params)

    dynamodb.meta.events.register("before-parameter-build.dynamodb.BatchGetItem", record)
    event = sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:q")
    try:
        for _ in range(2):  # the batch, then the same batch again (at-least-once)
            assert aws.functions.invoke("RouteFunction", event) == {"batchItemFailures": []}
    finally:
        dynamodb.meta.events.unregister("before-parameter-build.dynamodb.BatchGetItem", record)
    # then each delivery read its alerts and their membership at once, eventually consistent (half the units)
    assert len(batch_reads) == 2
    for params in batch_reads:
        [request] = params["RequestItems"].values()
        assert request["ConsistentRead"] is False and len(request["Keys"]) == 4
    # and the second delivery added nothing
    [group] = _groups(aws, integration["id"])
    assert group["alerts_count"] == 2
