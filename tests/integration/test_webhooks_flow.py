"""Outgoing webhooks through the real handlers on moto: the API, events from route and actions on the events
queue, the webhooks function delivering to a real HTTP receiver on this machine, retries with SQS delays,
at-most-once under redelivery, and the delivery log."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from oncall import wiring
from oncall.webhooks import config as webhooks
from oncall.webhooks.requests import SECRET_MASK
from oncall_local.workers import sqs_event
from tests.builders import am_payload
from tests.http_receiver import Receiver
from tests.integration.conftest import create_integration, ingest_path

RETRY_BASE_SECONDS = 1


@pytest.fixture
def env(aws, monkeypatch):
    """The integration stack with private targets allowed (the receiver is on 127.0.0.1) and 1 s retries."""
    aws.set_env(ONCALL_ALLOW_PRIVATE_TARGETS="true", ONCALL_WEBHOOK_RETRY_BASE_SECONDS=str(RETRY_BASE_SECONDS))
    return aws


def create_webhook(aws, **fields) -> dict:
    response = aws.api("POST", "webhooks", {"name": f"hook-{time.monotonic_ns()}", **fields})
    assert response.status == 201, response.body
    return response.body


def fire(aws, integration, alertname="DiskFull", status="firing") -> None:
    response = aws.http("POST", ingest_path(integration), json.dumps(am_payload(status=status, alertname=alertname)))
    assert response.status == 200
    aws.drain()


def deliveries(aws, receiver, count, timeout=10.0):
    """Run the webhooks function until the receiver has `count` requests (delayed retries included)."""
    deadline = time.monotonic() + timeout
    while len(receiver.requests) < count and time.monotonic() < deadline:
        aws.drain_events(wait_seconds=1)
    return list(receiver.requests)


def responses_of(aws, webhook_id) -> list[dict]:
    response = aws.api("GET", f"webhooks/{webhook_id}/responses")
    assert response.status == 200, response.body
    return response.body["results"]


# ------------------------------------------------------------------------------------------ the API
def test_webhooks_api_create_read_masked_update_delete(env):
    created = create_webhook(
        env,
        name="ticketing",
        url="https://tickets.example.com/api",
        trigger_type="resolve",
        password="p4ss",
        username="bot",
        authorization_header="Bearer s3cret",
    )
    assert created["id"].startswith("WH")
    assert (created["password"], created["authorization_header"]) == (SECRET_MASK, SECRET_MASK)
    # a PATCH that sends the masks back keeps the secrets
    patched = env.api("PATCH", f"webhooks/{created['id']}", {**created, "http_method": "put"})
    assert patched.status == 200 and patched.body["http_method"] == "PUT"
    stored = wiring.store().get_webhook(created["id"])
    assert (stored.password, stored.authorization_header) == ("p4ss", "Bearer s3cret")
    # PUT replaces the whole webhook
    put = env.api("PUT", f"webhooks/{created['id']}", {"name": "ticketing", "url": "https://t.example.com/v2"})
    assert put.status == 200 and put.body["trigger_type"] == "escalation" and put.body["password"] is None
    listed = env.api("GET", "webhooks", query="name=ticketing").body
    assert [w["id"] for w in listed["results"]] == [created["id"]]
    assert env.api("DELETE", f"webhooks/{created['id']}").status == 204
    assert env.api("GET", f"webhooks/{created['id']}").status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "url": "https://a.example.com", "trigger_type": "sometimes"}, "trigger_type"),
        ({"name": "x", "url": "https://a.example.com", "data": "{{ broken"}, "data"),
        ({"name": "x", "url": "https://a.example.com", "timeout_seconds": 60}, "timeout_seconds"),
        ({"name": "x"}, "url"),
    ],
)
def test_bad_webhooks_are_400_naming_the_field(env, body, field):
    response = env.api("POST", "webhooks", body)
    assert response.status == 400 and field in response.body, response.body


def test_duplicate_names_are_refused(env):
    create_webhook(env, name="dup", url="https://a.example.com")
    response = env.api("POST", "webhooks", {"name": "dup", "url": "https://b.example.com"})
    assert response.status == 400 and "name" in response.body


# ------------------------------------------------------------------------------------------ event flow
def test_a_new_alert_group_is_delivered_to_the_webhook_once(env):
    integration = create_integration(env)
    with Receiver() as receiver:
        webhook = create_webhook(
            env,
            url=receiver.url + "/hook/{{ alert_group_id }}",
            trigger_type="alert group created",
            integration_filter=[integration["id"]],
        )
        fire(env, integration)
        [request] = deliveries(env, receiver, 1)
        env.drain_events()
    body = request.json()
    group_id = body["alert_group_id"]
    assert request.path == f"/hook/{group_id}"
    assert body["event"]["type"] == "alert group created"
    assert body["alert_payload"]["groupLabels"] == {"alertname": "DiskFull"}
    assert body["integration"]["id"] == integration["id"]
    assert body["alert_group"]["permalinks"]["web"] == f"https://oncall.test/console/alert_groups/{group_id}"
    [logged] = responses_of(env, webhook["id"])
    assert request.headers["Idempotency-Key"] == f"{logged['event_id']}-{webhook['id']}"
    assert (logged["status_code"], logged["attempt"], logged["outcome"]) == (200, 1, "delivered")
    assert logged["request_trigger"] == "alert group created" and logged["alert_group_id"] == group_id
    assert len(receiver.requests) == 1


def test_retries_back_off_keep_the_idempotency_key_and_are_all_logged(env):
    integration = create_integration(env)
    with Receiver(script=[(500, {}, b"busy"), (503, {}, b"still busy")]) as receiver:
        webhook = create_webhook(
            env, url=receiver.url, trigger_type="alert group created", integration_filter=[integration["id"]]
        )
        fire(env, integration)
        requests = deliveries(env, receiver, 3, timeout=15)
    assert len(requests) == 3
    assert len({r.headers["Idempotency-Key"] for r in requests}) == 1
    # SQS held each retry back for the backoff delay: 1 s, then 2 s
    assert requests[1].at - requests[0].at >= RETRY_BASE_SECONDS * 0.9
    assert requests[2].at - requests[1].at >= 2 * RETRY_BASE_SECONDS * 0.9
    logged = responses_of(env, webhook["id"])
    assert [(r["attempt"], r["status_code"], r["outcome"], r["next_attempt_in_seconds"]) for r in logged] == [
        (3, 200, "delivered", None),
        (2, 503, "retrying", 2),
        (1, 500, "retrying", 1),
    ]
    assert logged[2]["content"] == "busy"
    assert len({r["event_id"] for r in logged}) == 1


def test_a_4xx_is_final_logged_and_on_the_timeline(env):
    integration = create_integration(env)
    with Receiver(script=[(404, {}, b'{"error": "no such hook"}')]) as receiver:
        webhook = create_webhook(
            env, url=receiver.url, trigger_type="alert group created", integration_filter=[integration["id"]]
        )
        fire(env, integration)
        deliveries(env, receiver, 1)
        time.sleep(RETRY_BASE_SECONDS + 0.2)  # past when a retry would have been due
        env.drain_events(wait_seconds=1)
    assert len(receiver.requests) == 1
    [logged] = responses_of(env, webhook["id"])
    assert (logged["status_code"], logged["outcome"], logged["error"]) == (404, "failed", "HTTP 404")
    timeline = env.api("GET", f"alert_groups/{logged['alert_group_id']}/timeline").body["results"]
    assert any(e["type"] == "webhook_failed" and "HTTP 404" in e["text"] for e in timeline)


def test_a_redelivered_sqs_message_does_not_deliver_twice(env):
    integration = create_integration(env)
    with Receiver() as receiver:
        create_webhook(
            env, url=receiver.url, trigger_type="alert group created", integration_filter=[integration["id"]]
        )
        fire(env, integration)
        [mapping] = [m for m in env.topology.queue_mappings if m.function == "WebhooksFunction"]
        sqs = boto3.client("sqs")
        # the event fans out into one delivery message
        fan_out = sqs.receive_message(QueueUrl=mapping.queue_url, MaxNumberOfMessages=10)["Messages"]
        env.functions.invoke("WebhooksFunction", sqs_event(fan_out, mapping.queue_arn))
        delivery = sqs.receive_message(QueueUrl=mapping.queue_url, MaxNumberOfMessages=10)["Messages"]
        assert [json.loads(m["Body"])["kind"] for m in delivery] == ["delivery"]
        # when SQS hands the same delivery message to the function twice (at-least-once)
        first = env.functions.invoke("WebhooksFunction", sqs_event(delivery, mapping.queue_arn))
        again = env.functions.invoke("WebhooksFunction", sqs_event(delivery, mapping.queue_arn))
    # then the target got it once and both invocations succeeded
    assert first == again == {"batchItemFailures": []}
    assert len(receiver.requests) == 1


def test_status_change_webhook_gets_the_acting_user_and_the_concrete_action(env):
    integration = create_integration(env)
    with Receiver() as receiver:
        webhook = create_webhook(
            env,
            url=receiver.url,
            trigger_type="status change",
            forward_all=False,
            data='{"what": "{{ event.type }}", "group": "{{ alert_group_id }}", "state": "{{ alert_group.state }}"}',
        )
        fire(env, integration)
        group_id = env.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body["results"][0]["id"]
        assert env.api("POST", f"alert_groups/{group_id}/acknowledge").status == 200
        assert env.api("POST", f"alert_groups/{group_id}/resolve").status == 200
        requests = deliveries(env, receiver, 2)
    assert sorted(r.json()["what"] for r in requests) == ["acknowledge", "resolve"]
    assert {r.json()["group"] for r in requests} == {group_id}
    assert len(responses_of(env, webhook["id"])) == 2


def test_source_resolves_fire_resolve_webhooks_too(env):
    integration = create_integration(env)
    with Receiver() as receiver:
        create_webhook(env, url=receiver.url, trigger_type="resolve", integration_filter=[integration["id"]])
        fire(env, integration)
        fire(env, integration, status="resolved")
        [request] = deliveries(env, receiver, 1)
    assert request.json()["event"]["type"] == "resolve"
    assert request.json()["alert_group"]["state"] == "resolved"


def test_escalation_step_trigger_delivers_to_that_webhook_and_records_it(env):
    integration = create_integration(env)
    with Receiver() as receiver:
        chosen = create_webhook(env, url=receiver.url + "/chosen")
        create_webhook(env, url=receiver.url + "/other")
        fire(env, integration)
        group_id = env.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body["results"][0]["id"]
        webhooks.trigger_escalation_webhook(chosen["id"], group_id, deps=wiring.action_deps())
        [request] = deliveries(env, receiver, 1)
        env.drain_events()
    assert request.path == "/chosen" and request.json()["event"]["type"] == "escalation"
    timeline = env.api("GET", f"alert_groups/{group_id}/timeline").body["results"]
    assert any(e["type"] == "webhook_sent" and "HTTP 200" in e["text"] for e in timeline)
    assert len(receiver.requests) == 1


def test_a_deployed_stack_refuses_private_targets(aws):
    # given the template's default (ONCALL_ALLOW_PRIVATE_TARGETS=false)
    integration = create_integration(aws)
    with Receiver() as receiver:
        webhook = create_webhook(
            aws, url=receiver.url, trigger_type="alert group created", integration_filter=[integration["id"]]
        )
        fire(aws, integration)
        aws.drain_events()
    assert receiver.requests == []
    [logged] = responses_of(aws, webhook["id"])
    assert logged["outcome"] == "failed" and "loopback" in logged["error"] and logged["next_attempt_in_seconds"] is None


# ------------------------------------------------------------------------------------------ by a person
def test_test_send_and_resend(env):
    integration = create_integration(env)
    with Receiver(script=[(500, {}, b"down")]) as receiver:
        webhook = create_webhook(
            env,
            url=receiver.url,
            trigger_type="acknowledge",
            integration_filter=[integration["id"]],
            authorization_header="Bearer s3cret",
        )
        # with no alert group yet, the test sends a sample event right now
        tested = env.api("POST", f"webhooks/{webhook['id']}/test")
        assert tested.status == 200, tested.body
        assert (tested.body["status_code"], tested.body["request_trigger"], tested.body["outcome"]) == (
            500,
            "test",
            "failed",
        )
        assert tested.body["request_headers"]["Authorization"] == SECRET_MASK
        # a person resends it: delivered again, with a fresh Idempotency-Key
        resent = env.api("POST", f"webhooks/{webhook['id']}/responses/{tested.body['id']}/resend")
        assert resent.status == 200 and resent.body["status_code"] == 200
    first, second = receiver.requests
    assert first.json()["event"]["type"] == "acknowledge" and first.json()["alert_group"]["title"].startswith("Test")
    assert first.headers["Authorization"] == "Bearer s3cret"
    assert first.headers["Idempotency-Key"] != second.headers["Idempotency-Key"]
    assert [r["request_trigger"] for r in responses_of(env, webhook["id"])] == ["resend", "test"]
    assert env.api("POST", f"webhooks/{webhook['id']}/responses/WRNOSUCH/resend").status == 404


def test_actions_succeed_even_if_events_cannot_be_published(env, monkeypatch):
    integration = create_integration(env)
    fire(env, integration)
    group_id = env.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body["results"][0]["id"]
    # given an events queue that does not exist (an outage, a misconfiguration)
    env.set_env(EVENTS_QUEUE_URL=env.topology.events_queue_url + "-gone")
    # then acknowledging still works
    response = env.api("POST", f"alert_groups/{group_id}/acknowledge")
    assert response.status == 200 and response.body["state"] == "acknowledged"


def test_the_event_alert_group_is_what_the_api_shows(env):
    """Given an integration of a team and an "alert group created" webhook, when an alert opens a group, then
    the event's `alert_group` equals GET /alert_groups/<id> (team_id included) — issue 12 item 7."""
    team = env.api("POST", "teams", {"name": f"ops-{time.monotonic_ns()}"})
    assert team.status == 201, team.body
    integration = create_integration(env, team_id=team.body["id"])
    with Receiver() as receiver:
        create_webhook(
            env, url=receiver.url + "/hook", trigger_type="alert group created", integration_filter=[integration["id"]]
        )
        fire(env, integration)
        [request] = deliveries(env, receiver, 1)
    sent = request.json()["alert_group"]
    shown = env.api("GET", f"alert_groups/{sent['id']}").body
    assert sent["team_id"] == team.body["id"]
    assert sent == shown


