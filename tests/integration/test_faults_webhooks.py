"""Fault injection on outgoing webhooks: a target that times out, then answers 500, then recovers. The
delivery is retried with a growing delay, every attempt carries the same Idempotency-Key (so the target can
drop the repeats: one effective delivery per key), each attempt is logged, a redelivered SQS message sends
nothing again, and an event queue that refuses the retry message fails only that record (SQS retries it)."""

from __future__ import annotations

import json
import time

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from tests.builders import am_payload
from tests.http_receiver import Receiver
from tests.integration.conftest import create_integration, ingest_path

RETRY_BASE_SECONDS = 1
SLOW = 1.6  # longer than the webhook's 1 s timeout


@pytest.fixture
def env(aws, monkeypatch):
    # the receiver is on 127.0.0.1
    aws.set_env(ONCALL_ALLOW_PRIVATE_TARGETS="true", ONCALL_WEBHOOK_RETRY_BASE_SECONDS=str(RETRY_BASE_SECONDS))
    return aws


@pytest.fixture
def handled(env, monkeypatch) -> list[dict]:
    """Every SQS event the webhooks function was given (to hand one to it again, like SQS may)."""
    module = env.functions.module("WebhooksFunction")
    original, seen = module.handler, []

    def recording(event, context):
        seen.append(event)
        return original(event, context)

    monkeypatch.setattr(module, "handler", recording)
    return seen


def _webhook(aws, url: str, integration: dict, **fields) -> dict:
    body = {
        "name": f"hook-{time.monotonic_ns()}",
        "url": url,
        "trigger_type": "alert group created",
        "integration_filter": [integration["id"]],
        "timeout_seconds": 1,
        **fields,
    }
    response = aws.api("POST", "webhooks", body)
    assert response.status == 201, response.body
    return response.body


def _run_until(aws, done, timeout=20.0) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        aws.drain_events(wait_seconds=1)
    assert done(), "the deliveries did not finish in time"


def _effective(requests) -> dict[str, int]:
    """What an idempotent target keeps: one request per Idempotency-Key."""
    return {key: 1 for key in {r.headers["Idempotency-Key"] for r in requests}}


def test_timeout_then_500_then_recovery_is_one_effective_delivery(env, handled):
    integration = create_integration(env)
    script = [(200, {}, b"too late", SLOW), (500, {}, b"overloaded")]
    with Receiver(script=script) as flaky, Receiver() as healthy:
        flaky_hook = _webhook(env, flaky.url + "/flaky", integration)
        healthy_hook = _webhook(env, healthy.url + "/healthy", integration)
        # when a new alert group fires both webhooks
        assert env.http("POST", ingest_path(integration), json.dumps(am_payload())).status == 200
        env.drain()
        _run_until(env, lambda: len(flaky.requests) == 3 and len(healthy.requests) == 1)
        # and SQS hands every message the function has seen to it once more (at-least-once delivery)
        for event in list(handled):
            env.functions.invoke("WebhooksFunction", event)
        env.drain_events(wait_seconds=1)
        time.sleep(RETRY_BASE_SECONDS * 4)  # past when another retry would have been due
        env.drain_events(wait_seconds=1)
    # then the flaky target got three attempts with one key, backing off 1 s then 2 s (after the 1 s timeout)
    assert len(flaky.requests) == 3 and len(healthy.requests) == 1
    keys = [r.headers["Idempotency-Key"] for r in flaky.requests]
    assert len(set(keys)) == 1 and keys[0].endswith(flaky_hook["id"])
    gaps = [b.at - a.at for a, b in zip(flaky.requests, flaky.requests[1:], strict=False)]
    assert gaps[0] >= 1 + RETRY_BASE_SECONDS * 0.9  # the timeout, then the first delay
    assert gaps[1] >= 2 * RETRY_BASE_SECONDS * 0.9
    # and each target effectively received the event once
    assert _effective(flaky.requests) == {keys[0]: 1}
    assert _effective(healthy.requests) == {healthy.requests[0].headers["Idempotency-Key"]: 1}
    assert healthy.requests[0].headers["Idempotency-Key"] != keys[0]
    assert flaky.requests[0].body == flaky.requests[2].body or json.loads(flaky.requests[0].body)["event"]
    # and every attempt is in the webhook's log
    logged = env.api("GET", f"webhooks/{flaky_hook['id']}/responses").body["results"]
    assert [(r["attempt"], r["status_code"], r["outcome"]) for r in logged] == [
        (3, 200, "delivered"),
        (2, 500, "retrying"),
        (1, None, "retrying"),
    ]
    assert "timed out" in logged[2]["error"]
    [healthy_logged] = env.api("GET", f"webhooks/{healthy_hook['id']}/responses").body["results"]
    assert (healthy_logged["attempt"], healthy_logged["outcome"]) == (1, "delivered")


def test_a_fan_out_that_fails_halfway_is_redelivered_and_each_target_gets_the_event_once(env, faults, handled):
    integration = create_integration(env)
    with Receiver() as first, Receiver() as second:
        _webhook(env, first.url, integration)
        _webhook(env, second.url, integration)
        assert env.http("POST", ingest_path(integration), json.dumps(am_payload())).status == 200
        env.drain()
        # given the events queue takes the first webhook's delivery message, then refuses the second's
        faults.add("sqs", "SendMessage", code="InternalError", function="WebhooksFunction", skip=1)
        with pytest.raises(BatchProcessingError):  # its only record failed: the invocation fails
            env.drain_events()
        [fan_out] = [e for e in handled if json.loads(e["Records"][0]["body"])["kind"] == "event"]
        assert faults.rules[0].hits == 1
        # when SQS redelivers the event message (its record failed) and everything runs
        assert env.functions.invoke("WebhooksFunction", fan_out) == {"batchItemFailures": []}
        _run_until(env, lambda: len(first.requests) >= 1 and len(second.requests) >= 1)
        env.drain_events(wait_seconds=1)
    # then each target got the event exactly once
    assert len(first.requests) == 1 and len(second.requests) == 1


def test_a_retry_that_cannot_be_scheduled_is_a_visible_final_failure(env, faults):
    integration = create_integration(env)
    with Receiver(script=[(503, {}, b"busy")]) as target:
        hook = _webhook(env, target.url, integration)
        assert env.http("POST", ingest_path(integration), json.dumps(am_payload())).status == 200
        env.drain()
        # given the events queue refuses the delayed message that would carry the retry
        faults.add("sqs", "SendMessage", code="InternalError", function="WebhooksFunction", skip=1)
        env.drain_events()
        time.sleep(RETRY_BASE_SECONDS + 0.5)
        env.drain_events(wait_seconds=1)
    # then the attempt is logged as failed, saying why no retry follows, and the group's timeline shows it
    assert len(target.requests) == 1
    [logged] = env.api("GET", f"webhooks/{hook['id']}/responses").body["results"]
    assert (logged["attempt"], logged["status_code"], logged["outcome"]) == (1, 503, "failed")
    assert "the retry could not be scheduled (InternalError)" in logged["error"]
    timeline = env.api("GET", f"alert_groups/{logged['alert_group_id']}/timeline").body["results"]
    assert any(e["type"] == "webhook_failed" for e in timeline)
