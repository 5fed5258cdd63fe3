import json

import boto3
import pytest

from oncall import wiring
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
    queue = wiring.alert_queue()

    def broken_send(*_args, **_kwargs):
        from botocore.exceptions import EndpointConnectionError

        raise EndpointConnectionError(endpoint_url="https://sqs")

    monkeypatch.setattr(queue, "send", broken_send)
    # when an alert arrives
    response = aws.http("POST", ingest_path(integration), '{"a": 1}')
    # then the sender is told to retry and no alert record is left behind
    assert response.status == 503
    items = boto3.client("dynamodb").scan(TableName=aws.topology.table_name)["Items"]
    assert not [i for i in items if i["pk"]["S"].startswith("ALERT#")]


def test_unknown_method_is_json_404(aws, integration):
    response = aws.http("DELETE", ingest_path(integration))
    assert response.status == 404 and response.body == {"detail": "Not found."}
