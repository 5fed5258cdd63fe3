"""Loads the real handlers from functions/<name>/app.py (each as Lambda would: its own module) and invokes
them one event at a time per function, like a single warm Lambda container: with only that function's
environment and only its role's credentials (the harness decides which function is current; the layer only
asks `oncall.platform.containers`)."""

from __future__ import annotations

import contextlib
import contextvars
import importlib.util
import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
from botocore.credentials import Credentials as BotoCredentials
from botocore.credentials import ReadOnlyCredentials

from oncall.platform import containers
from oncall_local.template import REPO_ROOT

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


class _ScopedCredentials(BotoCredentials):
    """The default boto3 session's credentials while a host is installed: those of the function whose code
    is running (its role's, from STS AssumeRole), else the harness's own. botocore asks for them when it
    signs each request, so every client, whoever made it (our layer, Powertools), signs as the running
    function, as on Lambda where the function's process holds only its role's credentials."""

    def __init__(self, ambient: Any) -> None:
        super().__init__(ambient.access_key, ambient.secret_key, ambient.token)
        self._ambient = ambient

    def get_frozen_credentials(self) -> Any:
        container = _current.get()
        if container is not None and container.credentials is not None:
            return container.credentials
        return self._ambient


@dataclass
class Container:
    """One function's container: its own environment and role credentials, its own module caches."""

    name: str
    environment: dict[str, str]
    credentials: Any  # botocore ReadOnlyCredentials, or None (no role: the harness's identity)


_current: contextvars.ContextVar[Container | None] = contextvars.ContextVar("oncall_container", default=None)


def _scope() -> Any:
    container = _current.get()
    return None if container is None else id(container)


def _environ() -> Mapping[str, str]:
    container = _current.get()
    return os.environ if container is None else container.environment


class FunctionHost:
    """Handlers by logical function name (the names the template and the state machine use), each in a
    container of its own: while a function runs, `oncall.platform.containers` gives it its own environment and
    caches, and boto3 signs its calls with its own role's credentials.

    `functions`: logical id -> FunctionSpec (topology.functions). `overrides`: variables the harness adds to
    every function's environment (local-only knobs: the outbox, cache times), never the template's wiring.
    `harness`: the credentials of calls made outside any function (topology.harness_credentials; default:
    whatever the default session has).
    """

    def __init__(
        self, functions: dict[str, Any], overrides: dict[str, str] | None = None, *, harness: Any = None
    ) -> None:
        self._specs = dict(functions)
        self._harness = harness
        self.overrides = dict(overrides or {})
        self._containers: dict[str, Container] = {}
        for name, spec in self._specs.items():
            creds = spec.credentials
            frozen = ReadOnlyCredentials(creds.access_key, creds.secret_key, creds.token) if creds else None
            self._containers[name] = Container(name, {**spec.environment, **self.overrides}, frozen)
        containers.host(_scope, _environ)
        _install_scoped_credentials(harness)
        self._modules = {}
        for name, spec in self._specs.items():
            token = _current.set(self._containers[name])
            try:
                self._modules[name] = load_module(spec.code_dir)
            finally:
                _current.reset(token)
        self._locks = {name: threading.Lock() for name in functions}
        self.invocations: dict[str, int] = dict.fromkeys(functions, 0)

    def __contains__(self, name: str) -> bool:
        return name in self._modules

    def module(self, name: str) -> ModuleType:
        return self._modules[name]

    def environment(self, name: str) -> dict[str, str]:
        return dict(self._containers[name].environment)

    def set_env(self, **variables: str) -> None:
        """Change harness overrides in every container (as redeploying with other settings would) and
        start each container afresh (its settings and clients are rebuilt on the next invocation)."""
        # On use: the host loads the domain's wiring only once functions run (their environment is ready then).
        from oncall import wiring

        self.overrides.update(variables)
        for container in self._containers.values():
            container.environment.update(variables)
        wiring.reset()

    def clone(self) -> FunctionHost:
        """A second set of containers of the same functions (Lambda scaled out)."""
        return FunctionHost(self._specs, self.overrides, harness=self._harness)

    @contextlib.contextmanager
    def entered(self, name: str) -> Iterator[None]:
        """Run the block as if inside `name`'s container (a test reaching for that function's clients)."""
        token = _current.set(self._containers[name])
        try:
            yield
        finally:
            _current.reset(token)

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        with self._locks[name]:
            self.invocations[name] += 1
            token = _current.set(self._containers[name])
            try:
                return self._modules[name].handler(event, LambdaContext(function_name=name))
            finally:
                _current.reset(token)


def _install_scoped_credentials(harness: Any) -> None:
    session = boto3._get_default_session()._session  # noqa: SLF001 - the default session's botocore session
    if harness is not None:
        ambient = ReadOnlyCredentials(harness.access_key, harness.secret_key, harness.token or None)
    else:
        current = session.get_credentials()
        ambient = current._ambient if isinstance(current, _ScopedCredentials) else current.get_frozen_credentials()  # noqa: SLF001
    session._credentials = _ScopedCredentials(ambient)  # noqa: SLF001


def uninstall() -> None:
    """Back to one process = one container (for a harness that is done)."""
    containers.unhost()
