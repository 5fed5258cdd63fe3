"""Amazon SNS through the real ingest and route handlers on moto: subscribe, alarm, recovery, forgeries."""

import json

import boto3
import pytest

from oncall import wiring
from oncall.intake import sns
from tests.integration.conftest import create_integration, ingest_path
from tests.sns_signing import CERT_URL, SUBSCRIBE_URL, FakeSns, alarm


@pytest.fixture
def fake(monkeypatch) -> FakeSns:
    """SNS's certificate and SubscribeURL answer from memory: no request leaves the process."""
    fake = FakeSns()
    sns.clear_certificate_cache()
    monkeypatch.setattr(sns, "http_get", fake.fetch)
    yield fake
    sns.clear_certificate_cache()


def _post(aws, integration, body: dict, message_type: str | None = None):
    # SNS posts JSON with Content-Type text/plain and names the message type in a header.
    return aws.http(
        "POST",
        ingest_path(integration),
        json.dumps(body),
        headers={"content-type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": message_type or body["Type"]},
    )


def _groups(aws, integration):
    return aws.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body["results"]


def _last_payload(aws, group) -> dict:
    return aws.api("GET", f"alert_groups/{group['id']}").body["last_alert"]["payload"]


def _queued(aws) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=aws.topology.ingest_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_subscribe_alarm_and_recovery(aws, fake):
    # given an Amazon SNS integration, whose URL is the SNS one
    integration = create_integration(aws, "amazon_sns", name="CloudWatch")
    assert "/integrations/v1/amazon_sns/" in integration["link"]
    # when SNS asks to confirm the subscription
    confirmed = _post(aws, integration, fake.confirmation())
    # then it is confirmed by a GET on SubscribeURL, after the signature was checked
    assert (confirmed.status, confirmed.body) == (200, "Ok.")
    assert fake.fetched == [CERT_URL, SUBSCRIBE_URL]
    # when the alarm fires
    assert _post(aws, integration, fake.notification(alarm(), subject="ALARM")).status == 200
    aws.drain()
    # then one alert group exists, titled by the alarm
    [group] = _groups(aws, integration)
    assert group["title"] == "checkout-api-5xx" and group["state"] == "firing"
    payload = _last_payload(aws, group)
    assert payload["console_url"].startswith("https://eu-west-1.console.aws.amazon.com/cloudwatch/")
    # when it fires again and then recovers
    _post(aws, integration, fake.notification(alarm(), subject="ALARM"))
    _post(aws, integration, fake.notification(alarm(state="OK"), subject="OK"))
    aws.drain()
    # then both joined the group and the OK resolved it
    [group] = _groups(aws, integration)
    assert group["alerts_count"] == 3 and group["state"] == "resolved"
    # and the certificate was fetched once for everything
    assert fake.fetched.count(CERT_URL) == 1


def test_forged_and_tampered_deliveries_are_403(aws, fake):
    integration = create_integration(aws, "amazon_sns")
    tampered = fake.notification(alarm())
    tampered["Message"] = json.dumps(alarm(name="something-else"))
    foreign = FakeSns(cert_url="https://certs.example.com/sns.pem").notification(alarm())
    for body in (tampered, foreign):
        response = _post(aws, integration, body)
        assert response.status == 403
        assert "detail" in response.body
    assert _queued(aws) == 0
    items = boto3.client("dynamodb").scan(TableName=aws.topology.table_name)["Items"]
    assert not [i for i in items if i["pk"]["S"].startswith("ALERT#")]


def test_unsubscribe_is_acknowledged_and_nothing_else(aws, fake):
    integration = create_integration(aws, "amazon_sns")
    response = _post(aws, integration, fake.confirmation("UnsubscribeConfirmation"))
    assert (response.status, response.body) == (200, "Ok.")
    assert fake.fetched == [CERT_URL] and _queued(aws) == 0


def test_bad_bodies_are_json_4xx(aws, fake):
    integration = create_integration(aws, "amazon_sns")
    response = aws.http("POST", ingest_path(integration), "hello", headers={"content-type": "text/plain"})
    assert response.status == 400 and "SNS" in response.body["detail"]
    raw = aws.http(
        "POST",
        ingest_path(integration),
        json.dumps(alarm()),
        headers={"content-type": "text/plain", "x-amz-sns-rawdelivery": "true"},
    )
    assert raw.status == 403 and "RawMessageDelivery" in raw.body["detail"]
    unknown = aws.http("POST", "/integrations/v1/amazon_sns/NOPE/", json.dumps(fake.notification("x")))
    assert unknown.status == 403


def test_sns_url_accepts_any_integration_like_oncall(aws, fake):
    # OnCall's SNS endpoint does not check the integration type: a webhook subscribed to SNS works
    webhook = create_integration(aws, "webhook")
    path = ingest_path(webhook).replace("/webhook/", "/amazon_sns/")
    response = aws.http(
        "POST", path, json.dumps(fake.notification("Backup failed")), headers={"x-amz-sns-message-type": "Notification"}
    )
    assert response.status == 200
    aws.drain()
    [group] = _groups(aws, webhook)
    assert _last_payload(aws, group)["message"] == "Backup failed"


def test_get_on_the_sns_url_explains_the_subscription(aws, fake):
    integration = create_integration(aws, "amazon_sns")
    response = aws.http("GET", ingest_path(integration))
    assert response.status == 200 and "aws sns subscribe" in response.body and integration["link"] in response.body
    assert wiring.store().get_integration(integration["id"]).type == "amazon_sns"
