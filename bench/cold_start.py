"""Cold start per function: wall time to import the handler module in a fresh process (median of N), next to
the floor measured in the same run: a fresh process that only imports boto3 and creates the clients that
function uses. Also reports import + client creation (what the first request pays) and whether ingest
imported Jinja2."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# The AWS clients each function creates (see oncall/wiring.py and the handlers).
CLIENTS = {
    "ingest": ["dynamodb", "sqs"],
    "route": ["dynamodb", "stepfunctions"],
    "escalate": ["dynamodb"],
    "heartbeat_check": ["dynamodb", "sqs"],
    "api": ["dynamodb", "sqs", "stepfunctions", "secretsmanager"],
}

_HANDLER = """
import importlib.util, json, sys, time
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
imported = time.perf_counter()
import boto3
clients = [boto3.client(name) for name in {clients!r}]
done = time.perf_counter()
print(json.dumps({{"import_ms": (imported - start) * 1000, "with_clients_ms": (done - start) * 1000,
                  "jinja2": "jinja2" in sys.modules}}))
"""

_FLOOR = """
import json, time
start = time.perf_counter()
import boto3
clients = [boto3.client(name) for name in {clients!r}]
print(json.dumps({{"floor_ms": (time.perf_counter() - start) * 1000}}))
"""


@dataclass
class ColdStart:
    function: str
    import_ms: float
    with_clients_ms: float
    floor_ms: float
    imports_jinja2: bool

    @property
    def ratio(self) -> float:
        return self.with_clients_ms / self.floor_ms


def _run(code: str) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": f"{REPO / 'layers' / 'common'}:{REPO}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "TABLE_NAME": "bench",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "serverless-oncall",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(function: str, runs: int = 10) -> ColdStart:
    clients = CLIENTS[function]
    handler_code = _HANDLER.format(path=str(REPO / "functions" / function / "app.py"), clients=clients)
    floor_code = _FLOOR.format(clients=clients)
    handler_runs, floor_runs = [], []
    for _ in range(runs):  # interleaved, so machine load affects both alike
        handler_runs.append(_run(handler_code))
        floor_runs.append(_run(floor_code))
    return ColdStart(
        function=function,
        import_ms=statistics.median(r["import_ms"] for r in handler_runs),
        with_clients_ms=statistics.median(r["with_clients_ms"] for r in handler_runs),
        floor_ms=statistics.median(r["floor_ms"] for r in floor_runs),
        imports_jinja2=any(r["jinja2"] for r in handler_runs),
    )


def measure_all(runs: int = 10) -> list[ColdStart]:
    return [measure(function, runs) for function in CLIENTS]


if __name__ == "__main__":
    for result in measure_all(int(sys.argv[1]) if len(sys.argv) > 1 else 10):
        print(
            f"{result.function:16} import {result.import_ms:6.0f} ms  +clients {result.with_clients_ms:6.0f} ms  "
            f"floor {result.floor_ms:6.0f} ms  ratio {result.ratio:4.2f}  jinja2={result.imports_jinja2}"
        )
