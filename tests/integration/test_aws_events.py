"""Each handler fed the events AWS sends it, as `sam local generate-event` makes them (tests/fixtures/events,
see the README there): the HTTP API's payload 2.0 (base64 bodies, cookies, a JWT authorizer and stage
variables we do not use), SQS records from the FIFO ingest queue and the events queue, the escalate task's
input from the state machine (and the Catch's error), and scheduled events. Not events our own front door
and workers build."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from oncall import wiring
from oncall.platform import clock as oncall_clock
from tests.fakes import FixedClock
from tests.http_receiver import Receiver
from tests.integration.conftest import ADMIN_TOKEN, create_chain, create_integration

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events"
NOTIFY_AFTER_A_DAY = [{"type": "wait", "duration": 86400}, {"type": "notify_channel", "channel": "outbox://sam"}]


def event(name: str, **values: str) -> dict[str, Any]:
    """A fixture with its placeholders (INTEGRATION_TOKEN, …) replaced by `values` (keys in lower case)."""
    text = (EVENTS / f"{name}.json").read_text()
    for key, value in values.items():
        text = text.replace(key.upper(), value)
    return json.loads(text)


def token_of(integration: dict) -> str:
    return integration["link"].rstrip("/").rsplit("/", 1)[1]


def body_of(result: dict) -> Any:
    return json.loads(result["body"]) if result.get("body") else None


def queued_ingest_message(aws) -> dict:
    [message] = boto3.client("sqs").receive_message(
        QueueUrl=aws.topology.ingest_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
    )["Messages"]
    return json.loads(message["Body"])


def groups(aws, integration_id: str) -> list[dict]:
    return aws.api("GET", "alert_groups", query=f"integration_id={integration_id}").body["results"]


def group_from_sam_events(aws, integration: dict) -> dict:
    """An alert through ingest and route, both fed SAM-made events; returns the new group."""
    accepted = aws.functions.invoke(
        "IngestFunction", event("http-api-ingest-alertmanager", integration_token=token_of(integration))
    )
    assert (accepted["statusCode"], body_of(accepted)) == (200, "Ok.")
    message = queued_ingest_message(aws)
    routed = aws.functions.invoke(
        "RouteFunction",
        event("sqs-ingest-queue", alert_id=message["alert_id"], integration_id=message["integration_id"]),
    )
    assert routed == {"batchItemFailures": []}
    [group] = groups(aws, integration["id"])
    return group


# ------------------------------------------------------------------------------------------ HTTP API
def test_ingest_and_route_accept_what_api_gateway_and_sqs_send(aws):
    # given an Alertmanager integration
    integration = create_integration(aws, "alertmanager")
    # when SAM's HTTP API event (JSON body base64-encoded) reaches ingest and SAM's SQS record reaches route
    group = group_from_sam_events(aws, integration)
    # then the Alertmanager payload was decoded and grouped
    assert (group["state"], group["title"]) == ("firing", "SingleAlert")


def test_a_form_body_base64_encoded_as_api_gateway_sends_it_is_parsed(aws):
    integration = create_integration(aws, "webhook")
    result = aws.functions.invoke(
        "IngestFunction", event("http-api-ingest-form", integration_token=token_of(integration))
    )
    assert result["statusCode"] == 200
    alert = wiring.store().get_alert(queued_ingest_message(aws)["alert_id"])
    assert alert.payload == {"title": "Disk full on db-1", "state": "alerting", "message": "92% used"}


def test_the_api_reads_base64_json_bodies_and_answers_requests_without_a_body(aws):
    # when SAM's POST (JSON body base64-encoded) creates a chain
    created = aws.functions.invoke("ApiFunction", event("http-api-api-create-chain", admin_token=ADMIN_TOKEN))
    # then it is created from the decoded body
    assert created["statusCode"] == 201, created
    assert body_of(created)["name"] == "Chain from a SAM event"
    # and a GET without a body field lists integrations
    integration = create_integration(aws, "webhook")
    listed = aws.functions.invoke("ApiFunction", event("http-api-api-list-integrations", admin_token=ADMIN_TOKEN))
    assert listed["statusCode"] == 200, listed
    assert integration["id"] in [i["id"] for i in body_of(listed)["results"]]


def test_an_api_request_without_the_token_is_refused_whatever_else_it_carries(aws):
    # SAM's event carries a JWT authorizer context and cookies: neither is authentication here
    result = aws.functions.invoke("ApiFunction", event("http-api-api-list-integrations", admin_token=""))
    assert result["statusCode"] == 401 and "detail" in body_of(result)


# ------------------------------------------------------------------------------------------ Step Functions
@pytest.fixture
def paged_group(aws):
    """A group whose real execution is in its day-long Wait, and the task input that ends that Wait."""
    chain = create_chain(aws, NOTIFY_AFTER_A_DAY)
    integration = create_integration(aws, "alertmanager", chain_id=chain["id"])
    group = group_from_sam_events(aws, integration)
    execution = wiring.store().get_group(group["id"]).escalation.execution_name
    return group, execution


def test_the_escalate_task_runs_the_step_after_the_wait_from_the_state_machines_input(aws, paged_group):
    group, execution = paged_group
    # when the task gets the input RunSteps passes after the Wait
    output = aws.functions.invoke(
        "EscalateFunction", event("stepfunctions-escalate-task-input", group_id=group["id"], execution_name=execution)
    )
    # then it notifies and tells the state machine the chain is done
    assert output["done"] is True and output["group_id"] == group["id"]
    [notification] = aws.outbox_lines()
    assert notification["channel"] == "outbox://sam"


def test_record_failure_takes_the_error_where_the_catch_puts_it(aws, paged_group):
    group, execution = paged_group
    # given the input RecordFailure gets: the state with SAM's Step Functions error at $.failure
    task = event("stepfunctions-escalate-task-input", group_id=group["id"], execution_name=execution)
    task["state"]["failure"] = event("stepfunctions-error")
    del task["attempt"]  # RecordFailure's Parameters pass no attempt
    aws.functions.invoke("EscalateFunction", task)
    # then the failure and its cause are on the group's timeline
    timeline = aws.api("GET", f"alert_groups/{group['id']}/timeline").body["results"]
    [failed] = [entry for entry in timeline if entry["type"] == "escalation_failed"]
    assert "States.TaskFailed" in json.dumps(failed)


def test_action_links_work_with_api_gateways_events(aws, paged_group):
    group, execution = paged_group
    aws.functions.invoke(
        "EscalateFunction", event("stepfunctions-escalate-task-input", group_id=group["id"], execution_name=execution)
    )
    token = aws.outbox_lines()[0]["action_links"]["acknowledge"].rstrip("/").rsplit("/", 1)[1]
    # the confirmation (GET, no body) changes nothing
    confirm = aws.functions.invoke("ApiFunction", event("http-api-action-confirm", action_token=token))
    assert confirm["statusCode"] == 200 and body_of(confirm)["method"] == "POST"
    assert aws.api("GET", f"alert_groups/{group['id']}").body["state"] == "firing"
    # the form's POST (form content type, no body) acts
    done = aws.functions.invoke("ApiFunction", event("http-api-action-post", action_token=token))
    assert done["statusCode"] == 200 and body_of(done)["done"] is True
    assert aws.api("GET", f"alert_groups/{group['id']}").body["state"] == "acknowledged"


# ------------------------------------------------------------------------------------------ SQS: webhooks
def test_the_webhooks_function_takes_an_event_record_from_sqs(aws):
    aws.set_env(ONCALL_ALLOW_PRIVATE_TARGETS="true")  # the receiver is on 127.0.0.1
    integration = create_integration(aws, "alertmanager")
    group = group_from_sam_events(aws, integration)
    aws.drain_events()  # route's own "created" event, before any webhook exists
    with Receiver() as receiver:
        created = aws.api(
            "POST",
            "webhooks",
            {"name": "sam", "url": receiver.url + "/hook", "trigger_type": "alert group created"},
        )
        assert created.status == 201, created.body
        # when SAM's SQS record carries a "created" event for the group
        message = {
            "kind": "event",
            "event": {
                "id": uuid.uuid4().hex,
                "type": "alert group created",
                "group_id": group["id"],
                "integration_id": integration["id"],
                "at": "2026-01-01T00:00:00Z",
            },
        }
        record = event("sqs-events-queue")
        record["Records"][0]["body"] = json.dumps(message)
        # then the function fans it out without failures, and the delivery reaches the webhook
        assert aws.functions.invoke("WebhooksFunction", record) == {"batchItemFailures": []}
        aws.drain_events()
        [request] = receiver.requests
    assert request.json()["alert_group_id"] == group["id"]


# ------------------------------------------------------------------------------------------ schedules
@pytest.mark.parametrize("scheduled", ["scheduler-default-notification", "cloudwatch-scheduled-event"])
def test_the_sweep_runs_on_scheduled_events(aws, monkeypatch, scheduled):
    now = FixedClock(oncall_clock.SystemClock().now().replace(microsecond=0))
    monkeypatch.setattr(oncall_clock, "_clock", now)
    integration = create_integration(aws, "webhook")
    path = "/" + integration["link"].split("/", 3)[3] + "heartbeat/"
    assert (
        aws.api("PUT", f"integrations/{integration['id']}/heartbeat", {"period": 300, "grace_period": 60}).status == 200
    )
    assert aws.http("GET", path).status == 200
    # when the schedule fires after period + grace without a ping
    now.advance(seconds=361)
    report = aws.functions.invoke("HeartbeatCheckFunction", event(scheduled))
    # then the heartbeat is reported missing, once
    assert report["heartbeats"]["missing"] == [integration["id"]]
    assert aws.functions.invoke("HeartbeatCheckFunction", event(scheduled))["heartbeats"]["missing"] == []


# ------------------------------------------------------------------------------------------ malformed
@pytest.mark.parametrize("function", ["IngestFunction", "ApiFunction"])
def test_a_body_marked_base64_that_is_not_is_a_400_not_a_crash(aws, function):
    # given an event (not one API Gateway would make) whose body is flagged base64 but is not
    integration = create_integration(aws, "webhook")
    name = "http-api-ingest-form" if function == "IngestFunction" else "http-api-api-create-chain"
    broken = event(name, integration_token=token_of(integration), admin_token=ADMIN_TOKEN)
    broken["body"] = "not base64!"
    # then both HTTP functions answer 400 with the same detail
    result = aws.functions.invoke(function, broken)
    assert result["statusCode"] == 400
    assert body_of(result) == {"detail": "The request body is marked base64 but is not valid base64."}