def test_debug_maintenance_sends_no_webhook_on_any_trigger(env):
    """Given an integration in debug maintenance whose chain triggers a webhook and pages a channel, and a
    webhook for every status change and new group, when alerts open a group that is then acknowledged and
    resolved, then the receiver gets nothing, the outbox stays empty, and the timeline shows only what would
    have been sent — through the real ingest, route, escalate (state machine) and webhooks functions (issue 12
    item 1)."""
    from tests.integration.conftest import create_chain

    with Receiver() as receiver:
        on_step = create_webhook(env, url=receiver.url + "/step")
        chain = create_chain(
            env,
            [
                {"type": "notify_channel", "channel": "outbox://pager"},
                {"type": "trigger_webhook", "action_to_trigger": on_step["id"]},
            ],
        )
        integration = create_integration(env, chain_id=chain["id"])
        for trigger in ("alert group created", "status change", "alert added to group"):
            create_webhook(env, url=receiver.url + "/event", trigger_type=trigger)
        started = env.api(
            "POST", f"integrations/{integration['id']}/maintenance_start", {"mode": "debug", "duration": 3600}
        )
        assert started.status == 200, started.body
        fire(env, integration)
        fire(env, integration)  # joins the group: "alert added"
        [group] = env.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body["results"]
        env.wait_for(lambda: env.execution_status(group["id"]) == "SUCCEEDED")
        assert env.api("POST", f"alert_groups/{group['id']}/acknowledge").status == 200
        assert env.api("POST", f"alert_groups/{group['id']}/resolve").status == 200
        for _ in range(3):
            env.drain_events(wait_seconds=1)
        assert receiver.requests == []
    assert env.outbox_lines() == []
    timeline = env.api("GET", f"alert_groups/{group['id']}/timeline").body["results"]
    assert not [e for e in timeline if e["type"] in ("notified", "webhook_sent")]
    would = [e["text"] for e in timeline if e["type"] == "would_have_notified"]
    assert any(t.startswith("Would have notified outbox://pager") for t in would), would
    assert any(t.startswith("Would have triggered outgoing webhook") for t in would), would
    assert any("(alert group created)" in t for t in would) and any("(acknowledge)" in t for t in would), would
    assert any("(resolve)" in t for t in would), would
