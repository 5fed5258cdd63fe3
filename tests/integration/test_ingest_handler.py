import json
import secrets
from datetime import UTC, datetime

import boto3
import pytest

from oncall import wiring
from oncall.platform import clock
from tests.fakes import FixedClock
from tests.integration.conftest import create_integration, ingest_path


@pytest.fixture
def integration(aws):
    return create_integration(aws, "alertmanager")


def _queued(aws):
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(
        QueueUrl=aws.topology.ingest_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    ).get("Messages", [])
    return messages


def test_alert_is_stored_then_enqueued(aws, integration):
    # when Alertmanager posts to the integration URL
    response = aws.http("POST", ingest_path(integration), json.dumps({"status": "firing", "alerts": []}))
    # then it gets OnCall's answer, and the alert is both stored and queued for its integration
    assert (response.status, response.body) == (200, "Ok.")
    [message] = _queued(aws)
    body = json.loads(message["Body"])
    assert message["Attributes"]["MessageGroupId"] == integration["id"]
    stored = wiring.store().get_alert(body["alert_id"])
    assert stored.payload == {"status": "firing", "alerts": [], "numFiring": 0, "numResolved": 0}


def test_trailing_slash_is_optional(aws, integration):
    assert aws.http("POST", ingest_path(integration).rstrip("/"), '{"a": 1}').status == 200


