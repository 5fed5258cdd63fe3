"""AWS clients, created once per container and only when first used.

Endpoints come from the standard `AWS_ENDPOINT_URL` (boto3 reads it), so the same code talks to AWS, to
moto in tests and to the local stack.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from oncall.platform.containers import per_container

# Fail fast and let the caller's retry policy (SQS redelivery, Step Functions Retry, the sender) decide.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)


@per_container
def client(service: str) -> Any:
    return boto3.client(service, config=_CONFIG)


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints and credentials between runs)."""
    client.cache_clear()
