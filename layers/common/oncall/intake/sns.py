"""Amazon SNS HTTP(S) deliveries on `POST /integrations/v1/amazon_sns/{token}/`.

Every delivery is verified before anything else happens (403 otherwise):
- the signing certificate may only come from `https://sns.<region>.amazonaws.com[.cn]/….pem` (fetched without
  following redirects, cached per container, checked for its validity period);
- the signature (SignatureVersion 1 = SHA1withRSA, 2 = SHA256withRSA) must match the canonical string of the
  SNS documentation for the message type.

Then, by message type (header `x-amz-sns-message-type`):
- SubscriptionConfirmation: confirmed by a GET on SubscribeURL (only an https `sns.<region>.amazonaws.com[.cn]`
  host); if SNS cannot be reached the answer is 502 and SNS retries;
- UnsubscribeConfirmation: acknowledged, nothing else;
- Notification: becomes an alert through the same path as every other integration. A CloudWatch alarm (a JSON
  message with AlarmName) is the payload plus `title`, `message`, `state` and `console_url` (the alarm in the
  AWS console of the topic's region); any other JSON object is the payload as is; anything else becomes
  {"message": <text>}. Every payload also gets `sns`: {topic_arn, message_id, subject, timestamp, region}.

`cryptography` is imported only when a delivery is verified, so other integration types never load it.
"""

from __future__ import annotations

import base64
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from oncall.intake.accept import accept_alert
from oncall.intake.queue import AlertQueue
from oncall.intake.types.base import SNS_URL_SLUG
from oncall.models import Integration
from oncall.platform import json_bodies
from oncall.platform.clock import Clock
from oncall.platform.errors import PayloadTooLargeError, SnsVerificationError, UpstreamError, ValidationError
from oncall.storage.protocols import GroupStore

URL_SLUG = SNS_URL_SLUG
MESSAGE_TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")
FETCH_TIMEOUT_SECONDS = 5.0
MAX_CERTIFICATE_BYTES = 64 * 1024
MAX_CACHED_CERTIFICATES = 32
_SNS_HOST = re.compile(r"^sns\.[a-z]{2}(?:-[a-z]+)+-\d{1,2}\.amazonaws\.com(?:\.cn)?$")
_CANONICAL_KEYS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
_CONSOLE_HOSTS = {"aws-cn": "console.amazonaws.cn", "aws-us-gov": "console.amazonaws-us-gov.com"}

Fetch = Callable[[str], bytes]


