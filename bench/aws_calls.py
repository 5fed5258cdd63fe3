"""Counts AWS API calls made by this thread, through botocore's event hooks (before-call)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from contextlib import contextmanager

import boto3


class CallCounter:
    """Counts calls and the CPU time this thread spends inside them (so callers can subtract what moto's
    in-process emulation of AWS costs from the handler's own CPU)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.cpu_in_calls = 0.0
        self._thread = threading.get_ident()
        self._active = False
        self._started = 0.0

    def _mine(self) -> bool:
        return self._active and threading.get_ident() == self._thread

    def _on_call(self, model, **_kwargs) -> None:  # noqa: ANN001 - botocore's hook signature
        if self._mine():
            self.calls[f"{model.service_model.service_name}.{model.name}"] += 1
            self._started = time.thread_time()

    def _after_call(self, **_kwargs) -> None:
        if self._mine() and self._started:
            self.cpu_in_calls += time.thread_time() - self._started
            self._started = 0.0

    @contextmanager
    def counting(self):
        self._thread = threading.get_ident()
        self._active = True
        try:
            yield self
        finally:
            self._active = False

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def install_counter() -> CallCounter:
    """Hook the default boto3 session, which every client of the app is created from."""
    counter = CallCounter()
    session = boto3._get_default_session()  # noqa: SLF001 - the session oncall.aws.client() uses
    session.events.register("before-call.*.*", counter._on_call)
    session.events.register("after-call.*.*", counter._after_call)
    session.events.register("after-call-error.*.*", counter._after_call)
    return counter
