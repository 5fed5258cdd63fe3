"""Cold start per function, first request included: wall time in a fresh process to import the handler module
and answer one representative first request, next to a floor measured in the same run. Median of N; the
handler and floor processes are interleaved, so machine load affects both alike.

The first request is the one `bench/first_requests.py` records on moto (per function: ingest an Alertmanager
POST; route an SQS batch of one alert opening a group; escalate one step; heartbeat_check one sweep; api
GET /api/v1/integrations/ with a viewer token), replayed here with AWS's recorded answers, byte for byte,
through botocore's `before-send` hook: no moto, no network. It counts, because a lazy import only moves time
from the import to the first request; with it counted, deferring a module saves only if the first request's
path does not need it.

    handler = import of functions/<name>/app.py + its first request (clients created on its path)
    floor   = import boto3 + the clients that request used + the same AWS calls (same parameters, answered
              the same way) + pydantic (one model, used) + Powertools' Logger and Metrics
    ratio   = handler / floor

The floor is what a minimal handler following the conventions would pay for the same AWS work; the ratio
shows what is the function's own (its modules, models, templates and logic). The boto3-only floor (boto3,
the clients, the calls) is reported too. Functions without a recorded first request (console) are measured
as import + creating their clients (CLIENTS), against boto3 + those clients.

Both processes get the function's environment as the template sets it (recorded), fake credentials, an
`AWS_ENDPOINT_URL` that refuses connections (a call the recording does not answer fails fast, and the run
fails), Powertools metrics disabled and the log level at WARNING. Each handler run checks the answer and that
every recorded call was made. Heavy modules are listed as loaded after the import (ingest must load no
Jinja2 at import).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Functions measured without a recorded first request: the AWS clients they create (see oncall/wiring.py).
CLIENTS = {"console": ["dynamodb", "ssm"]}
FUNCTIONS = ("ingest", "route", "escalate", "heartbeat_check", "api", "console")
HEAVY_MODULES = ("jinja2", "apprise", "cryptography", "croniter", "icalendar", "pydantic_settings", "regex")
# Handler ÷ pydantic+Powertools floor, first request included (issue 17).
TARGETS = {"ingest": 1.15, "route": 1.3, "escalate": 1.3, "heartbeat_check": 1.3, "api": 1.3, "console": 1.3}

# AWS's recorded answers, replayed in order per operation; shared by the handler and floor processes.
_REPLAY = """
import base64, io, json, pickle, sys, time

RECORDED = json.loads(open({recording!r}).read())
CALLS = [dict(c, params=pickle.loads(base64.b64decode(c["params"])), body=base64.b64decode(c["body"]))
         for c in RECORDED["calls"]]
_left = list(CALLS)


class _Raw(io.BytesIO):
    def stream(self, **_):
        yield self.read()


def _answer(request, event_name, **_):
    from botocore.awsrequest import AWSResponse

    _, service_id, operation = event_name.split(".", 2)
    for index, call in enumerate(_left):
        if call["service_id"] == service_id and call["operation"] == operation:
            del _left[index]
            return AWSResponse(request.url, call["status"], call["headers"], _Raw(call["body"]))
    raise AssertionError(f"unrecorded AWS call {{service_id}} {{operation}}")
"""

_HANDLER = """
import importlib.util
first_request = {first_request!r}
if first_request:
    EVENT = RECORDED["event"]

    class Context:
        function_name = "{function}"
        memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:{function}"
        aws_request_id = "r1"

        @staticmethod
        def get_remaining_time_in_millis():
            return 30000
