"""Log lines that cost no more than what they tell: CloudWatch Logs bills every byte ingested.

Powertools' `inject_lambda_context` adds the function's name, ARN and memory size to every line. The log group
already names the function (one group per function, template.yaml) and the REPORT line of each invocation
carries its memory size, so those keys repeat on every line what CloudWatch knows per group; the request id
and the cold-start flag stay."""

from __future__ import annotations

from aws_lambda_powertools import Logger

_KNOWN_FROM_THE_LOG_GROUP = ("function_name", "function_arn", "function_memory_size")


def lean_context(logger: Logger) -> None:
    """Call inside a handler decorated with `logger.inject_lambda_context` (it adds the keys per invocation)."""
    logger.remove_keys(_KNOWN_FROM_THE_LOG_GROUP)