# ------------------------------------------------------------------------------------------ the request
class SnsEnvelope(BaseModel):
    """The JSON body SNS posts (field names as SNS sends them)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    type: Literal["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"] = Field(alias="Type")
    message_id: str = Field(alias="MessageId")
    topic_arn: str = Field(alias="TopicArn")
    message: str = Field(alias="Message")
    timestamp: str = Field(alias="Timestamp")
    signature_version: str = Field(alias="SignatureVersion")
    signature: str = Field(alias="Signature")
    signing_cert_url: str = Field(alias="SigningCertURL")
    subject: str | None = Field(default=None, alias="Subject")
    token: str | None = Field(default=None, alias="Token")
    subscribe_url: str | None = Field(default=None, alias="SubscribeURL")
    unsubscribe_url: str | None = Field(default=None, alias="UnsubscribeURL")

    def field(self, key: str) -> str | None:
        return {
            "Message": self.message,
            "MessageId": self.message_id,
            "Subject": self.subject,
            "SubscribeURL": self.subscribe_url,
            "Timestamp": self.timestamp,
            "Token": self.token,
            "TopicArn": self.topic_arn,
            "Type": self.type,
        }[key]


@dataclass(frozen=True)
class SnsDelivery:
    body: bytes
    message_type: str  # the x-amz-sns-message-type header ("" when absent)
    raw_delivery: bool  # x-amz-sns-rawdelivery: true (no envelope, nothing to verify)
    request_id: str


@dataclass(frozen=True)
class SnsOutcome:
    message_type: str
    topic_arn: str
    alert_id: str | None = None


def parse_envelope(delivery: SnsDelivery, max_bytes: int) -> SnsEnvelope:
    if len(delivery.body) > max_bytes:
        raise PayloadTooLargeError(f"Request body is {len(delivery.body)} bytes; the limit is {max_bytes} bytes.")
    if delivery.raw_delivery:
        raise SnsVerificationError(
            "Raw message delivery cannot be verified: turn RawMessageDelivery off for this subscription."
        )
    try:
        body = json_bodies.loads(delivery.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValidationError("The body is not an Amazon SNS message (expected JSON).") from error
    if not isinstance(body, dict):
        raise ValidationError("The body is not an Amazon SNS message (expected a JSON object).")
    try:
        envelope = SnsEnvelope.model_validate(body)
    except PydanticValidationError as error:
        fields = sorted({str(problem["loc"][0]) for problem in error.errors() if problem.get("loc")})
        raise ValidationError(
            f"Not a valid Amazon SNS message: check {', '.join(fields)}.",
            {name: ["Missing or invalid."] for name in fields},
        ) from error
    if delivery.message_type and delivery.message_type != envelope.type:
        raise ValidationError(
            f"x-amz-sns-message-type is {delivery.message_type!r} but the message is a {envelope.type}.",
            {"x-amz-sns-message-type": [f"Expected {envelope.type}."]},
        )
    if envelope.type != "Notification" and not (envelope.token and envelope.subscribe_url):
        raise ValidationError(f"A {envelope.type} needs Token and SubscribeURL.")
    return envelope


# ------------------------------------------------------------------------------------------ verification
def canonical_string(envelope: SnsEnvelope) -> bytes:
    """ "Key\\nValue\\n" for the signed keys of the message type, in byte order; Subject only when present."""
    parts: list[str] = []
    for key in _CANONICAL_KEYS[envelope.type]:
        value = envelope.field(key)
        if value is None:
            continue
        parts += [key, value]
    return ("\n".join(parts) + "\n").encode("utf-8")


def is_sns_url(url: str | None, *, pem: bool = False) -> bool:
    """An https URL on an SNS regional host (`sns.<region>.amazonaws.com`, `.amazonaws.com.cn` in China),
    default port, no credentials; for certificates, a path ending in .pem."""
    if not url:
        return False
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and bool(parts.hostname and _SNS_HOST.match(parts.hostname))
        and port in (None, 443)
        and parts.username is None
        and parts.password is None
        and (not pem or parts.path.endswith(".pem"))
    )


@dataclass(frozen=True)
class _Certificate:
    public_key: Any
    not_before: datetime
    not_after: datetime


_certificates: dict[str, _Certificate] = {}
_certificates_lock = threading.Lock()


def clear_certificate_cache() -> None:
    with _certificates_lock:
        _certificates.clear()


def _certificate(url: str, fetch: Fetch) -> _Certificate:
    with _certificates_lock:
        cached = _certificates.get(url)
    if cached is not None:
        return cached
    # cryptography loads with the first SNS certificate: other ingest paths never pay for it.
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        pem = fetch(url)
    except Exception as error:
        raise UpstreamError("Could not fetch the Amazon SNS signing certificate; please retry.") from error
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError as error:
        raise SnsVerificationError("The SNS signing certificate is not a PEM certificate.") from error
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SnsVerificationError("The SNS signing certificate does not hold an RSA key.")
    loaded = _Certificate(key, cert.not_valid_before_utc, cert.not_valid_after_utc)
    with _certificates_lock:
        if len(_certificates) >= MAX_CACHED_CERTIFICATES:
            _certificates.clear()
        _certificates[url] = loaded
    return loaded


def verify_signature(envelope: SnsEnvelope, *, fetch: Fetch, now: datetime) -> None:
    """Raise SnsVerificationError unless SNS signed exactly this message."""
    # On use, as in _certificate: only Amazon SNS deliveries need cryptography.
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    algorithm = {"1": hashes.SHA1, "2": hashes.SHA256}.get(envelope.signature_version)
    if algorithm is None:
        raise SnsVerificationError(f"Unsupported SignatureVersion {envelope.signature_version!r} (1 or 2).")
    if not is_sns_url(envelope.signing_cert_url, pem=True):
        raise SnsVerificationError("SigningCertURL is not an Amazon SNS certificate URL.")
    try:
        signature = base64.b64decode(envelope.signature, validate=True)
    except ValueError as error:
        raise SnsVerificationError("Signature is not base64.") from error
    certificate = _certificate(envelope.signing_cert_url, fetch)
    if not certificate.not_before <= now <= certificate.not_after:
        raise SnsVerificationError("The SNS signing certificate is not valid at this time.")
    try:
        certificate.public_key.verify(signature, canonical_string(envelope), padding.PKCS1v15(), algorithm())
    except InvalidSignature as error:
        raise SnsVerificationError("The Amazon SNS message signature does not match.") from error


# ------------------------------------------------------------------------------------------ payloads
def _arn_region(arn: str | None) -> tuple[str | None, str | None]:
    """(region, partition) of an ARN such as arn:aws:sns:eu-west-1:123456789012:topic."""
    parts = (arn or "").split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[3]:
        return None, None
    return parts[3], parts[1]


def console_url(alarm: dict[str, Any], region: str | None, partition: str | None) -> str | None:
    """The alarm in the AWS console of its region (Elastic Beanstalk's console for Beanstalk alarms)."""
    if not region:
        return None
    host = _CONSOLE_HOSTS.get(partition or "aws", f"{region}.console.aws.amazon.com")
    trigger = alarm.get("Trigger") if isinstance(alarm.get("Trigger"), dict) else {}
    if trigger.get("Namespace") == "AWS/ElasticBeanstalk":
        return f"https://{host}/elasticbeanstalk/home?region={region}"
    name = quote(str(alarm.get("AlarmName") or ""), safe="")
    return f"https://{host}/cloudwatch/home?region={region}#alarmsV2:alarm/{name}"


def _metric_line(trigger: Any) -> str | None:
    if not isinstance(trigger, dict) or not trigger.get("MetricName"):
        return None
    statistic = trigger.get("ExtendedStatistic") or str(trigger.get("Statistic") or "").capitalize()
    period = f" over {trigger['Period']} s" if trigger.get("Period") else ""
    how = f" ({statistic}{period})" if statistic else ""
    return (
        f"Metric: {trigger.get('Namespace', '')} {trigger['MetricName']}{how} "
        f"{trigger.get('ComparisonOperator', '')} {trigger.get('Threshold', '')}"
    ).rstrip()


def alarm_fields(alarm: dict[str, Any], region: str | None, partition: str | None) -> dict[str, Any]:
    """What we derive from a CloudWatch alarm: title, a short plain-text message, state, console link."""
    region = region or _arn_region(alarm.get("AlarmArn"))[0]
    state = alarm.get("NewStateValue")
    old = alarm.get("OldStateValue")
    lines = [f"State: {state or 'unknown'}" + (f" (was {old})" if old else "")]
    if region:
        lines.append(f"Region: {region}")
    if alarm.get("AlarmDescription"):
        lines.append(f"Description: {alarm['AlarmDescription']}")
    if alarm.get("NewStateReason"):
        lines.append(f"Reason: {alarm['NewStateReason']}")
    if metric := _metric_line(alarm.get("Trigger")):
        lines.append(metric)
    return {
        "title": str(alarm.get("AlarmName") or "Alert"),
        "message": "\n".join(lines),
        "state": state,
        "console_url": console_url(alarm, region, partition),
    }


def notification_payload(envelope: SnsEnvelope) -> dict[str, Any]:
    region, partition = _arn_region(envelope.topic_arn)
    try:
        message = json_bodies.loads(envelope.message)  # a message nested too deep: ValidationError (400)
    except ValueError:
        message = None
    if isinstance(message, dict):
        payload = dict(message)
        if message.get("AlarmName"):
            payload.update(alarm_fields(message, region, partition))
    else:
        payload = {"message": envelope.message}
    payload["sns"] = {
        "topic_arn": envelope.topic_arn,
        "message_id": envelope.message_id,
        "subject": envelope.subject,
        "timestamp": envelope.timestamp,
        "region": region,
    }
    return payload


# ------------------------------------------------------------------------------------------ the flow
def receive_delivery(
    integration: Integration,
    delivery: SnsDelivery,
    *,
    store: GroupStore,
    queue: AlertQueue,
    clock: Clock,
    fetch: Fetch | None = None,
    max_bytes: int = 256 * 1024,
) -> SnsOutcome:
    fetch = fetch or http_get
    envelope = parse_envelope(delivery, max_bytes)
    verify_signature(envelope, fetch=fetch, now=clock.now())
    if envelope.type == "SubscriptionConfirmation":
        confirm_subscription(envelope, fetch)
        return SnsOutcome(envelope.type, envelope.topic_arn)
    if envelope.type == "UnsubscribeConfirmation":
        return SnsOutcome(envelope.type, envelope.topic_arn)
    alert = accept_alert(
        integration, notification_payload(envelope), delivery.request_id, store=store, queue=queue, clock=clock
    )
    return SnsOutcome(envelope.type, envelope.topic_arn, alert_id=alert.id)


def confirm_subscription(envelope: SnsEnvelope, fetch: Fetch) -> None:
    if not is_sns_url(envelope.subscribe_url):
        raise SnsVerificationError("SubscribeURL is not an Amazon SNS URL.")
    try:
        fetch(envelope.subscribe_url or "")
    except Exception as error:
        raise UpstreamError("Could not confirm the subscription with Amazon SNS; please retry.") from error


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # a redirect is an error: only the SNS host itself may answer


def http_get(url: str) -> bytes:
    """GET an SNS URL (certificate or SubscribeURL): https only, no redirects, 5 s timeout, 64 KiB at most."""
    if not is_sns_url(url):
        raise ValueError(f"refusing to fetch a non-SNS URL: {url}")
    opener = urllib.request.build_opener(_NoRedirects)
    with opener.open(urllib.request.Request(url, method="GET"), timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 - https SNS host checked above
        if response.status != 200:
            raise urllib.error.HTTPError(url, response.status, "unexpected status", response.headers, None)
        body = response.read(MAX_CERTIFICATE_BYTES + 1)
    if len(body) > MAX_CERTIFICATE_BYTES:
        raise ValueError("response too large")
    return body
