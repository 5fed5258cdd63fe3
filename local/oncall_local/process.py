"""The local stack as a child process (what `make run` starts), for end-to-end tests and benchmarks:
start it on a free port, wait for its READY line, drive it over HTTP, stop it with Ctrl-C (SIGINT)."""

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

import requests

from oncall_local.template import REPO_ROOT

READY_TIMEOUT = 90
# Ctrl-C to exit: the stack stops its parts at once (each waits a few seconds at most); 45 s leaves room for a
# machine loaded by two test workers and a browser.
STOP_SECONDS = 45


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LocalStackProcess:
    process: subprocess.Popen
    base_url: str
    port: int
    state_dir: Path
    admin_token: str
    output: list[str] = field(default_factory=list)
    demo_ingest_url: str = ""
    moto_url: str = ""

    @property
    def outbox(self) -> Path:
        return self.state_dir / "outbox.jsonl"

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """A request with the admin token, made as a well-behaved client: a 429 (the per-token or per-address
        limit, shared by every test driving this stack) is waited out as its Retry-After/RateLimit-Reset
        says, a few times at most."""
        for _ in range(3):
            response = requests.request(
                method,
                f"{self.base_url}/api/v1/{path.strip('/')}/",
                headers={"Authorization": self.admin_token},
                timeout=30,
                **kwargs,
            )
            if response.status_code != 429:
                return response
            wait = response.headers.get("Retry-After") or response.headers.get("RateLimit-Reset") or "1"
            time.sleep(min(float(wait), 60.0))
        return response

    def aws_environment(self) -> dict[str, str]:
        """The variables that point boto3 (or the AWS CLI, or `oncall doctor`) at the stack's moto with the
        administrator credentials it wrote (IAM is enforced there: other credentials are refused)."""
        text = (self.state_dir / "aws.env").read_text()
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)

    def aws_client(self, service: str):  # noqa: ANN201 - a boto3 client
        """A boto3 client for the stack's moto with its administrator credentials."""
        import boto3  # on use: only this method needs boto3 (~150 ms), not the process control

        values = self.aws_environment()
        return boto3.client(
            service,
            endpoint_url=values["AWS_ENDPOINT_URL"],
            aws_access_key_id=values["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=values["AWS_SECRET_ACCESS_KEY"],
            region_name=values["AWS_DEFAULT_REGION"],
        )

    def outbox_lines(self) -> list[str]:
        """The notifications written so far, whole lines only: the stack may be halfway through appending one."""
        if not self.outbox.exists():
            return []
        *complete, _unfinished = self.outbox.read_text().split("\n")
        return [line for line in complete if line]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            # What the stack said last, with the thread dump `oncall local` writes when a stop hangs.
            print("".join(self.output[-120:]), file=sys.stderr)
            raise


def start_local_stack(
    state_dir: Path, *, admin_token: str, time_scale: str = "0.02", extra_env: dict[str, str] | None = None
) -> LocalStackProcess:
    port = free_port()
    env = {
        **os.environ,
        "ONCALL_PORT": str(port),
        "ONCALL_ADMIN_TOKEN": admin_token,
        "ONCALL_TIME_SCALE": time_scale,
        "ONCALL_STATE_DIR": str(state_dir),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
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
    stack = LocalStackProcess(process, f"http://127.0.0.1:{port}", port, state_dir, admin_token)
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
        raise RuntimeError("local stack did not print READY:\n" + "".join(stack.output[-40:]))
    return stack