def test_form_and_text_bodies_are_accepted(aws):
    webhook = create_integration(aws, "webhook")
    form = aws.http(
        "POST",
        ingest_path(webhook),
        "title=Disk&state=alerting",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    text = aws.http("POST", ingest_path(webhook), "plain words", headers={"content-type": "text/plain"})
    assert form.status == text.status == 200
    payloads = [wiring.store().get_alert(json.loads(m["Body"])["alert_id"]).payload for m in _queued(aws)]
    assert {"title": "Disk", "state": "alerting"} in payloads and {"message": "plain words"} in payloads


def test_base64_binary_body_is_kept_as_message(aws):
    webhook = create_integration(aws, "webhook")
    response = aws.http(
        "POST", ingest_path(webhook), b"\xff\xfe binary", headers={"content-type": "application/octet-stream"}
    )
    assert response.status == 200


@pytest.mark.parametrize(
    ("path_of", "body", "status", "detail"),
    [
        (lambda i: "/integrations/v1/alertmanager/NOPE/", '{"a": 1}', 403, "Integration key was not found"),
        (lambda i: ingest_path(i).replace("alertmanager", "webhook"), '{"a": 1}', 400, "alertmanager"),
        (ingest_path, "", 400, "Payload is required"),
        (ingest_path, "x" * (256 * 1024 + 1), 413, "limit"),
    ],
)
def test_bad_requests_get_json_4xx(aws, integration, path_of, body, status, detail):
    response = aws.http("POST", path_of(integration), body, headers={"content-type": "text/plain"})
    assert response.status == status
    assert detail in response.body["detail"]
    assert _queued(aws) == []


def test_get_returns_how_to_connect(aws, integration):
    response = aws.http("GET", ingest_path(integration))
    assert response.status == 200
    assert integration["link"] in response.body
    assert "webhook_configs" in response.body


def test_heartbeat_ping_arms_the_heartbeat(aws, integration):
    for method in ("GET", "POST", "HEAD"):
        assert aws.http(method, ingest_path(integration) + "heartbeat/").status == 200
    item = boto3.client("dynamodb").get_item(
        TableName=aws.topology.table_name, Key={"pk": {"S": f"HEARTBEAT#{integration['id']}"}, "sk": {"S": "HEARTBEAT"}}
    )["Item"]
    assert item["hb_shard"]["S"] == "HB" and "hb_due" in item


def test_sqs_failure_is_a_5xx_and_nothing_is_half_stored(aws, integration, monkeypatch):
    # given SQS refuses the message
    with aws.functions.entered("IngestFunction"):  # the ingest function's own SQS client (under its queue)
        sqs = wiring.alert_queue()._sqs

    def broken_send(*_args, **_kwargs):
        from botocore.exceptions import EndpointConnectionError

        raise EndpointConnectionError(endpoint_url="https://sqs")

    monkeypatch.setattr(sqs, "send_message", broken_send)
    # when an alert arrives
    response = aws.http("POST", ingest_path(integration), '{"a": 1}')
    # then the sender is told to retry and no alert record is left behind
    assert response.status == 503
    items = boto3.client("dynamodb").scan(TableName=aws.topology.table_name)["Items"]
    assert not [i for i in items if i["pk"]["S"].startswith("ALERT#")]


def test_unknown_method_is_json_404(aws, integration):
    response = aws.http("DELETE", ingest_path(integration))
    assert response.status == 404 and response.body == {"detail": "Not found."}


@pytest.fixture
def frozen_clock(monkeypatch):
    """Handlers read time from oncall.platform.clock: freeze it 100 s into a 5-minute window."""
    frozen = FixedClock(datetime(2026, 11, 27, 12, 1, 40, tzinfo=UTC))
    monkeypatch.setattr(clock, "_clock", frozen)
    return frozen


def test_rate_limited_alerts_get_a_structured_429_and_leave_no_trace(aws, frozen_clock):
    # given an integration limited to 2 alerts per 5 minutes
    integration = create_integration(aws, "webhook", rate_limit={"alerts": 2, "per_seconds": 300})
    accepted = [aws.http("POST", ingest_path(integration), json.dumps({"n": n})).status for n in range(2)]
    # when a third alert arrives in the same window
    limited = aws.http("POST", ingest_path(integration), json.dumps({"n": 2}))
    # then it is refused with a JSON body and Retry-After, and nothing of it was stored or queued
    assert accepted == [200, 200] and limited.status == 429
    assert limited.body["limit"] == {"alerts": 2, "per_seconds": 300}
    assert limited.body["retry_after"] == 200 and "Rate limit exceeded" in limited.body["detail"]
    assert limited.headers["Retry-After"] == str(limited.body["retry_after"])
    queued = _queued(aws)
    assert len(queued) == 2
    stored = [wiring.store().get_alert(json.loads(m["Body"])["alert_id"]).payload for m in queued]
    assert stored == [{"n": 0}, {"n": 1}]
    # the window's counter is one item that expires by TTL
    counters = boto3.client("dynamodb").scan(
        TableName=aws.topology.table_name,
        FilterExpression="begins_with(pk, :rate)",
        ExpressionAttributeValues={":rate": {"S": f"RATE#{integration['id']}#"}},  # not the API's own counters
    )["Items"]
    assert [(c["n"]["N"], "expires_at" in c) for c in counters] == [("2", True)]


def test_other_integrations_are_not_limited(aws, frozen_clock):
    limited = create_integration(aws, "webhook", rate_limit={"alerts": 1, "per_seconds": 60})
    free = create_integration(aws, "webhook")
    assert aws.http("POST", ingest_path(limited), '{"a": 1}').status == 200
    assert aws.http("POST", ingest_path(limited), '{"a": 1}').status == 429
    assert [aws.http("POST", ingest_path(free), '{"a": 1}').status for _ in range(5)] == [200] * 5


# ------------------------------------------------------------------------------------------ found by fuzzing
def test_a_body_marked_base64_that_is_not_is_a_400(aws, integration):
    from oncall_local.front_door import build_event, match_route

    path = ingest_path(integration)
    route, params = match_route(aws.topology.http_routes, "POST", path)
    event = build_event(route, "POST", path, "", {"content-type": "application/json"}, b"{}", params, "127.0.0.1")
    event.update(body="not base64 ✗", isBase64Encoded=True)
    response = aws.functions.invoke("IngestFunction", event)
    assert response["statusCode"] == 400 and "base64" in json.loads(response["body"])["detail"]
    assert _queued(aws) == []


def test_a_multipart_field_in_an_unknown_charset_is_read_as_utf8(aws):
    webhook = create_integration(aws, "webhook")
    body = (
        b'--b\r\nContent-Disposition: form-data; name="title"\r\nContent-Type: text/plain; charset=bogus\r\n\r\n'
        b"Disk full\r\n--b--\r\n"
    )
    response = aws.http("POST", ingest_path(webhook), body, headers={"content-type": "multipart/form-data; boundary=b"})
    assert response.status == 200
    [message] = _queued(aws)
    assert wiring.store().get_alert(json.loads(message["Body"])["alert_id"]).payload == {"title": "Disk full"}


def test_a_body_that_outgrows_the_item_limit_once_stored_is_a_413_not_a_retry_forever(aws, integration, monkeypatch):
    # given a deployment that raised the body limit past what one DynamoDB item holds
    aws.set_env(ONCALL_MAX_BODY_BYTES=str(2 * 1024 * 1024))
    # when 1 MiB that does not compress arrives (random hex: the stored alert is compressed)
    body = secrets.token_hex(512 * 1024).encode()
    response = aws.http("POST", ingest_path(integration), body, headers={"content-type": "text/plain"})
    # then the sender is told it is too large, rather than retrying forever, and nothing is queued
    assert response.status == 413 and "too large to store" in response.body["detail"]
    assert _queued(aws) == []


def test_a_body_that_escapes_badly_is_stored_compressed(aws, integration):
    # 200 KiB of control characters: under the body limit, each a 6-byte JSON escape (1.2 MB of JSON)
    response = aws.http("POST", ingest_path(integration), b"\x01" * 200 * 1024, headers={"content-type": "text/plain"})
    assert response.status == 200
    [message] = _queued(aws)
    assert wiring.store().get_alert(json.loads(message["Body"])["alert_id"]).payload["message"] == "\x01" * 200 * 1024


def test_a_token_too_long_to_be_one_is_a_403_without_a_lookup(aws, faults):
    faults.add("dynamodb", "GetItem", code="ValidationException", times=None)  # what AWS says to a 5 KB key
    response = aws.http("POST", "/integrations/v1/alertmanager/" + "A" * 5000 + "/", '{"a": 1}')
    assert response.status == 403 and "not found" in response.body["detail"]


def test_a_body_that_claims_json_and_does_not_parse_is_a_400_and_text_is_still_a_message(aws, integration):
    """`curl -H 'Content-Type: application/json' -d '{"service": "x", oops'` answered 200 and stored the
    raw text; now the sender learns its payload is broken, and nothing is queued. Text, or a body with no
    content type, is still {"message": <text>} (issue 12 item 2)."""
    broken = '{"service": "x", oops'
    response = aws.http("POST", ingest_path(integration), broken, headers={"content-type": "application/json"})
    assert response.status == 400
    assert response.body["detail"].startswith("The body is not valid JSON (Content-Type: application/json)")
    assert "line 1 column 18" in response.body["detail"]
    assert _queued(aws) == []
    for content_type in ("text/plain", ""):
        headers = {"content-type": content_type} if content_type else {}
        event_body = broken.encode()  # bytes: the test client adds no content type of its own
        assert aws.http("POST", ingest_path(integration), event_body, headers=headers).status == 200
    payloads = [wiring.store().get_alert(json.loads(m["Body"])["alert_id"]).payload for m in _queued(aws)]
    assert [p["message"] for p in payloads] == [broken, broken]


@pytest.mark.parametrize("depth", [65, 256, 400, 1_000, 20_000])
def test_json_nested_past_the_limit_is_a_400_naming_it(aws, integration, depth):
    """An Alertmanager payload with one annotation nested `depth` deep answered 500 (RecursionError, or
    "Maximum serialization depth exceeded") and senders retried forever (issue 12 item 3, issue 13 item 9)."""
    body = '{"alerts": [{"status": "firing", "annotations": {"x": ' + "[" * depth + "]" * depth + "}}]}"
    response = aws.http("POST", ingest_path(integration), body, headers={"content-type": "application/json"})
    assert response.status == 400
    assert "at most 64 levels" in response.body["detail"]
    assert _queued(aws) == []


def test_the_deepest_payload_ingest_accepts_can_be_listed_and_read(aws, integration):
    """The limit leaves room for what the API wraps around a payload: the deepest body ingest accepts (64
    levels, in an annotation) is routed, and listing and reading its group and alert answer 200 (issue 13
    item 1: deeper payloads used to break listing for everyone)."""
    inner = "[" * 60 + "]" * 60  # body > alerts > alert > annotations: 4 levels, then 60 arrays = 64
    body = '{"alerts": [{"status": "firing", "labels": {"alertname": "Deep"}, "annotations": {"x": ' + inner + "}}]}"
    assert aws.http("POST", ingest_path(integration), body).status == 200
    aws.drain()
    listed = aws.api("GET", "alert_groups", query=f"integration_id={integration['id']}")
    assert listed.status == 200, listed.body
    [group] = listed.body["results"]
    assert aws.api("GET", f"alert_groups/{group['id']}").status == 200
    assert aws.api("GET", "alerts", query=f"alert_group_id={group['id']}").status == 200
    assert aws.api("GET", "alerts").status == 200
