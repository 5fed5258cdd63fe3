"""The local stack: moto in server mode (in this process), the template's resources, the real handlers,
the front door, the queue poller and the schedule — everything `make run` starts."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import sys
import threading
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from oncall_local import moto_patches

ACTION_NAMES = {
    "acknowledge": "✔ acknowledge",
    "resolve": "✔ resolve",
    "silence_1h": "✔ silence 1 h",
    "acknowledge_again": "✔ acknowledge again",
}


@dataclass(frozen=True)
class LocalSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    moto_port: int = 0  # 0 = any free port
    admin_token: str = ""
    time_scale: float = 1.0
    state_dir: Path = Path(".oncall-local")
    verbose: bool = False
    # The template's AllowPrivateTargets. Locally on by default (the demo's targets are on loopback); an
    # explicit ONCALL_ALLOW_PRIVATE_TARGETS=false tries the deployed posture.
    allow_private_targets: bool = True
    # Another template (a copy with a policy removed, say): the stack is built from its translation.
    template_path: Path | None = None

    @classmethod
    def from_environment(cls) -> LocalSettings:
        env = os.environ
        return cls(
            host=env.get("ONCALL_HOST", "127.0.0.1"),
            port=int(env.get("ONCALL_PORT", "8080")),
            moto_port=int(env.get("ONCALL_MOTO_PORT", "0")),
            admin_token=env.get("ONCALL_ADMIN_TOKEN", ""),
            time_scale=float(env.get("ONCALL_TIME_SCALE", "1")),
            state_dir=Path(env.get("ONCALL_STATE_DIR", ".oncall-local")),
            verbose=env.get("ONCALL_VERBOSE", "") not in ("", "0", "false"),
            allow_private_targets=env.get("ONCALL_ALLOW_PRIVATE_TARGETS", "true").strip().lower() == "true",
            template_path=Path(env["ONCALL_TEMPLATE"]) if env.get("ONCALL_TEMPLATE") else None,
        )

    @property
    def outbox_path(self) -> Path:
        return self.state_dir / "outbox.jsonl"

    @property
    def credentials_path(self) -> Path:
        """Administrator credentials for moto (IAM is enforced): `set -a; . .oncall-local/aws.env` lets the
        AWS CLI or boto3 look inside the local stack."""
        return self.state_dir / "aws.env"


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class LocalStack:
    def __init__(self, settings: LocalSettings) -> None:
        self.settings = settings
        self.admin_token = settings.admin_token or secrets.token_urlsafe(24)
        self.base_url = f"http://{settings.host}:{settings.port}"
        self.moto_port = settings.moto_port or free_port(settings.host)
        self.moto_url = f"http://{settings.host}:{self.moto_port}"
        self._parts: list = []

    def _prepare_environment(self) -> None:
        """Point boto3 (handlers, Powertools, moto's own Step Functions worker) at the moto server."""
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": self.moto_url,
                "MOTO_PORT": str(self.moto_port),
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_REGION": "us-east-1",
            }
        )
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        if not self.settings.verbose:
            warnings.filterwarnings("ignore", message="No application metrics to publish")

    def _local_overrides(self) -> dict[str, str]:
        """Added to every function's environment: the local outbox and webhook retry delays on the demo
        time scale (local-only knobs; the template's own variables, AllowPrivateTargets included, come
        from the template)."""
        return {
            "ONCALL_OUTBOX_PATH": str(self.settings.outbox_path.resolve()),
            "ONCALL_WEBHOOK_RETRY_BASE_SECONDS": str(10 * self.settings.time_scale),
        }

    def _powertools_environment(self) -> dict[str, str]:
        """Powertools reads os.environ, which every function shares here: quieter logs, no metrics."""
        return {
            "POWERTOOLS_METRICS_DISABLED": "false" if self.settings.verbose else "true",
            "POWERTOOLS_LOG_LEVEL": "INFO" if self.settings.verbose else "WARNING",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }

    def _write_credentials(self, topology) -> None:  # noqa: ANN001 - Topology, imported late
        harness = topology.harness_credentials
        self.settings.credentials_path.write_text(
            f"AWS_ENDPOINT_URL={self.moto_url}\n"
            f"AWS_ACCESS_KEY_ID={harness.access_key}\n"
            f"AWS_SECRET_ACCESS_KEY={harness.secret_key}\n"
            "AWS_DEFAULT_REGION=us-east-1\n"
        )
        self.settings.credentials_path.chmod(0o600)

    def start(self) -> None:
        from moto.server import ThreadedMotoServer  # on use: moto's server (Flask) only when a stack starts

        self._prepare_environment()
        moto = ThreadedMotoServer(ip_address=self.settings.host, port=self.moto_port, verbose=False)
        moto.start()
        self._parts.append(moto)
        requests.post(f"{self.moto_url}/moto-api/config", json=moto_patches.MOTO_CONFIG, timeout=5).raise_for_status()
        moto_patches.serve_in_process(self.moto_url)  # this process's boto3 calls skip the socket

        # Imported only now: handlers read their settings from the environment prepared above.
        from oncall.platform import clock
        from oncall_local.front_door import FrontDoor
        from oncall_local.functions import FunctionHost
        from oncall_local.topology import create_topology
        from oncall_local.workers import OutboxWatcher, QueuePoller, ScheduleTimer

        options = {"template_path": self.settings.template_path} if self.settings.template_path else {}
        topology = create_topology(
            admin_token=self.admin_token,
            public_base_url=self.base_url,
            allow_private_targets=self.settings.allow_private_targets,
            **options,
        )
        harness = topology.harness_credentials
        # This process's own calls (the poller, the schedule) are the harness's; each function's calls carry
        # its own role's credentials and it sees only its own environment (FunctionHost).
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": harness.access_key,
                "AWS_SECRET_ACCESS_KEY": harness.secret_key,
                **{k: v for k, v in topology.harness_environment().items() if k.startswith("POWERTOOLS_")},
                **self._powertools_environment(),
            }
        )
        self._write_credentials(topology)
        if self.settings.time_scale != 1:
            clock.use_clock(clock.ScaledClock(self.settings.time_scale))
        functions = FunctionHost(topology.functions, self._local_overrides(), harness=harness)
        moto_patches.install(
            functions.invoke,
            time_scale=self.settings.time_scale,
            state_machine_credentials=topology.state_machine_credentials.client_kwargs(),
        )
        moto_patches.enforce_iam()
        self.topology = topology
        self.functions = functions

        door = FrontDoor(self.settings.host, self.settings.port, topology.http_routes, functions)
        workers = [
            QueuePoller(m, functions, time_scale=self.settings.time_scale, on_error=self._report)
            for m in topology.queue_mappings
        ]
        workers += [
            ScheduleTimer(s, functions, time_scale=self.settings.time_scale, on_error=self._report)
            for s in topology.schedules
        ]
        workers.append(OutboxWatcher(self.settings.outbox_path, self._show_notification))
        for part in (door, *workers):
            part.start()
            self._parts.append(part)

    def stop(self) -> None:
        # The parts stop at once: each waits a few seconds at most for its thread's current work (a batch, a
        # sweep), and one after the other those waits added up past 20 s on a loaded machine.
        parts, self._parts = self._parts, []
        stoppers = [threading.Thread(target=self._stop_part, args=(part,), daemon=True) for part in parts]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join(timeout=10)
        moto_patches.uninstall()
        from oncall_local import functions  # as in start: the handlers' host loads only with a running stack

        functions.uninstall()

    @staticmethod
    def _stop_part(part: Any) -> None:
        try:
            part.stop()
        except Exception:  # noqa: BLE001 - the other parts keep stopping
            traceback.print_exc()

    @staticmethod
    def _report(error: BaseException) -> None:
        print(f"[local] background error: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        traceback.print_exception(error, file=sys.stderr)

    @staticmethod
    def _show_notification(notification: dict) -> None:
        who = f" → {notification['user_id']}" if notification.get("user_id") else ""
        print(f"\n📣 {notification['channel']}{who}  {notification['title']}", flush=True)
        for line in (notification.get("message") or "").splitlines()[:12]:
            print(f"   {line}", flush=True)
        if notification.get("link"):
            print(f"   {notification['link']}", flush=True)
        # Signed one-click actions: open one in a browser (GET shows a confirmation page) or POST it.
        for action, url in (notification.get("action_links") or {}).items():
            print(f"   {ACTION_NAMES.get(action, action):<18} curl -X POST {url}", flush=True)
