"""The botocore error helpers the rest of the package reads AWS failures through."""

from botocore.exceptions import ClientError, EndpointConnectionError

from oncall.platform import aws


def _refusal(code: str | None = "ThrottlingException", status: int | None = 400) -> ClientError:
    response: dict = {"Error": {"Message": "no"}, "ResponseMetadata": {}}
    if code is not None:
        response["Error"]["Code"] = code
    if status is not None:
        response["ResponseMetadata"]["HTTPStatusCode"] = status
    return ClientError(response, "SendMessage")


def test_a_refusal_has_aws_code_and_status():
    error = _refusal("ExecutionAlreadyExists", 400)
    assert isinstance(error, aws.AWS_ERRORS)
    assert aws.is_refusal(error)
    assert aws.error_code(error) == "ExecutionAlreadyExists"
    assert aws.http_status(error) == 400


def test_a_refusal_without_code_or_status():
    error = _refusal(code=None, status=None)
    assert aws.error_code(error, default="Error") == "Error"
    assert aws.error_code(error) == "ClientError"
    assert aws.http_status(error) is None


def test_an_unreachable_aws_is_named_by_its_class():
    error = EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
    assert isinstance(error, aws.AWS_ERRORS)
    assert not aws.is_refusal(error)
    assert aws.error_code(error, default="Error") == "EndpointConnectionError"
    assert aws.http_status(error) is None


def test_other_exceptions_are_not_aws_errors():
    assert not isinstance(ValueError("x"), aws.AWS_ERRORS)
