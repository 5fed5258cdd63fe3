"""The custom resource that creates the deployment's SecureString parameters, and how the functions read them
(SSM on moto; CloudFormation's answer captured instead of PUT to S3)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from oncall import wiring
from oncall.platform import aws, secure_parameters
from oncall.platform.secure_parameters import ALPHABET, FAILED_PREFIX, handle

NAME = "/oncall/admin-token"


@pytest.fixture
def ssm(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        wiring.reset()
        yield boto3.client("ssm")
    wiring.reset()


def _event(request: str, *, name: str = NAME, physical: str = "", length: int = 48) -> dict:
    event = {
        "RequestType": request,
        "ResponseURL": "https://cloudformation-custom-resource-response.example/signed",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/oncall/1",
        "RequestId": "r-1",
        "LogicalResourceId": "AdminToken",
        "ResourceType": "Custom::SecureParameter",
        # CloudFormation sends every property value as a string
        "ResourceProperties": {"ServiceToken": "arn:fn", "Name": name, "Length": str(length), "Description": "d"},
    }
    if physical:
        event["PhysicalResourceId"] = physical
    return event


def _run(event: dict, ssm) -> tuple[dict, list]:
    answers: list = []
    body = handle(event, ssm, respond=lambda url, b: answers.append((url, b)))
    return body, answers


def _value(ssm, name: str = NAME) -> str:
    return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]


def test_create_writes_a_random_secure_string_and_answers_its_name_without_the_value(ssm):
    body, [(url, answer)] = _run(_event("Create"), ssm)
    assert url.endswith("/signed") and answer is body
    assert body["Status"] == "SUCCESS" and body["PhysicalResourceId"] == NAME
    assert body["StackId"].endswith("/oncall/1") and body["RequestId"] == "r-1" and body["LogicalResourceId"]
    parameter = ssm.get_parameter(Name=NAME)["Parameter"]
    assert parameter["Type"] == "SecureString"
    value = _value(ssm)
    assert len(value) == 48 and set(value) <= set(ALPHABET)
    assert value not in str(body)
    assert "Data" not in body


def test_create_adopts_a_parameter_that_already_exists(ssm):
    # an operator's own token put before the first deploy (or a retried deploy's key) is kept
    ssm.put_parameter(Name=NAME, Value="operator-chosen-token", Type="SecureString")
    body, _ = _run(_event("Create"), ssm)
    assert body["Status"] == "SUCCESS" and _value(ssm) == "operator-chosen-token"


def test_update_with_the_same_name_keeps_the_value(ssm):
    _run(_event("Create"), ssm)
    before = _value(ssm)
    body, _ = _run(_event("Update", physical=NAME, length=64), ssm)
    assert body["Status"] == "SUCCESS" and body["PhysicalResourceId"] == NAME and _value(ssm) == before


def test_update_to_a_new_name_creates_it_and_cloudformation_deletes_the_old_one(ssm):
    _run(_event("Create"), ssm)
    body, _ = _run(_event("Update", name="/oncall/admin-token-2", physical=NAME), ssm)
    assert body["PhysicalResourceId"] == "/oncall/admin-token-2" and len(_value(ssm, "/oncall/admin-token-2")) == 48
    body, _ = _run(_event("Delete", physical=NAME), ssm)
    assert body["Status"] == "SUCCESS"
    assert [p["Name"] for p in ssm.describe_parameters()["Parameters"]] == ["/oncall/admin-token-2"]


def test_delete_removes_the_parameter_and_tolerates_one_already_gone(ssm):
    _run(_event("Create"), ssm)
    assert _run(_event("Delete", physical=NAME), ssm)[0]["Status"] == "SUCCESS"
    assert ssm.describe_parameters()["Parameters"] == []
    assert _run(_event("Delete", physical=NAME), ssm)[0]["Status"] == "SUCCESS"


def test_a_failed_create_is_reported_and_its_delete_touches_nothing(ssm):
    ssm.put_parameter(Name=NAME, Value="someone else's", Type="SecureString")
    errors: list = []

    class _Refusing:  # a role without ssm:PutParameter on the name
        def put_parameter(self, **_kwargs):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "PutParameter")

    # a Create that SSM refuses is reported FAILED...
    body = handle(_event("Create"), _Refusing(), respond=lambda *_: None, on_error=errors.append)
    assert body["Status"] == "FAILED" and "AccessDenied" in body["Reason"] and errors
    assert body["PhysicalResourceId"] == f"{FAILED_PREFIX}r-1"
    # ...and the Delete of the rollback leaves every parameter alone
    assert _run(_event("Delete", physical=body["PhysicalResourceId"]), ssm)[0]["Status"] == "SUCCESS"
    assert _value(ssm) == "someone else's"


def test_bad_properties_fail_the_request_not_the_function(ssm):
    body, [(_, answer)] = _run(_event("Create", name="no-leading-slash"), ssm)
    assert answer["Status"] == "FAILED" and "ValidationError" in answer["Reason"]
    body, _ = _run(_event("Create", length=8), ssm)
    assert body["Status"] == "FAILED"


def test_the_answer_goes_to_cloudformation_as_an_unsigned_content_type_put(monkeypatch):
    seen = {}

    class _Response:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return b""

    def _urlopen(request, timeout):
        seen.update(method=request.get_method(), url=request.full_url, headers=dict(request.header_items()))
        seen["body"] = request.data
        return _Response()

    monkeypatch.setattr(secure_parameters.urllib.request, "urlopen", _urlopen)
    secure_parameters.respond_to_cloudformation("https://s3.example/signed?x=1", {"Status": "SUCCESS"})
    assert seen["method"] == "PUT" and seen["url"] == "https://s3.example/signed?x=1"
    assert seen["headers"]["Content-type"] == "" and seen["body"] == b'{"Status": "SUCCESS"}'


def test_functions_read_the_parameter_decrypted_and_cached_for_five_minutes(ssm):
    ssm.put_parameter(Name=NAME, Value="first", Type="SecureString")
    calls: list = []
    aws.client("ssm").meta.events.register("provide-client-params.ssm.GetParameter", lambda **kw: calls.append(kw))
    assert wiring.secret(NAME) == "first"
    ssm.put_parameter(Name=NAME, Value="rotated", Type="SecureString", Overwrite=True)
    assert wiring.secret(NAME) == "first"  # the container's copy, for SECRET_MAX_AGE_SECONDS
    assert len(calls) == 1 and calls[0]["params"]["WithDecryption"] is True
    assert wiring.SECRET_MAX_AGE_SECONDS == 300
