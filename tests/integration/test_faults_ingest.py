"""Fault injection at ingest: whatever AWS call fails, the sender gets a 5xx (so it retries), nothing of the
refused attempt is left behind, and the retry ends as exactly one alert in exactly one group."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from tests.builders import am_payload
from tests.integration.conftest import create_integration, ingest_path
from tests.integration.faults import item_key_prefix


def _alert_items(aws) -> list[dict]:
    items = boto3.client("dynamodb").scan(TableName=aws.topology.table_name)["Items"]
    return [i for i in items if i["pk"]["S"].startswith("ALERT#")]


def _queue_depth(aws) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=aws.topology.ingest_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def _groups(aws, integration_id) -> list[dict]:
    return aws.api("GET", "alert_groups", query=f"integration_id={integration_id}").body["results"]


def _post(aws, integration):
    """One attempt of the sender (API Gateway gives each attempt its own request id)."""
    return aws.http("POST", ingest_path(integration), json.dumps(am_payload()))


def _then_the_retry_is_exactly_one_alert(aws, integration) -> None:
    retried = _post(aws, integration)
    assert (retried.status, retried.body) == (200, "Ok.")
    assert len(_alert_items(aws)) == 1 and _queue_depth(aws) == 1
    assert aws.drain() == 1
    [group] = _groups(aws, integration["id"])
    assert group["alerts_count"] == 1


SQS_FAILURES = {
    "throttled": {"code": "RequestThrottled"},
    "internal error": {"code": "InternalError"},
    "unreachable": {"error": EndpointConnectionError(endpoint_url="https://sqs.us-east-1.amazonaws.com")},
    "timed out": {"error": ReadTimeoutError(endpoint_url="https://sqs.us-east-1.amazonaws.com")},
}


@pytest.mark.parametrize("failure", SQS_FAILURES.values(), ids=SQS_FAILURES.keys())
def test_sqs_send_fails_then_the_retry_succeeds(aws, faults, failure):
    integration = create_integration(aws)
    # given SQS refuses the enqueue once
    faults.add("sqs", "SendMessage", function="IngestFunction", **failure)
    # when an alert arrives
    refused = _post(aws, integration)
    # then the sender is told to retry, and neither an alert item nor a message is left
    assert refused.status == 503 and "retry" in refused.body["detail"]
    assert _alert_items(aws) == [] and _queue_depth(aws) == 0
    # and when it retries, there is exactly one alert
    _then_the_retry_is_exactly_one_alert(aws, integration)


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"]
)
def test_dynamodb_fails_to_store_the_alert_then_the_retry_succeeds(aws, faults, code):
    integration = create_integration(aws)
    # given DynamoDB throttles the alert's write
    faults.add("dynamodb", "PutItem", code=code, when=item_key_prefix("ALERT#"), function="IngestFunction")
    refused = _post(aws, integration)
    # then 503, and nothing was queued (the alert was never stored)
    assert refused.status == 503
    assert _alert_items(aws) == [] and _queue_depth(aws) == 0
    _then_the_retry_is_exactly_one_alert(aws, integration)


def test_dynamodb_fails_to_look_up_the_token_then_the_retry_succeeds(aws, faults):
    integration = create_integration(aws)
    # given DynamoDB throttles the integration lookup (cold cache)
    faults.add("dynamodb", ["GetItem", "Query"], code="ThrottlingException", function="IngestFunction")
    refused = _post(aws, integration)
    # then it is a JSON 503 (not an unhandled error, not a 403 "unknown token")
    assert refused.status == 503 and "retry" in refused.body["detail"]
    assert _alert_items(aws) == [] and _queue_depth(aws) == 0
    _then_the_retry_is_exactly_one_alert(aws, integration)


def test_sqs_and_the_cleanup_both_fail_the_stranded_alert_is_never_routed(aws, faults):
    integration = create_integration(aws)
    # given SQS refuses the enqueue and DynamoDB refuses to delete the stored alert again
    faults.add("sqs", "SendMessage", code="InternalError", function="IngestFunction")
    faults.add("dynamodb", "DeleteItem", code="InternalServerError", function="IngestFunction")
    refused = _post(aws, integration)
    # then the sender still retries; the stranded alert item was never queued, so nothing routes it
    assert refused.status == 503
    [stranded] = _alert_items(aws)
    assert _queue_depth(aws) == 0
    # and the retry is the one alert of the one group
    assert _post(aws, integration).status == 200
    assert aws.drain() == 1
    [group] = _groups(aws, integration["id"])
    alerts = aws.api("GET", "alerts", query=f"alert_group_id={group['id']}").body["results"]
    assert group["alerts_count"] == 1 and len(alerts) == 1
    assert alerts[0]["id"] != stranded["pk"]["S"].removeprefix("ALERT#")


def test_the_rate_limit_counter_failing_does_not_refuse_alerts(aws, faults):
    integration = create_integration(aws, "webhook", rate_limit={"alerts": 5, "per_seconds": 60})
    # given the rate-limit counter cannot be updated
    faults.add("dynamodb", "UpdateItem", code="ThrottlingException", when=item_key_prefix("RATE#"), times=None)
    # then alerts are still accepted (the limiter fails open) and each is stored and queued once
    for n in range(3):
        assert aws.http("POST", ingest_path(integration), json.dumps({"n": n})).status == 200
    assert len(_alert_items(aws)) == 3 and _queue_depth(aws) == 3
