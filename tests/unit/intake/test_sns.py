"""Amazon SNS deliveries: signature verification, subscription handling and alarm payloads."""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oncall.intake import sns
from oncall.intake.sns import (
    SnsDelivery,
    SnsEnvelope,
    canonical_string,
    is_sns_url,
    notification_payload,
    receive_delivery,
)
from oncall.platform.errors import PayloadTooLargeError, SnsVerificationError, UpstreamError, ValidationError
from tests import builders
from tests.fakes import FixedClock
from tests.sns_signing import CERT_URL, SUBSCRIBE_URL, TOPIC_ARN, FakeSns, alarm, new_key, self_signed_pem

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _fresh_certificate_cache():
    sns.clear_certificate_cache()
    yield
    sns.clear_certificate_cache()


@pytest.fixture
def fake() -> FakeSns:
    return FakeSns()


@pytest.fixture
def integration(store, clock):
    created, _ = builders.integration(store, clock, kind="amazon_sns")
    return created


def _deliver(body: dict | bytes, integration, store, queue, clock, fake, *, message_type=None, raw=False):
    raw_body = body if isinstance(body, bytes) else json.dumps(body).encode()
    kind = message_type if message_type is not None else (body.get("Type", "") if isinstance(body, dict) else "")
    return receive_delivery(
        integration,
        SnsDelivery(body=raw_body, message_type=kind, raw_delivery=raw, request_id="req-1"),
        store=store,
        queue=queue,
        clock=clock,
        fetch=fake.fetch,
    )


# ------------------------------------------------------------------------------------------ canonical string
def test_canonical_string_follows_the_sns_documentation():
    # given a notification with a subject and a confirmation
    notification = SnsEnvelope.model_validate(
        {
            "Type": "Notification",
            "MessageId": "m-1",
            "TopicArn": "arn:aws:sns:us-east-1:1:t",
            "Subject": "Hi",
            "Message": "body",
            "Timestamp": "2026-01-01T00:00:00.000Z",
            "SignatureVersion": "1",
            "Signature": "x",
            "SigningCertURL": CERT_URL,
            "UnsubscribeURL": "https://ignored",
        }
    )
    # then the signed text is "Key\nValue\n" over the documented keys in order (UnsubscribeURL is not signed)
    assert canonical_string(notification) == (
        b"Message\nbody\nMessageId\nm-1\nSubject\nHi\nTimestamp\n2026-01-01T00:00:00.000Z\n"
        b"TopicArn\narn:aws:sns:us-east-1:1:t\nType\nNotification\n"
    )
    # and without a subject the key is left out entirely
    assert b"Subject" not in canonical_string(notification.model_copy(update={"subject": None}))
    confirmation = notification.model_copy(
        update={"type": "SubscriptionConfirmation", "token": "tok", "subscribe_url": "https://s", "subject": None}
    )
    assert canonical_string(confirmation) == (
        b"Message\nbody\nMessageId\nm-1\nSubscribeURL\nhttps://s\nTimestamp\n2026-01-01T00:00:00.000Z\n"
        b"Token\ntok\nTopicArn\narn:aws:sns:us-east-1:1:t\nType\nSubscriptionConfirmation\n"
    )


# ------------------------------------------------------------------------------------------ verification
@pytest.mark.parametrize("version", ["1", "2"])
def test_signed_alarm_becomes_an_alert(version, integration, store, queue, clock, fake):
    # given a CloudWatch alarm signed by SNS (SHA1withRSA or SHA256withRSA)
    body = fake.notification(alarm(), subject='ALARM: "checkout-api-5xx"', version=version)
    # when it is delivered
    outcome = _deliver(body, integration, store, queue, clock, fake)
    # then it is stored and queued as an alert of the integration
    assert outcome.message_type == "Notification" and outcome.alert_id
    [(message, _)] = queue.sent
    assert message.alert_id == outcome.alert_id
    payload = store.get_alert(outcome.alert_id).payload
    assert payload["AlarmName"] == "checkout-api-5xx" and payload["state"] == "ALARM"
    assert payload["sns"]["topic_arn"] == TOPIC_ARN and payload["sns"]["region"] == "eu-west-1"
    assert fake.fetched == [CERT_URL]


