"""Fault injection for the integration tier: make chosen AWS calls of the code under test fail, the way AWS
fails them, without touching the code.

Every boto3 call goes through `botocore.client.BaseClient._make_api_call` (above botocore's own retries, so
an injected fault is a call whose retries were exhausted). `Faults` wraps it for the duration of a test and
fails the calls that match a rule: service, operation(s), an optional predicate on the request parameters,
an optional function name (only calls made while that Lambda handler runs), and how many times.

    faults.add("dynamodb", "PutItem", code="ProvisionedThroughputExceededException", times=1)
    faults.add("sqs", "SendMessage", error=EndpointConnectionError(endpoint_url="https://sqs"))
    faults.add("dynamodb", "GetItem", code="ThrottlingException", function="EscalateFunction", times=2)

`function=` needs `faults.track(aws)` (done by the `faults` fixture): it marks which handler is running.
Calls the test itself makes (assertions through its own boto3 clients) match only rules without `function`;
arm those rules just before the step they are meant for.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient

_running = contextvars.ContextVar("running_function", default=None)
_original_make_api_call = BaseClient._make_api_call

# What AWS answers for each injected code (HTTP status), so the ClientError looks like the real one.
_STATUS = {
    "ProvisionedThroughputExceededException": 400,
    "ThrottlingException": 400,
    "RequestLimitExceeded": 400,
    "InternalServerError": 500,
    "ServiceUnavailable": 503,
    "InternalError": 500,
}


@dataclass
class Rule:
    service: str
    operations: frozenset[str]
    code: str | None = "ProvisionedThroughputExceededException"
    error: BaseException | None = None
    times: int | None = 1  # None: until removed
    when: Callable[[dict[str, Any]], bool] | None = None
    function: str | None = None
    skip: int = 0  # let this many matching calls through first
    seen: int = 0
    hits: int = 0

    def matches(self, service: str, operation: str, params: dict[str, Any]) -> bool:
        if service != self.service or operation not in self.operations:
            return False
        if self.function is not None and _running.get() != self.function:
            return False
        if self.when is not None and not self.when(params):
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        self.seen += 1
        return self.seen > self.skip

    def raise_for(self, client: BaseClient, operation: str) -> None:
        self.hits += 1
        if self.error is not None:
            raise self.error
        status = _STATUS.get(self.code or "", 400)
        response = {
            "Error": {"Code": self.code, "Message": f"injected fault: {self.code}"},
            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "injected"},
        }
        raise client.exceptions.from_code(self.code)(response, operation)


@dataclass
class Faults:
    rules: list[Rule] = field(default_factory=list)
    calls: list[tuple[str, str, str | None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self,
        service: str,
        operations: str | Iterable[str],
        *,
        code: str | None = "ProvisionedThroughputExceededException",
        error: BaseException | None = None,
        times: int | None = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
        function: str | None = None,
        skip: int = 0,
    ) -> Rule:
        names = frozenset([operations] if isinstance(operations, str) else operations)
        rule = Rule(service, names, code, error, times, when, function, skip)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def _check(self, client: BaseClient, operation: str, params: dict[str, Any]) -> None:
        service = client.meta.service_model.service_name
        with self._lock:
            self.calls.append((service, operation, _running.get()))
            rule = next((r for r in self.rules if r.matches(service, operation, params)), None)
        if rule is not None:
            rule.raise_for(client, operation)

    def install(self, monkeypatch) -> Faults:
        faults = self

        def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            faults._check(client, operation, params)
            return _original_make_api_call(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)
        return self

    @staticmethod
    def track(aws, monkeypatch) -> None:
        """Mark which Lambda handler runs, so rules with `function=` only hit that function's calls."""
        for name in aws.topology.functions:
            module = aws.functions.module(name)
            original = module.handler

            def tracked(event, context, _original=original, _name=name):
                token = _running.set(_name)
                try:
                    return _original(event, context)
                finally:
                    _running.reset(token)

            monkeypatch.setattr(module, "handler", tracked)


def item_key_prefix(prefix: str, sort_key: str | None = None) -> Callable[[dict[str, Any]], bool]:
    """A predicate: the request writes or reads an item whose pk starts with `prefix` (and whose sk is
    `sort_key`, if given): items and keys of any DynamoDB call, batch reads, and a Query's `:pk` value."""

    def keys(params: dict[str, Any]) -> Iterable[dict[str, Any]]:
        for source in (params.get("Item"), params.get("Key")):
            if source and "pk" in source:
                yield source
        for entry in params.get("TransactItems", []):
            for operation in entry.values():
                source = operation.get("Item") or operation.get("Key") or {}
                if "pk" in source:
                    yield source
        for request in (params.get("RequestItems") or {}).values():
            yield from request.get("Keys", [])
        if ":pk" in (params.get("ExpressionAttributeValues") or {}) and "IndexName" not in params:
            yield {"pk": params["ExpressionAttributeValues"][":pk"]}

    def matches(key: dict[str, Any]) -> bool:
        if not key.get("pk", {}).get("S", "").startswith(prefix):
            return False
        return sort_key is None or key.get("sk", {}).get("S") == sort_key

    return lambda params: any(matches(key) for key in keys(params))


class Crash(BaseException):  # noqa: N818 - not an error the code may catch: the Lambda process dies
    """Raised to kill a handler mid-flight (a Lambda timeout or out-of-memory): it is a BaseException, so
    neither our code nor Powertools' batch processor can catch it and report a partial failure."""


# DynamoDB's key size limits, which moto checks only when an item is written: a GetItem, Query or DeleteItem
# with a longer key is a ValidationException on AWS. (Index keys count as keys when an item carries them.)
_PARTITION_KEYS = ("pk", "gsi1pk", "hb_shard", "mw_shard")
_SORT_KEYS = ("sk", "gsi1sk", "hb_due", "mw_due")
_KEY_LIMITS = {**dict.fromkeys(_PARTITION_KEYS, 2048), **dict.fromkeys(_SORT_KEYS, 1024)}


def _oversized_keys(params: dict[str, Any]) -> list[str]:
    sources = [params.get("Key"), params.get("Item")]
    sources += [op.get("Key") or op.get("Item") for entry in params.get("TransactItems", []) for op in entry.values()]
    found = []
    for source in filter(None, sources):
        for name, limit in _KEY_LIMITS.items():
            value = source.get(name, {}).get("S")
            if value is not None and len(value.encode("utf-8", "surrogatepass")) > limit:
                found.append(name)
    condition = params.get("KeyConditionExpression", "")
    for placeholder, value in (params.get("ExpressionAttributeValues") or {}).items():
        text = value.get("S")
        if placeholder in condition and text is not None and len(text.encode("utf-8", "surrogatepass")) > 1024:
            found.append(placeholder)
    return found


def enforce_dynamodb_key_limits(faults: Faults) -> None:
    """Make every DynamoDB call with an oversized key fail as it does on AWS."""
    faults.add(
        "dynamodb",
        ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "TransactWriteItems", "TransactGetItems"],
        code="ValidationException",
        times=None,
        when=lambda params: bool(_oversized_keys(params)),
    )
