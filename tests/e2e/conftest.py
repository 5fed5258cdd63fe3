"""End-to-end tier: the local stack (`oncall local`, what `make run` starts) as a separate process, driven
over HTTP like a user or a monitoring tool would."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "e2e-admin-token"
READY_TIMEOUT = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RunningStack:
    process: subprocess.Popen
    base_url: str
    port: int
    state_dir: Path
    output: list[str] = field(default_factory=list)
    demo_ingest_url: str = ""
    moto_url: str = ""

    @property
    def outbox(self) -> Path:
        return self.state_dir / "outbox.jsonl"

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(
            method,
            f"{self.base_url}/api/v1/{path.strip('/')}/",
            headers={"Authorization": ADMIN_TOKEN},
            timeout=10,
            **kwargs,
        )

    def outbox_lines(self) -> list[str]:
        return self.outbox.read_text().splitlines() if self.outbox.exists() else []


def start_stack(tmp: Path, time_scale: str = "0.02") -> RunningStack:
    port = free_port()
    env = {
        **os.environ,
        "ONCALL_PORT": str(port),
        "ONCALL_ADMIN_TOKEN": ADMIN_TOKEN,
        "ONCALL_TIME_SCALE": time_scale,
        "ONCALL_STATE_DIR": str(tmp),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("AWS_ENDPOINT_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "oncall_cli.main", "local"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stack = RunningStack(process, f"http://127.0.0.1:{port}", port, tmp)
    ready = threading.Event()

    def pump() -> None:
        for line in process.stdout:
            stack.output.append(line)
            if match := re.search(r"Demo integration .*?: (\S+)", line):
                stack.demo_ingest_url = match.group(1)
            if match := re.search(r"emulated by moto at (\S+)\)", line):
                stack.moto_url = match.group(1)
            if line.startswith("READY "):
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(READY_TIMEOUT):
        process.kill()
        raise AssertionError("local stack did not print READY:\n" + "".join(stack.output[-40:]))
    return stack


def stop_stack(stack: RunningStack) -> int:
    stack.process.send_signal(signal.SIGINT)
    try:
        return stack.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        stack.process.kill()
        raise


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