def test_tampered_message_is_refused(integration, store, queue, clock, fake):
    body = fake.notification(alarm())
    body["Message"] = json.dumps(alarm(state="OK"))  # changed after signing
    with pytest.raises(SnsVerificationError, match="signature does not match"):
        _deliver(body, integration, store, queue, clock, fake)
    assert queue.sent == []


@pytest.mark.parametrize("field", ["MessageId", "TopicArn", "Timestamp", "Type", "Subject"])
def test_every_signed_field_is_covered(field, integration, store, queue, clock, fake):
    body = fake.notification("text", subject="s")
    body[field] = "UnsubscribeConfirmation" if field == "Type" else body[field] + "x"
    with pytest.raises((SnsVerificationError, ValidationError)):
        _deliver(body, integration, store, queue, clock, fake, message_type="")
    assert queue.sent == []


def test_signature_from_another_key_is_refused(integration, store, queue, clock, fake):
    body = fake.sign(fake.notification("hello"), key=new_key())
    with pytest.raises(SnsVerificationError):
        _deliver(body, integration, store, queue, clock, fake)


def test_garbage_signature_is_refused(integration, store, queue, clock, fake):
    body = {**fake.notification("hello"), "Signature": "not base64 !!"}
    with pytest.raises(SnsVerificationError, match="base64"):
        _deliver(body, integration, store, queue, clock, fake)


def test_unknown_signature_version_is_refused(integration, store, queue, clock, fake):
    body = {**fake.notification("hello"), "SignatureVersion": "3"}
    with pytest.raises(SnsVerificationError, match="SignatureVersion"):
        _deliver(body, integration, store, queue, clock, fake)


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.eu-west-1.amazonaws.com/cert.pem",  # not https
        "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem",  # look-alike host
        "https://evil.example/sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com@evil.example/cert.pem",  # userinfo trick
        "https://user@sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/cert.pem",  # other port
        "https://sns.eu-west-1.amazonaws.com/cert.txt",  # not a .pem
        "https://s3.eu-west-1.amazonaws.com/cert.pem",  # another AWS service
        "https://sns.amazonaws.com/cert.pem",  # no region
    ],
)
def test_foreign_certificate_urls_are_never_fetched(url, integration, store, queue, clock, fake):
    # given an attacker signs with their own key and serves their certificate from their own URL
    attacker = FakeSns(cert_url=url)
    body = attacker.notification(alarm())
    # when it is delivered
    with pytest.raises(SnsVerificationError, match="SigningCertURL"):
        _deliver(body, integration, store, queue, clock, attacker)
    # then the URL was not even fetched
    assert attacker.fetched == []


def test_sns_url_rules():
    assert is_sns_url(CERT_URL, pem=True)
    assert is_sns_url("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-x.pem", pem=True)
    assert is_sns_url("https://sns.us-gov-west-1.amazonaws.com/x.pem", pem=True)
    assert is_sns_url(SUBSCRIBE_URL)
    assert not is_sns_url(SUBSCRIBE_URL, pem=True)
    assert not is_sns_url("https://sns.eu-west-1.amazonaws.com:notaport/x.pem")
    assert not is_sns_url(None) and not is_sns_url("")


def test_expired_certificate_is_refused(integration, store, queue, clock, fake):
    # given SNS's certificate expired before the message arrived
    fake.served[CERT_URL] = self_signed_pem(
        fake.key, not_before=datetime(2020, 1, 1, tzinfo=UTC), not_after=datetime(2021, 1, 1, tzinfo=UTC)
    )
    with pytest.raises(SnsVerificationError, match="not valid at this time"):
        _deliver(fake.notification("hello"), integration, store, queue, clock, fake)


def test_not_a_certificate_is_refused(integration, store, queue, clock, fake):
    fake.served[CERT_URL] = b"<html>hello</html>"
    with pytest.raises(SnsVerificationError, match="not a PEM"):
        _deliver(fake.notification("hello"), integration, store, queue, clock, fake)


def test_unreachable_certificate_is_a_retryable_error(integration, store, queue, clock, fake):
    del fake.served[CERT_URL]
    with pytest.raises(UpstreamError):
        _deliver(fake.notification("hello"), integration, store, queue, clock, fake)


