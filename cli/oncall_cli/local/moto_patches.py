"""Every patch the local stack and the tests apply to moto (pinned: moto[server]==5.2.5), in one place.
Each is guarded by a test in tests/integration/test_moto_patches.py that fails loudly if moto moves.

1. Lambda hook: moto's non-Docker Lambda backend echoes payloads; we dispatch to the real handlers instead,
   so the Step Functions Task states run our escalate function.
2. Time scale: Step Functions Wait states and Retry intervals sleep `seconds * scale` (demos and tests).
3. DynamoDB atomicity: DynamoDB applies each request (a conditional write, a transaction, an update that
   returns the old item) atomically; moto does not lock, so two threads can both pass the same condition.
   One lock around moto's DynamoDB request handlers restores that guarantee, which our races rely on
   (one open group per key, one heartbeat alert per outage, one start per maintenance window).
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.dynamodb.responses import DynamoHandler
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

# Passed to mock_aws(config=...) in tests and POSTed to /moto-api/config in server mode.
MOTO_CONFIG: dict[str, Any] = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}

_invoke: Callable[[str, dict[str, Any]], Any] | None = None
_time_scale = 1.0
_installed = False
_original_invoke = LambdaSimpleBackend.invoke
hook_calls: list[str] = []


def _hooked_invoke(self, function_name, qualifier, body, headers, response_headers):  # noqa: ANN001 - moto's API
    function = self.get_function(function_name, qualifier)
    if _invoke is None:
        return _original_invoke(self, function_name, qualifier, body, headers, response_headers)
    hook_calls.append(function.function_name)
    try:
        result = _invoke(function.function_name, json.loads(body) if body else {})
    except Exception as error:  # noqa: BLE001 - this is Lambda's "Unhandled" function error
        response_headers["x-amz-function-error"] = "Unhandled"
        result = {"errorType": type(error).__name__, "errorMessage": str(error)}
    return json.dumps(result).encode()


def _scaled_wait(self, env, wait_seconds):  # noqa: ANN001 - must keep moto's keyword name `wait_seconds`
    if wait_seconds > 0:
        env.program_state_event.wait(wait_seconds * _time_scale)


class _ScaledTime:
    """Stands in for the `time` module inside moto's retrier so Retry intervals are scaled too."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds * _time_scale)


_DYNAMODB_LOCK = threading.RLock()
DYNAMODB_REQUESTS = (
    "put_item",
    "get_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "batch_write_item",
    "batch_get_item",
    "transact_write_items",
    "transact_get_items",
)
_original_dynamodb = {name: getattr(DynamoHandler, name) for name in DYNAMODB_REQUESTS}


def _atomic(handler: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(handler)
    def serialized(self, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN001 - moto's handler method
        with _DYNAMODB_LOCK:
            return handler(self, *args, **kwargs)

    serialized.__wrapped_by_oncall__ = True  # type: ignore[attr-defined]
    return serialized


def install(invoke: Callable[[str, dict[str, Any]], Any], *, time_scale: float = 1.0) -> None:
    """Route Lambda invocations to `invoke(function_name, event)` and scale Step Functions time."""
    global _invoke, _time_scale, _installed
    _invoke = invoke
    _time_scale = time_scale
    if not _installed:
        LambdaSimpleBackend.invoke = _hooked_invoke
        WaitFunction._wait_interval = _scaled_wait
        retrier_decl.time = _ScaledTime()
        for name, handler in _original_dynamodb.items():
            setattr(DynamoHandler, name, _atomic(handler))
        _installed = True


def uninstall() -> None:
    global _invoke, _time_scale
    _invoke = None
    _time_scale = 1.0
