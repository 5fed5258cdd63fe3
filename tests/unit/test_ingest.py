import json

import pytest
from botocore.exceptions import ClientError

from oncall.config_cache import ConfigCache
from oncall.errors import (
    IntegrationTokenError,
    IntegrationTypeMismatchError,
    PayloadTooLargeError,
    StorageUnavailableError,
    ValidationError,
)
from oncall.ingest import accept_alert, find_integration, parse_payload
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
    queue.fail = ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessage")
    with pytest.raises(StorageUnavailableError):
        accept_alert(integration, {"a": 1}, "req-2", store=store, queue=queue, clock=clock)
    assert store.alerts == {}


def test_sender_values_are_kept_verbatim(store, clock, queue):
    integration, _ = builders.integration(store, clock, kind="webhook")
    payload = {"numFiring": 7, "nested": {"x": [1, 2.5, None, True]}}
    alert = accept_alert(integration, payload, "req-3", store=store, queue=queue, clock=clock)
    assert json.dumps(alert.payload) == json.dumps(payload)
