"""What one Lambda container keeps: its environment and the objects it builds once (settings, AWS clients,
the wiring's store, queues, notifier...).

On Lambda a process is one container, so everything here is simply process-wide: `environ()` is
`os.environ` and `per_container` is `functools.cache`. The local stack and the integration tests run several
functions in one process; the harness (never this package) installs a scope (which function is running) and
that function's environment with `host()`, so each function keeps its own settings and caches and sees only
its own variables, as if it ran in a container of its own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable, Mapping
from functools import wraps
from typing import Any, TypeVar

T = TypeVar("T")


def _process_scope() -> Hashable:
    return None


def _process_environ() -> Mapping[str, str]:
    return os.environ


_scope: Callable[[], Hashable] = _process_scope
_environ: Callable[[], Mapping[str, str]] = _process_environ


def environ() -> Mapping[str, str]:
    """The environment of the running container (on Lambda: os.environ)."""
    return _environ()


def host(scope: Callable[[], Hashable], environ: Callable[[], Mapping[str, str]]) -> None:
    """For a harness that runs several functions in one process: `scope()` names the running function
    (None = the harness itself) and `environ()` gives its environment."""
    global _scope, _environ
    _scope, _environ = scope, environ


def unhost() -> None:
    host(_process_scope, _process_environ)


def per_container(factory: Callable[..., T]) -> Callable[..., T]:
    """Like functools.cache, with one cache per container (per scope)."""
    caches: dict[Hashable, dict[Any, Any]] = {}
    lock = threading.Lock()

    @wraps(factory)
    def cached(*args: Any) -> T:
        scope = _scope()
        cache = caches.get(scope)
        if cache is None:
            with lock:
                cache = caches.setdefault(scope, {})
        try:
            return cache[args]
        except KeyError:
            value = cache[args] = factory(*args)
            return value

    cached.cache_clear = caches.clear  # type: ignore[attr-defined]
    return cached
