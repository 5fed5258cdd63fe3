"""A stand-in for Amazon SNS in tests: our own RSA key and self-signed certificate, and messages signed over
the canonical string exactly as SNS signs them. The certificate is "served" by a fake fetcher."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from oncall.intake.sns import SnsEnvelope, canonical_string

REGION = "eu-west-1"
CERT_URL = f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"
TOPIC_ARN = f"arn:aws:sns:{REGION}:123456789012:checkout-alarms"
SUBSCRIBE_URL = (
    f"https://sns.{REGION}.amazonaws.com/?Action=ConfirmSubscription&TopicArn={TOPIC_ARN}&Token=2336412f37fb687f"
)


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def self_signed_pem(
    key: rsa.RSAPrivateKey, *, not_before: datetime | None = None, not_after: datetime | None = None
) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    start = not_before or datetime(2025, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(not_after or start + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class FakeSns:
    """Signs messages and answers the GETs our code makes (certificate, SubscribeURL)."""

    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    cert_url: str = CERT_URL
    served: dict[str, bytes] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.served.setdefault(self.cert_url, self_signed_pem(self.key))

    def fetch(self, url: str) -> bytes:
        self.fetched.append(url)
        if "Action=ConfirmSubscription" in url:
            return b"<ConfirmSubscriptionResponse/>"
        if url not in self.served:
            raise OSError(f"404 {url}")
        return self.served[url]

    def sign(self, body: dict[str, Any], version: str = "1", key: rsa.RSAPrivateKey | None = None) -> dict[str, Any]:
        body = {**body, "SignatureVersion": version, "SigningCertURL": body.get("SigningCertURL", self.cert_url)}
        body["Signature"] = "placeholder"
        envelope = SnsEnvelope.model_validate(body)
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = (key or self.key).sign(canonical_string(envelope), padding.PKCS1v15(), algorithm)
        return {**body, "Signature": base64.b64encode(signature).decode()}

    def notification(self, message: str | dict, *, subject: str | None = None, version: str = "1", **extra) -> dict:
        body: dict[str, Any] = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": TOPIC_ARN,
            "Message": message if isinstance(message, str) else json.dumps(message),
            "Timestamp": "2026-01-01T08:00:01.000Z",
            "UnsubscribeURL": f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
            **extra,
        }
        if subject is not None:
            body["Subject"] = subject
        return self.sign(body, version)

    def confirmation(self, kind: str = "SubscriptionConfirmation", subscribe_url: str = SUBSCRIBE_URL) -> dict:
        return self.sign(
            {
                "Type": kind,
                "MessageId": str(uuid.uuid4()),
                "Token": "2336412f37fb687f",
                "TopicArn": TOPIC_ARN,
                "Message": f"You have chosen to subscribe to the topic {TOPIC_ARN}.",
                "SubscribeURL": subscribe_url,
                "Timestamp": "2026-01-01T08:00:00.000Z",
            }
        )


def alarm(name: str = "checkout-api-5xx", state: str = "ALARM", **extra: Any) -> dict[str, Any]:
    """A CloudWatch alarm state-change message (the JSON CloudWatch publishes to SNS)."""
    return {
        "AlarmName": name,
        "AlarmDescription": "More than 5% of checkout API requests fail.",
        "AWSAccountId": "123456789012",
        "NewStateValue": state,
        "NewStateReason": "Threshold Crossed: 1 datapoint [7.5] was greater than the threshold (5.0).",
        "StateChangeTime": "2026-01-01T08:00:00.000+0000",
        "Region": "EU (Ireland)",
        "AlarmArn": f"arn:aws:cloudwatch:{REGION}:123456789012:alarm:{name}",
        "OldStateValue": "OK" if state == "ALARM" else "ALARM",
        "Trigger": {
            "MetricName": "5XXError",
            "Namespace": "AWS/ApiGateway",
            "Statistic": "AVERAGE",
            "Period": 60,
            "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 5.0,
        },
        **extra,
    }
