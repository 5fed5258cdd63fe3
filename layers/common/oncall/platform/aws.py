"""AWS clients, created once per container and only when first used, and the one place that knows botocore's
error classes.

Endpoints come from the standard `AWS_ENDPOINT_URL` (boto3 reads it), so the same code talks to AWS, to
moto in tests and to the local stack.

The rest of the package catches `AWS_ERRORS` and reads an error through `error_code` / `http_status`, so that
only this module and the storage adapter depend on botocore (an import-linter contract checks it).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from oncall.platform.containers import per_container

AWS_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError)
"""What an AWS call raises when AWS refused it (a ClientError: it answered) or could not be reached (any other
BotoCoreError: connection, timeout, credentials...). `except aws.AWS_ERRORS` catches exactly both."""


def _config() -> Any:
    # boto3 and botocore's Config cost ~150 ms to import: loaded on the first client, so modules that only
    # need the error helpers (the HTTP error map, the CLI's use of the domain) do not pay for them.
    from botocore.config import Config

    # Fail fast and let the caller's retry policy (SQS redelivery, Step Functions Retry, the sender) decide.
    return Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)


@per_container
def client(service: str) -> Any:
    import boto3  # on first use, see _config

    return boto3.client(service, config=_config())


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints and credentials between runs)."""
    client.cache_clear()


def is_refusal(error: BaseException) -> bool:
    """AWS answered with an error (a ClientError), as opposed to never being reached."""
    return isinstance(error, ClientError)


def error_code(error: BaseException, default: str | None = None) -> str:
    """AWS's error code of a refusal ("ThrottlingException", "ExecutionAlreadyExists"...). For an error that
    never reached AWS, the exception's class name ("EndpointConnectionError"...). A refusal without a code
    answers `default`, or the class name when there is none."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code")
        if code is not None:
            return code
        if default is not None:
            return default
    return type(error).__name__


def http_status(error: BaseException) -> int | None:
    """The HTTP status AWS answered a refusal with (None when unknown or when AWS was never reached)."""
    if not isinstance(error, ClientError):
        return None
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status else None
