import contextlib
import json

import pytest

from oncall.configuration.cache import ConfigCache
from oncall.intake.accept import accept_alert, find_integration, parse_payload
from oncall.intake.queue import QueueUnavailableError
from oncall.platform.errors import (
    IntegrationTokenError,
    IntegrationTypeMismatchError,
    PayloadTooLargeError,
    StorageUnavailableError,
    ValidationError,
)
from oncall.platform.json_bodies import MAX_NESTING, nesting_depth
from tests import builders

LIMIT = 1024


def test_json_object_is_the_payload():
    assert parse_payload(b'{"a": 1}', "application/json", LIMIT) == {"a": 1}


def test_json_without_content_type_is_still_json():
    assert parse_payload(b'{"a": 1}', "", LIMIT) == {"a": 1}


def test_form_body_becomes_fields():
    assert parse_payload(b"a=1&b=x+y&b=z", "application/x-www-form-urlencoded", LIMIT) == {"a": "1", "b": ["x y", "z"]}


def test_plain_text_becomes_message():
    assert parse_payload(b"disk full on db-1", "text/plain", LIMIT) == {"message": "disk full on db-1"}


def test_non_object_json_keeps_text_and_data():
    assert parse_payload(b"[1, 2]", "application/json", LIMIT) == {"message": "[1, 2]", "data": [1, 2]}


def test_invalid_utf8_is_not_dropped():
    assert parse_payload(b"\xff\xfeoops", "application/octet-stream", LIMIT)["message"].endswith("oops")


def test_multipart_fields_and_file_upload_refused():
    boundary = "XyZ"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nDisk\r\n--{boundary}--\r\n').encode()
    assert parse_payload(body, f"multipart/form-data; boundary={boundary}", LIMIT) == {"title": "Disk"}
    upload = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nhi\r\n--{boundary}--\r\n"
    ).encode()
    with pytest.raises(ValidationError, match="File uploads"):
        parse_payload(upload, f"multipart/form-data; boundary={boundary}", LIMIT)


def test_empty_body_is_refused():
    with pytest.raises(ValidationError, match="Payload is required"):
        parse_payload(b"  ", "application/json", LIMIT)


def test_body_over_limit_is_refused():
    with pytest.raises(PayloadTooLargeError):
        parse_payload(b"x" * (LIMIT + 1), "text/plain", LIMIT)


def test_unknown_token_and_wrong_type(store, clock):
    integration, _ = builders.integration(store, clock, kind="alertmanager")
    config = ConfigCache(store, ttl_seconds=5)
    assert find_integration("alertmanager", integration.token, config).id == integration.id
    with pytest.raises(IntegrationTokenError):
        find_integration("alertmanager", "nope", config)
    with pytest.raises(IntegrationTypeMismatchError, match="alertmanager"):
        find_integration("webhook", integration.token, config)


def test_accept_stores_then_enqueues(store, clock, queue):
    integration, _ = builders.integration(store, clock)
    payload = builders.am_payload()
    del payload["alerts"][0]["status"]
    alert = accept_alert(
        integration,
        {**payload, "alerts": [{"status": "firing"}, {"status": "resolved"}]},
        "req-1",
        store=store,
        queue=queue,
        clock=clock,
    )
    assert store.get_alert(alert.id) is not None
    message, dedup = queue.sent[0]
    assert (message.alert_id, message.integration_id, dedup) == (alert.id, integration.id, "req-1")
    # numFiring/numResolved added for Alertmanager-shaped integrations
    assert (alert.payload["numFiring"], alert.payload["numResolved"]) == (1, 1)


def test_enqueue_failure_forgets_the_alert(store, clock, queue):
    integration, _ = builders.integration(store, clock)
    queue.fail = QueueUnavailableError(reason="ServiceUnavailable: down")  # what SqsAlertQueue raises
    with pytest.raises(StorageUnavailableError):
        accept_alert(integration, {"a": 1}, "req-2", store=store, queue=queue, clock=clock)
    assert store.alerts == {}


def test_sender_values_are_kept_verbatim(store, clock, queue):
    integration, _ = builders.integration(store, clock, kind="webhook")
    payload = {"numFiring": 7, "nested": {"x": [1, 2.5, None, True]}}
    alert = accept_alert(integration, payload, "req-3", store=store, queue=queue, clock=clock)
    assert json.dumps(alert.payload) == json.dumps(payload)


# ------------------------------------------------------------------------------------------ broken bodies
@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "text/json", "application/vnd.x+json"]
)
def test_a_body_that_claims_json_and_does_not_parse_is_refused_saying_where(content_type):
    """Given a body sent as JSON that is cut short, when it is parsed, then it is a 400 that says it is not
    valid JSON and where it breaks (issue 12 item 2)."""
    with pytest.raises(ValidationError) as refused:
        parse_payload(b'{"service": "x", oops', content_type, LIMIT)
    assert "not valid JSON" in refused.value.detail and "line 1 column 18" in refused.value.detail


@pytest.mark.parametrize("content_type", ["text/plain", "", "application/octet-stream"])
def test_broken_json_sent_as_text_or_without_a_type_is_still_a_message(content_type):
    assert parse_payload(b'{"service": "x", oops', content_type, LIMIT) == {"message": '{"service": "x", oops'}


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", ""])
@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 255, 400, 5_000, 100_000])
def test_json_nested_past_the_limit_is_refused_naming_it(content_type, depth):
    """Given JSON nested deeper than MAX_NESTING (even far past Python's recursion limit), when it is parsed,
    then it is a 400 naming the limit, never a RecursionError (issue 12 item 3, issue 13 item 9)."""
    body = ('{"alerts": [{"annotations": {"x": ' + "[" * depth + "]" * depth + "}}]}").encode()
    with pytest.raises(ValidationError) as refused:
        parse_payload(body, content_type, 1_000_000)
    assert f"at most {MAX_NESTING} levels" in refused.value.detail


def test_json_at_the_limit_is_accepted():
    body = ("[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1)).encode()
    assert parse_payload(b'{"x": ' + body + b"}", "application/json", LIMIT)["x"] is not None


def test_nesting_depth_is_measured_without_recursion():
    """Given a value nested far deeper than the recursion limit (built in a loop), its depth is measured (an
    explicit stack, not recursion), and measuring stops past the limit it is asked about."""
    value: list = []
    for _ in range(50_000):
        value = [value]
    assert nesting_depth(value, stop_after=10**6) == 50_001
    assert nesting_depth(value) == MAX_NESTING + 1
    assert nesting_depth({"a": [1, {"b": {}}]}) == 4 and nesting_depth("text") == 0


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=b", b"--b\r\nContent-Disposition: form-data; name*=bogus''%\r\n\r\nx\r\n--b--"),
        ("multipart/form-data; boundary=\udcff", b"--x--"),
        ("application/x-www-form-urlencoded", b"a=1&" * 10),
    ],
)
def test_every_parser_error_is_a_400_or_a_payload(content_type, body):
    """No parser error escapes parse_payload as anything but a ValidationError (issue 13 item 9)."""
    with contextlib.suppress(ValidationError):
        assert isinstance(parse_payload(body, content_type, LIMIT), dict)
