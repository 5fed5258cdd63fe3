"""Loads the real handlers from functions/<name>/app.py (each as Lambda would: its own module) and invokes
them one event at a time per function, like a single warm Lambda container."""

from __future__ import annotations

import importlib.util
import threading
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from oncall_cli.local.template import REPO_ROOT

FUNCTIONS_DIR = REPO_ROOT / "functions"

# Each Lambda has a process of its own; here all functions share one, and Powertools keeps one metrics buffer per
# process (per namespace). A flush in one function's thread could clear the buffer between another flush's
# "is it empty?" and its serialization ("Must contain at least one metric": that invocation failed). Adding,
# flushing and clearing are serialized; a flush may print another function's metrics, which is harmless here.
_metrics_lock = threading.RLock()


def _serialized(method: Any) -> Any:
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _metrics_lock:
            return method(self, *args, **kwargs)

    locked.__wrapped__ = method  # type: ignore[attr-defined]
    return locked


for _name in ("add_metric", "flush_metrics", "serialize_metric_set", "clear_metrics"):
    _method = getattr(AmazonCloudWatchEMFProvider, _name)
    if not hasattr(_method, "__wrapped__"):
        setattr(AmazonCloudWatchEMFProvider, _name, _serialized(_method))


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def load_module(code_dir: str) -> ModuleType:
    path = FUNCTIONS_DIR / code_dir / "app.py"
    spec = importlib.util.spec_from_file_location(f"oncall_function_{code_dir}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FunctionHost:
    """Handlers by logical function name (the names the template and the state machine use)."""

    def __init__(self, functions: dict[str, str]) -> None:
        self._modules = {name: load_module(code_dir) for name, code_dir in functions.items()}
        self._locks = {name: threading.Lock() for name in functions}
        self.invocations: dict[str, int] = dict.fromkeys(functions, 0)

    def __contains__(self, name: str) -> bool:
        return name in self._modules

    def module(self, name: str) -> ModuleType:
        return self._modules[name]

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        with self._locks[name]:
            self.invocations[name] += 1
            return self._modules[name].handler(event, LambdaContext(function_name=name))