def test_certificate_is_fetched_once_per_container(integration, store, queue, clock, fake):
    for text in ("one", "two", "three"):
        _deliver(fake.notification(text), integration, store, queue, clock, fake)
    assert fake.fetched == [CERT_URL]
    assert len(queue.sent) == 3


# ------------------------------------------------------------------------------------------ message types
def test_subscription_is_confirmed_after_verification(integration, store, queue, clock, fake):
    outcome = _deliver(fake.confirmation(), integration, store, queue, clock, fake)
    assert outcome.message_type == "SubscriptionConfirmation" and outcome.alert_id is None
    assert fake.fetched == [CERT_URL, SUBSCRIBE_URL]
    assert queue.sent == []


def test_forged_subscription_is_not_confirmed(integration, store, queue, clock, fake):
    body = fake.confirmation()
    body["SubscribeURL"] = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=other"
    with pytest.raises(SnsVerificationError):
        _deliver(body, integration, store, queue, clock, fake)
    assert fake.fetched == [CERT_URL]


def test_subscribe_url_must_be_an_sns_host(integration, store, queue, clock, fake):
    # even when correctly signed, we never GET a non-SNS SubscribeURL
    body = fake.confirmation(subscribe_url="https://evil.example/?Action=ConfirmSubscription")
    with pytest.raises(SnsVerificationError, match="SubscribeURL"):
        _deliver(body, integration, store, queue, clock, fake)
    assert fake.fetched == [CERT_URL]


def test_failed_confirmation_is_retryable(integration, store, queue, clock, fake):
    def broken(url):
        if "ConfirmSubscription" in url:
            raise OSError("connection reset")
        return fake.fetch(url)

    with pytest.raises(UpstreamError):
        receive_delivery(
            integration,
            SnsDelivery(json.dumps(fake.confirmation()).encode(), "SubscriptionConfirmation", False, "r"),
            store=store,
            queue=queue,
            clock=clock,
            fetch=broken,
        )


def test_unsubscribe_confirmation_is_only_acknowledged(integration, store, queue, clock, fake):
    outcome = _deliver(fake.confirmation("UnsubscribeConfirmation"), integration, store, queue, clock, fake)
    assert outcome.message_type == "UnsubscribeConfirmation"
    assert fake.fetched == [CERT_URL] and queue.sent == []


def test_message_type_header_must_match_the_body(integration, store, queue, clock, fake):
    with pytest.raises(ValidationError, match="x-amz-sns-message-type"):
        _deliver(
            fake.notification("x"), integration, store, queue, clock, fake, message_type="SubscriptionConfirmation"
        )


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"not json", "expected JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"Type": "Notification"}', "MessageId"),
        (b'{"Type": "Bogus", "MessageId": "m"}', "Type"),
    ],
)
def test_malformed_bodies_are_400(body, match, integration, store, queue, clock, fake):
    with pytest.raises(ValidationError, match=match):
        _deliver(body, integration, store, queue, clock, fake, message_type="")


def test_raw_message_delivery_is_refused(integration, store, queue, clock, fake):
    with pytest.raises(SnsVerificationError, match="RawMessageDelivery"):
        _deliver(b'{"AlarmName": "x"}', integration, store, queue, clock, fake, message_type="", raw=True)


def test_oversized_body_is_413(integration, store, queue, clock, fake):
    with pytest.raises(PayloadTooLargeError):
        receive_delivery(
            integration,
            SnsDelivery(b"x" * 2048, "Notification", False, "r"),
            store=store,
            queue=queue,
            clock=clock,
            fetch=fake.fetch,
            max_bytes=1024,
        )


# ------------------------------------------------------------------------------------------ payloads
def _payload(fake, message, **kwargs):
    envelope = SnsEnvelope.model_validate(fake.notification(message, **kwargs))
    return notification_payload(envelope)


def test_alarm_payload_keeps_the_alarm_and_adds_our_fields(fake):
    payload = _payload(fake, alarm(), subject="ALARM")
    assert {k: payload[k] for k in ("AlarmName", "NewStateValue", "Trigger")} == {
        "AlarmName": "checkout-api-5xx",
        "NewStateValue": "ALARM",
        "Trigger": alarm()["Trigger"],
    }
    assert payload["title"] == "checkout-api-5xx"
    assert payload["state"] == "ALARM"
    assert payload["message"].splitlines() == [
        "State: ALARM (was OK)",
        "Region: eu-west-1",
        "Description: More than 5% of checkout API requests fail.",
        "Reason: Threshold Crossed: 1 datapoint [7.5] was greater than the threshold (5.0).",
        "Metric: AWS/ApiGateway 5XXError (Average over 60 s) GreaterThanThreshold 5.0",
    ]
    assert payload["console_url"] == (
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/checkout-api-5xx"
    )
    assert payload["sns"]["subject"] == "ALARM"


