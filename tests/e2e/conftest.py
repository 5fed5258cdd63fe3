"""End-to-end tier: the local stack (`oncall local`, what `make run` starts) as a separate process, driven
over HTTP like a user or a monitoring tool would."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from oncall_local.process import LocalStackProcess, start_local_stack

REPO_ROOT = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "e2e-admin-token"

# The e2e tests drive the same child-process stack as the benchmarks.
RunningStack = LocalStackProcess


def start_stack(tmp: Path, time_scale: str = "0.02") -> RunningStack:
    return start_local_stack(tmp, admin_token=ADMIN_TOKEN, time_scale=time_scale)


def stop_stack(stack: RunningStack) -> int:
    return stack.stop()


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory) -> RunningStack:
    stack = start_stack(tmp_path_factory.mktemp("local-stack"))
    yield stack
    stop_stack(stack)


def wait_until(predicate, timeout: float, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return value
        time.sleep(interval)


@pytest.fixture(autouse=True)
def _wide_cli_tables(monkeypatch):
    """CLI tables and messages as piped output gets them (200 columns), whatever COLUMNS the test runner set
    (pytest-xdist workers set 80): assertions look for whole ids and sentences in them."""
    from oncall_cli import ui

    for console in (ui.console, ui.errors):
        monkeypatch.setattr(console, "width", ui.PIPED_WIDTH)
