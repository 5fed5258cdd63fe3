"""Fuzzing the ingest function (hypothesis) with what the internet may send to an integration URL: random
bodies, content types (multipart, charset parameters, garbage), encodings (invalid UTF-8, UTF-16 BOMs, the
base64 flag), sizes up to and past the limit, odd paths (extra segments, percent-encoding, unicode, very
long tokens) and every method.

Invariants, for every request: no 5xx and no unhandled exception; errors are JSON {"detail": …}; an accepted
alert (200 on the alert URL) is stored with an object payload, queued exactly once, and routed without
failing; nothing is queued for a refused request."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote, urlencode

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncall import wiring
from oncall_local.front_door import build_event, match_route
from oncall_local.workers import sqs_event
from tests.integration.conftest import create_integration, ingest_path
from tests.integration.faults import enforce_dynamodb_key_limits
from tests.integration.fuzzing import INNER, count, fuzz_settings, nested_text

LIMIT = 256 * 1024
METHODS = ["GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"]
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:ingest.fifo"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=15,
)
json_objects = st.dictionaries(st.text(max_size=12), json_values, max_size=6)

CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/json; charset=nonexistent",
    "text/plain",
    "text/plain; charset=utf-16",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    'multipart/form-data; boundary="quoted"',
    "multipart/form-data; boundary=fuzz",
    "multipart/mixed; boundary=fuzz",
    "application/octet-stream",
    "application/xml",
    "",
    "garbage",
    ";;;",
    "*/*; q=0.1",
    "text/html; charset=",
]
content_types = st.sampled_from(CONTENT_TYPES) | st.text(max_size=40)


@st.composite
def multipart_bodies(draw) -> tuple[str, bytes]:
    boundary = draw(st.sampled_from(["fuzz", "----x", "b" * 70, "a b"]))
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.text(max_size=10))
        disposition = f'form-data; name="{name}"'
        if draw(st.booleans()) and draw(st.booleans()):
            disposition += '; filename="f.txt"'
        headers = f"Content-Disposition: {disposition}\r\n"
        if draw(st.booleans()):
            part_type = draw(st.sampled_from(["text/plain", "text/plain; charset=bogus", "image/png", "x"]))
            headers += f"Content-Type: {part_type}\r\n"
        value = draw(st.binary(max_size=40) | st.text(max_size=40).map(str.encode))
        parts.append(f"--{boundary}\r\n{headers}\r\n".encode() + value + b"\r\n")
    closing = draw(st.sampled_from([f"--{boundary}--\r\n".encode(), b"", b"--wrong--\r\n"]))
    return f"multipart/form-data; boundary={boundary}", b"".join(parts) + closing


@st.composite
def bodies(draw) -> tuple[str, bytes]:
    """(content type, body)."""
    kind = draw(st.sampled_from(["json", "utf16", "bom", "form", "multipart", "binary", "text", "bad-utf8", "big"]))
    content_type = draw(content_types)
    if kind == "json":
        return content_type, json.dumps(draw(json_objects | json_values)).encode()
    if kind == "utf16":
        return content_type, json.dumps(draw(json_objects)).encode(draw(st.sampled_from(["utf-16", "utf-16-le"])))
    if kind == "bom":
        return content_type, b"\xef\xbb\xbf" + json.dumps(draw(json_objects)).encode()
    if kind == "form":
        fields = draw(st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=5))
        return draw(st.sampled_from(["application/x-www-form-urlencoded", content_type])), urlencode(fields).encode()
    if kind == "multipart":
        header, body = draw(multipart_bodies())
        return draw(st.sampled_from([header, content_type])), body
    if kind == "binary":
        return content_type, draw(st.binary(max_size=300))
    if kind == "text":
        return content_type, draw(st.text(max_size=300)).encode()
    if kind == "bad-utf8":
        text = draw(st.text(max_size=50)).encode()
        return content_type, text + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80abc", b"\x00"]))
    size = draw(st.sampled_from([LIMIT - 1, LIMIT, LIMIT + 1, 2 * LIMIT]))
    fill = draw(st.sampled_from([b"x", b'{"a": "', b"\xff"]))
    return content_type, (fill * size)[:size]


def _event(aws, method: str, path: str, content_type: str, body: bytes, encoding: str) -> dict[str, Any]:
    matched = match_route(aws.topology.http_routes, method, path)
    assert matched, path
    route, params = matched
    headers = {"host": "oncall.test", "x-forwarded-proto": "https"}
    if content_type:
        headers["content-type"] = content_type
    event = build_event(route, method, path, "", headers, body, params, "203.0.113.9")
    if encoding == "base64":  # API Gateway may base64 any body
        event.update(body=base64.b64encode(body).decode(), isBase64Encoded=True)
    elif encoding == "bad-base64":  # the flag set on something that is not base64
        event.update(body=body.decode("latin-1") + "%%", isBase64Encoded=True)
    return event


def _queued(aws) -> list[dict]:
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=aws.topology.ingest_queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return messages


def _check(aws, event: dict, *, alert_url: bool) -> dict:
    """Invoke ingest with the event and check every invariant; returns the response."""
    response = aws.functions.invoke("IngestFunction", event)  # an exception here fails the test
    status = response["statusCode"]
    assert status < 500, (status, response.get("body"))
    if status >= 400 and event["requestContext"]["http"]["method"] != "HEAD":
        assert "detail" in json.loads(response["body"])
    messages = _queued(aws)
    accepted = alert_url and status == 200 and event["requestContext"]["http"]["method"] == "POST"
    if accepted:
        assert len(messages) == 1
    if status != 200:  # refused: nothing of it was queued (a 200 heartbeat /fail may queue its alert)
        assert messages == []
    for message in messages:  # every queued alert is stored, with an object payload, and routes cleanly
        alert = wiring.store().get_alert(json.loads(message["Body"])["alert_id"])
        assert alert is not None and isinstance(alert.payload, dict)
        message.setdefault("MD5OfBody", "")
        message.setdefault("Attributes", {"MessageGroupId": alert.integration_id})
        routed = aws.functions.invoke("RouteFunction", sqs_event([message], QUEUE_ARN))
        assert routed == {"batchItemFailures": []}
        boto3.client("sqs").delete_message(
            QueueUrl=aws.topology.ingest_queue_url, ReceiptHandle=message["ReceiptHandle"]
        )
        count("ingest: accepted and routed")
    return response


@pytest.fixture
def integrations(aws, faults):
    enforce_dynamodb_key_limits(faults)  # moto checks key sizes only on writes; AWS on every call
    return {kind: create_integration(aws, kind) for kind in ("alertmanager", "webhook", "formatted_webhook")}


@given(data=st.data())
@fuzz_settings(max_examples=200)
def test_random_bodies_content_types_and_encodings(aws, integrations, data):
    kind = data.draw(st.sampled_from(sorted(integrations)))
    content_type, body = data.draw(bodies())
    encoding = data.draw(st.sampled_from(["as API Gateway sends it", "base64", "bad-base64"]))
    path = ingest_path(integrations[kind])
    response = _check(aws, _event(aws, "POST", path, content_type, body, encoding), alert_url=True)
    count("ingest: bodies", response["statusCode"])


def _edge_paths(token: str, slug: str) -> list[str]:
    return [
        f"/integrations/v1/{slug}/{token}//",
        f"/integrations/v1/{slug}/{token}/./",
        f"/integrations/v1/{slug}/{token}/../{token}/",
        f"/integrations/v1/{slug}/{quote(token)}%2F/",
        f"/integrations/v1/{slug}/{token}%00/",
        f"/integrations/v1/{slug}/%ZZ/",
        f"/integrations/v1/{slug.upper()}/{token}/",
        f"/integrations/v1/{slug}/{token.lower()}/",
        f"/integrations/v1/{slug}/{token}/heartbeat/",
        f"/integrations/v1/{slug}/{token}/heartbeat/start",
        f"/integrations/v1/{slug}/{token}/heartbeat/fail",
        f"/integrations/v1/{slug}/{token}/heartbeat/0",
        f"/integrations/v1/{slug}/{token}/heartbeat/256",
        f"/integrations/v1/{slug}/{token}/heartbeat/-1",
        f"/integrations/v1/{slug}/{token}/heartbeat/x/y",
        f"/integrations/v1/amazon_sns/{token}/",
        f"/integrations/v1/{slug}/{'A' * 5000}/",
        f"/integrations/v1/{slug}/{'A' * 5000}/heartbeat/",
        f"/integrations/v1/amazon_sns/{'A' * 5000}/",
        f"/integrations/v1/{slug}/{'é' * 700}/",
        f"/integrations/v1/{slug}/{token}{'%41' * 900}/",
        f"/integrations/v1/{slug}/",
        f"/integrations/v1/{'x' * 3000}/{token}/",
        f"/integrations/v1/{slug}/{token}/{'z' * 3000}",
    ]


def _odd_paths(token: str, slug: str):
    segment = st.text(max_size=20).map(lambda s: quote(s, safe=""))
    return st.one_of(
        st.just(f"/integrations/v1/{slug}/{token}/"),
        st.just(f"/integrations/v1/{slug}/{token}"),
        st.builds(lambda s: f"/integrations/v1/{slug}/{token}/{s}", segment),
        st.builds(lambda s, t: f"/integrations/v1/{slug}/{token}/{s}/{t}", segment, segment),
        st.sampled_from(_edge_paths(token, slug)),
        st.builds(lambda t: f"/integrations/v1/{slug}/{t}/", st.text(min_size=1, max_size=3000)),
        st.builds(lambda s, t: f"/integrations/v1/{s}/{t}/", st.text(min_size=1, max_size=30), st.text(max_size=40)),
    )


def test_edge_paths_with_every_method(aws, integrations):
    """The paths most likely to break something, each with every method (deterministic, not sampled)."""
    for integration in integrations.values():
        _, _, _, slug, token = ingest_path(integration).rstrip("/").split("/")
        for path in _edge_paths(token, slug):
            for method in METHODS:
                event = _event(aws, method, path, "application/json", b'{"a": 1}', "as is")
                count("ingest: edge paths x methods", _check(aws, event, alert_url=False)["statusCode"])


@given(data=st.data())
@fuzz_settings(max_examples=60)
def test_bodies_of_any_depth_and_width(aws, integrations, data):
    """Depth and width, not only content: a value nested 1 to 3,000 levels deep (arrays, objects or both)
    somewhere in an Alertmanager payload, next to very wide arrays and objects. JSON nested deeper than the
    limit is a 400 that names it (never a 5xx, whatever the content type); anything within it is accepted
    and routes (issue 12 item 3, issue 13 items 1 and 9)."""
    from oncall.platform.json_bodies import MAX_NESTING

    kind = data.draw(st.sampled_from(sorted(integrations)))
    depth = data.draw(st.integers(1, 3000) | st.sampled_from([MAX_NESTING - 4, MAX_NESTING - 1, MAX_NESTING, 255]))
    inner = nested_text(depth, data.draw(st.sampled_from(["list", "dict", "mixed"])))
    width = data.draw(st.sampled_from([1, 10, 5000]))
    where = data.draw(st.sampled_from(["annotation", "top", "wide list", "wide object"]))
    if where == "annotation":  # body > alerts > alert > annotations > inner
        body: Any = {"alerts": [{"status": "firing", "labels": {"alertname": "Deep"}, "annotations": {"x": INNER}}]}
        expected = depth + 4
    elif where == "top":
        body, expected = {"x": INNER}, depth + 1
    elif where == "wide list":  # many siblings, one of them deep
        body, expected = {"x": [*([[]] * width), INNER]}, max(depth, 1) + 2
    else:
        body, expected = {**{f"k{i}": {} for i in range(width)}, "x": INNER}, depth + 1
    content_type = data.draw(st.sampled_from(["application/json", "text/plain", "", "application/vnd.x+json"]))
    raw = json.dumps(body).replace(json.dumps(INNER), inner).encode()
    event = _event(aws, "POST", ingest_path(integrations[kind]), content_type, raw, "as API Gateway sends it")
    response = _check(aws, event, alert_url=True)
    if len(raw) > LIMIT:
        assert response["statusCode"] == 413
    elif expected > MAX_NESTING:
        assert response["statusCode"] == 400, response
        assert f"at most {MAX_NESTING} levels" in json.loads(response["body"])["detail"]
    else:
        assert response["statusCode"] == 200, response
    count("ingest: depth and width", response["statusCode"])


@given(data=st.data())
@fuzz_settings(max_examples=200)
def test_odd_paths_and_methods(aws, integrations, data):
    integration = integrations[data.draw(st.sampled_from(sorted(integrations)))]
    _, _, _, slug, token = ingest_path(integration).rstrip("/").split("/")
    path = data.draw(_odd_paths(token, slug))
    method = data.draw(st.sampled_from(METHODS))
    content_type, body = data.draw(
        st.sampled_from([("application/json", b'{"a": 1}'), ("", b""), ("text/plain", b"x")])
    )
    alert_url = path.rstrip("/") == ingest_path(integration).rstrip("/")
    event = _event(aws, method, path, content_type, body, "as API Gateway sends it")
    count("ingest: paths and methods", _check(aws, event, alert_url=alert_url)["statusCode"])