def test_console_link_for_beanstalk_china_and_special_names(fake):
    beanstalk = alarm(Trigger={"Namespace": "AWS/ElasticBeanstalk", "MetricName": "EnvironmentHealth"})
    assert _payload(fake, beanstalk)["console_url"] == (
        "https://eu-west-1.console.aws.amazon.com/elasticbeanstalk/home?region=eu-west-1"
    )
    china = SnsEnvelope.model_validate(fake.notification(alarm(name="a b/c"), TopicArn="arn:aws-cn:sns:cn-north-1:1:t"))
    assert notification_payload(china)["console_url"] == (
        "https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#alarmsV2:alarm/a%20b%2Fc"
    )


def test_non_json_message_becomes_message(fake):
    payload = _payload(fake, "Backup of db-1 failed", subject="Backup")
    assert payload == {
        "message": "Backup of db-1 failed",
        "sns": {
            "topic_arn": TOPIC_ARN,
            "message_id": payload["sns"]["message_id"],
            "subject": "Backup",
            "timestamp": "2026-01-01T08:00:01.000Z",
            "region": "eu-west-1",
        },
    }


def test_other_json_objects_are_kept_as_they_are(fake):
    payload = _payload(fake, {"source": "aws.health", "detail": {"eventTypeCode": "AWS_EC2_MAINTENANCE"}})
    assert payload["source"] == "aws.health" and "title" not in payload and "sns" in payload
    assert _payload(fake, "[1, 2]")["message"] == "[1, 2]"


def test_old_cached_certificates_do_not_grow_without_bound(fake):
    for index in range(sns.MAX_CACHED_CERTIFICATES + 5):
        url = f"https://sns.eu-west-1.amazonaws.com/cert-{index}.pem"
        fake.served[url] = fake.served[CERT_URL]
        body = fake.sign(fake.notification("x"), version="2") | {"SigningCertURL": url}
        sns.verify_signature(SnsEnvelope.model_validate(fake.sign(body)), fetch=fake.fetch, now=FixedClock().now())
    assert len(sns._certificates) <= sns.MAX_CACHED_CERTIFICATES


def test_verification_accepts_the_certificate_window(fake):
    envelope = SnsEnvelope.model_validate(fake.notification("x"))
    with pytest.raises(SnsVerificationError):
        sns.verify_signature(envelope, fetch=fake.fetch, now=datetime(2024, 12, 31, tzinfo=UTC))
    sns.verify_signature(envelope, fetch=fake.fetch, now=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=1))


# What ingest's cold start (its hot path) must not import: the template engine, SNS signature checks, cron and
# iCal libraries, Apprise, regex, Powertools' event handler (asyncio), pydantic-settings, and the modules of
# heartbeats, SNS, actions and escalations (loaded by the routes that need them).
INGEST_NEVER_AT_COLD_START = (
    "cryptography",
    "jinja2",
    "croniter",
    "regex",
    "apprise",
    "icalendar",
    "asyncio",
    "pydantic_settings",
    "aws_lambda_powertools.event_handler",
    "oncall.intake.sns",
    "oncall.monitoring.heartbeat",
    "oncall.groups.actions",
    "oncall.escalation.steps",
    "oncall.templates.engine",
)


def test_other_integration_types_never_load_cryptography():
    # given a fresh interpreter that loads the ingest handler (which serves every integration type)
    code = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('ingest_app', 'functions/ingest/app.py')\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        f"print(sorted(m for m in {INGEST_NEVER_AT_COLD_START!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": f"{REPO}/layers/common:{REPO}", "AWS_DEFAULT_REGION": "us-east-1", "PATH": ""},
    )
    # then neither cryptography nor the template engine (nor any other heavy module) was imported
    assert result.stdout.strip() == "[]", result.stderr