start, start_cpu = time.perf_counter(), time.process_time()
spec = importlib.util.spec_from_file_location("app", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
imported = time.perf_counter()
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
import boto3
if first_request:
    boto3._get_default_session().events.register_first("before-send", _answer)
    answer = module.handler(EVENT, Context())
else:
    clients = [boto3.client(name) for name in {clients!r}]
done, done_cpu = time.perf_counter(), time.process_time()
if first_request:
    {check}
    assert not _left, f"recorded calls not made: {{[(c['service_id'], c['operation']) for c in _left]}}"
print(json.dumps({{"import_ms": (imported - start) * 1000, "total_ms": (done - start) * 1000,
                  "total_cpu_ms": (done_cpu - start_cpu) * 1000, "heavy": heavy}}))
"""

_FLOOR = """
from collections import OrderedDict
start, start_cpu = time.perf_counter(), time.process_time()
import boto3
from botocore import xform_name
from botocore.exceptions import ClientError
boto3._get_default_session().events.register_first("before-send", _answer)
clients = OrderedDict((name, boto3.client(name)) for name in {clients!r})
for call in CALLS:
    try:
        getattr(clients[call["service"]], xform_name(call["operation"]))(**call["params"])
    except ClientError:
        pass  # recorded as a refusal (a condition that did not hold): the handler got the same
floor = time.perf_counter()
# What every function following the conventions pays on top: pydantic (one model, used) and Powertools'
# Logger and Metrics.
from pydantic import BaseModel
class Message(BaseModel):
    id: str
Message(id="x")
from aws_lambda_powertools import Logger, Metrics
Logger(), Metrics()
conventions, conventions_cpu = time.perf_counter(), time.process_time()
assert not _left
print(json.dumps({{"floor_ms": (floor - start) * 1000, "conventions_ms": (conventions - start) * 1000,
                  "conventions_cpu_ms": (conventions_cpu - start_cpu) * 1000}}))
"""

# How each first request's answer is checked (the handler's return value is `answer`).
_CHECKS = {
    "ingest": 'assert answer["statusCode"] == 200, answer',
    "route": 'assert answer == {"batchItemFailures": []}, answer',
    "escalate": 'assert "step" in answer, answer',
    "heartbeat_check": "assert isinstance(answer, dict), answer",
    "api": 'assert answer["statusCode"] == 200, answer',
}
# functions/<name>/ → its logical id in template.yaml
LOGICAL_IDS = {
    "ingest": "IngestFunction",
    "route": "RouteFunction",
    "escalate": "EscalateFunction",
    "heartbeat_check": "HeartbeatCheckFunction",
    "api": "ApiFunction",
    "console": "ConsoleFunction",
}


@dataclass
class ColdStart:
    function: str
    import_ms: float
    total_ms: float
    floor_ms: float
    conventions_floor_ms: float
    heavy_modules: list[str]
    total_cpu_ms: float = 0.0
    conventions_floor_cpu_ms: float = 0.0
    calls: int = 0
    first_request: bool = False

    @property
    def first_request_ms(self) -> float | None:
        return self.total_ms - self.import_ms if self.first_request else None

    @property
    def ratio(self) -> float:
        """Handler ÷ the boto3-only floor (boto3, the clients, the same calls)."""
        return self.total_ms / self.floor_ms

    @property
    def conventions_ratio(self) -> float:
        """Handler ÷ the pydantic + Powertools floor: the measure the targets are set on."""
        return self.total_ms / self.conventions_floor_ms

    @property
    def cpu_ratio(self) -> float:
        """The same ratio on CPU time (process_time): steadier than wall time on a loaded machine."""
        return self.total_cpu_ms / self.conventions_floor_cpu_ms

    @property
    def target(self) -> float:
        return TARGETS[self.function]

    @property
    def met(self) -> bool:
        return self.conventions_ratio <= self.target


@dataclass(frozen=True)
class Runtime:
    """Where the timed processes run: this Python and the checkout's sources (default), or a built
    artifact: a Python 3.13 like Lambda's, the layer's `python/` directory and the functions as `sam build`
    lays them out (`<build>/<LogicalId>/app.py`), bytecode compiled (tools/build_check.py)."""

    python: str = sys.executable
    layer: Path | None = None
    build: Path | None = None

    def handler_path(self, repo: Path, function: str) -> Path:
        if self.build is not None:
            return self.build / LOGICAL_IDS[function] / "app.py"
        return repo / "functions" / function / "app.py"

    def python_path(self, repo: Path, function: str) -> str:
        if self.build is not None and self.layer is not None:
            return f"{self.build / LOGICAL_IDS[function]}:{self.layer}"
        return f"{repo / 'layers' / 'common'}:{repo}"


def _environment(repo: Path, function_environment: dict[str, str], scratch: Path, python_path: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "ONCALL_"))}
    environment.update(function_environment)
    if "ONCALL_OUTBOX_PATH" in environment:
        environment["ONCALL_OUTBOX_PATH"] = str(scratch / "outbox.jsonl")
    return {
        **environment,
        "PYTHONPATH": python_path,
        "PYTHONNOUSERSITE": "1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing listens: an unanswered call fails at once
        "TABLE_NAME": environment.get("TABLE_NAME", "bench"),
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_SERVICE_NAME": "serverless-oncall",
    }


def _run(code: str, environment: dict[str, str], repo: Path, python: str = sys.executable) -> dict:
    out = subprocess.run([python, "-c", code], env=environment, capture_output=True, text=True, check=False, cwd=repo)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def record(repo: Path, out: Path) -> dict:
    """Record the first requests on moto, with `repo`'s code (bench/first_requests.py)."""
    environment = {
        **os.environ,
        "PYTHONPATH": f"{repo / 'layers' / 'common'}:{repo}:{repo / 'local'}",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    script = Path(__file__).resolve().parent / "first_requests.py"
    done = subprocess.run(
        [sys.executable, str(script), str(out)], env=environment, capture_output=True, text=True, check=False, cwd=repo
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(out.read_text())


def measure(  # noqa: PLR0913 - the run's settings, passed through
    function: str, runs: int, repo: Path, recordings: dict, scratch: Path, runtime: Runtime | None = None
) -> ColdStart:
    runtime = runtime or Runtime()
    python_path = runtime.python_path(repo, function)
    recorded = recordings.get(function)
    path = scratch / f"{function}.json"
    path.write_text(json.dumps(recorded or {"calls": []}))
    replay = _REPLAY.format(recording=str(path))
    if recorded:
        services = list(dict.fromkeys(c["service"] for c in recorded["calls"]))
        environment = _environment(repo, recorded["environment"], scratch, python_path)
    else:
        services = CLIENTS[function]
        environment = _environment(repo, {}, scratch, python_path)
    handler_code = replay + _HANDLER.format(
        path=str(runtime.handler_path(repo, function)),
        function=LOGICAL_IDS[function],
        first_request=recorded is not None,
        clients=services,
        heavy=HEAVY_MODULES,
        check=_CHECKS.get(function, "pass"),
    )
    floor_code = replay + _FLOOR.format(clients=services)
    handler_runs, floor_runs = [], []
    for _ in range(runs):  # interleaved, so machine load affects both alike
        handler_runs.append(_run(handler_code, environment, repo, runtime.python))
        floor_runs.append(_run(floor_code, environment, repo, runtime.python))
    return ColdStart(
        function=function,
        import_ms=statistics.median(r["import_ms"] for r in handler_runs),
        total_ms=statistics.median(r["total_ms"] for r in handler_runs),
        floor_ms=statistics.median(r["floor_ms"] for r in floor_runs),
        conventions_floor_ms=statistics.median(r["conventions_ms"] for r in floor_runs),
        heavy_modules=sorted({m for r in handler_runs for m in r["heavy"]}),
        total_cpu_ms=statistics.median(r["total_cpu_ms"] for r in handler_runs),
        conventions_floor_cpu_ms=statistics.median(r["conventions_cpu_ms"] for r in floor_runs),
        calls=len(recorded["calls"]) if recorded else 0,
        first_request=recorded is not None,
    )


def measure_all(
    runs: int = 10, repo: Path = REPO, functions: tuple[str, ...] = FUNCTIONS, runtime: Runtime | None = None
) -> list[ColdStart]:
    with tempfile.TemporaryDirectory(prefix="cold-start-") as scratch:
        recordings = record(repo, Path(scratch) / "recorded.json")
        return [measure(function, runs, repo, recordings, Path(scratch), runtime) for function in functions]


def describe(result: ColdStart) -> str:
    first = (
        f"first request {result.first_request_ms:4.0f} ms ({result.calls} AWS calls)"
        if result.first_request
        else "no first request"
    )
    return (
        f"{result.function:16} import {result.import_ms:5.0f} ms  {first}  total {result.total_ms:5.0f} ms  "
        f"floor {result.conventions_floor_ms:5.0f} ms: {result.conventions_ratio:4.2f}× (target ≤ {result.target}; CPU "
        f"{result.total_cpu_ms:4.0f} / {result.conventions_floor_cpu_ms:4.0f} ms: {result.cpu_ratio:4.2f}×)  "
        f"boto3-only floor {result.floor_ms:4.0f} ms: {result.ratio:4.2f}×  heavy at import={result.heavy_modules}"
    )


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="?", type=int, default=10, help="fresh processes per measure (median)")
    parser.add_argument("checkout", nargs="?", type=Path, default=REPO, help="the code to record and measure")
    parser.add_argument("--only", default=",".join(FUNCTIONS), help="comma-separated functions")
    parser.add_argument("--python", default=sys.executable, help="the Python of the timed processes")
    parser.add_argument("--layer", type=Path, help="a built layer's python/ directory (with --build)")
    parser.add_argument("--build", type=Path, help="sam build's directory: import the built functions")
    args = parser.parse_args(argv)
    runtime = Runtime(
        args.python, args.layer.resolve() if args.layer else None, args.build.resolve() if args.build else None
    )
    for result in measure_all(args.runs, args.checkout.resolve(), tuple(args.only.split(",")), runtime):
        print(describe(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
