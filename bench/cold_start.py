"""Cold start per function: wall time to import the handler module and create the AWS clients it uses, in a
fresh process (median of N), next to the floor measured in the same run: a fresh process that only imports
boto3 and creates those clients. Runs are interleaved, so machine load affects both alike.

A second floor adds what every function that follows the conventions imports: pydantic (one model, used)
and Powertools' Logger and Metrics; the ratio to it shows what is the function's own.

Also measured, for ingest (the path a sender waits on): the first request after the import, with AWS
answered by canned responses in-process (botocore `before-send`; no network, no moto), so what it shows is
the handler's own first-request work: building the validators it uses, compiling what it compiles.
A lazy import only moves time from the import to the first request; this column keeps that honest.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# The AWS clients each function creates on its path (see oncall/wiring.py and the handlers).
CLIENTS = {
    "ingest": ["dynamodb", "sqs"],
    "route": ["dynamodb", "stepfunctions"],
    "escalate": ["dynamodb"],
    "heartbeat_check": ["dynamodb", "sqs"],
    "api": ["dynamodb", "sqs", "stepfunctions", "ssm"],
    "console": ["dynamodb", "ssm"],
}
HEAVY_MODULES = ("jinja2", "apprise", "cryptography", "croniter", "icalendar", "pydantic_settings", "regex")
TARGET_RATIO = 1.3

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
first_ms = None
if {first_request!r}:
    first_ms = first_request(module)
print(json.dumps({{"import_ms": (imported - start) * 1000, "with_clients_ms": (done - start) * 1000,
                  "first_request_ms": first_ms, "heavy": sorted(m for m in {heavy!r} if m in sys.modules)}}))
"""

_FLOOR = """
import json, time
start = time.perf_counter()
import boto3
clients = [boto3.client(name) for name in {clients!r}]
floor = time.perf_counter()
# What every function following the conventions pays on top: pydantic (one model, used) and Powertools'
# Logger and Metrics.
from pydantic import BaseModel
class Message(BaseModel):
    id: str
Message(id="x")
from aws_lambda_powertools import Logger, Metrics
Logger(), Metrics()
conventions = time.perf_counter()
print(json.dumps({{"floor_ms": (floor - start) * 1000, "conventions_ms": (conventions - start) * 1000}}))
"""

# The first ingest request: canned DynamoDB and SQS answers (items as DynamoStore writes them).
_INGEST_FIRST_REQUEST = """
import hashlib, io
from botocore.awsrequest import AWSResponse

INTEGRATION = {integration!r}


class Raw(io.BytesIO):
    def __init__(self, text):
        super().__init__(text.encode())

    def stream(self, **_):
        yield self.read()


def _answer(request, **_):
    target = request.headers.get("X-Amz-Target", b"")
    target = target.decode() if isinstance(target, bytes) else target
    body = json.loads(request.body or b"{{}}")
    if target.endswith("GetItem"):
        pk = body["Key"]["pk"]["S"]
        item = {{"pk": {{"S": pk}}, "sk": {{"S": "TOKEN"}}, "integration_id": {{"S": "CBENCH"}}}}
        answer = {{"Item": item if pk.startswith("TOKEN#") else INTEGRATION}}
    elif target.endswith("SendMessage"):
        digest = hashlib.md5(body["MessageBody"].encode()).hexdigest()
        answer = {{"MessageId": "m1", "MD5OfMessageBody": digest}}
    else:
        answer = {{}}
    return AWSResponse(request.url, 200, {{"Content-Type": "application/x-amz-json-1.0"}}, Raw(json.dumps(answer)))


def first_request(module):
    boto3._get_default_session().events.register_first("before-send", _answer)

    class Context:
        function_name = "IngestFunction"
        memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:IngestFunction"
        aws_request_id = "r1"

    event = {{
        "version": "2.0", "rawPath": "/integrations/v1/alertmanager/tok/", "rawQueryString": "",
        "headers": {{"content-type": "application/json", "host": "b"}},
        "requestContext": {{"http": {{"method": "POST", "path": "/integrations/v1/alertmanager/tok/"}},
                            "requestId": "q1", "stage": "$default", "domainName": "b"}},
        "pathParameters": {{"integration_type": "alertmanager", "token": "tok"}},
        "body": {payload!r}, "isBase64Encoded": False,
    }}
    started = time.perf_counter()
    answer = module.handler(event, Context())
    elapsed = (time.perf_counter() - started) * 1000
    assert answer["statusCode"] == 200, answer
    return elapsed
"""


@dataclass
class ColdStart:
    function: str
    import_ms: float
    with_clients_ms: float
    floor_ms: float
    conventions_floor_ms: float
    heavy_modules: list[str]
    first_request_ms: float | None = None

    @property
    def ratio(self) -> float:
        return self.with_clients_ms / self.floor_ms

    @property
    def conventions_ratio(self) -> float:
        return self.with_clients_ms / self.conventions_floor_ms

    @property
    def met(self) -> bool:
        return self.ratio <= TARGET_RATIO


def _environment(repo: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": f"{repo / 'layers' / 'common'}:{repo}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "TABLE_NAME": "bench",
        "INGEST_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/bench.fifo",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_SERVICE_NAME": "serverless-oncall",
    }


def _run(code: str, repo: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code], env=_environment(repo), capture_output=True, text=True, check=False, cwd=repo
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _integration_item(repo: Path) -> dict:
    """The integration as DynamoStore stores it (computed here, so the child builds nothing in advance)."""
    code = (
        "import json\nfrom oncall.storage.dynamo.table import model_item\nfrom oncall.models import Integration\n"
        "i = Integration(id='CBENCH', name='bench', type='alertmanager', token='tok', default_route_id='R1',"
        " created_at='2026-01-01T00:00:00Z')\n"
        "print(json.dumps(model_item(i, {'pk': 'CFG#INTEGRATION', 'sk': 'CBENCH'})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=_environment(repo), capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def measure(function: str, runs: int = 10, repo: Path = REPO) -> ColdStart:
    clients = CLIENTS[function]
    first_request = function == "ingest"
    prelude = ""
    if first_request:
        payload = (REPO / "tests" / "fixtures" / "alertmanager" / "03_group_two_firing.json").read_text()
        prelude = _INGEST_FIRST_REQUEST.format(integration=_integration_item(repo), payload=payload)
    handler_code = _HANDLER.format(
        path=str(repo / "functions" / function / "app.py"),
        clients=clients,
        first_request=first_request,
        heavy=HEAVY_MODULES,
    )
    if prelude:  # the stub is defined after the timed import, never imported before it
        handler_code = handler_code.replace("first_ms = None\n", "first_ms = None\n" + prelude, 1)
    floor_code = _FLOOR.format(clients=clients)
    handler_runs, floor_runs = [], []
    for _ in range(runs):  # interleaved, so machine load affects both alike
        handler_runs.append(_run(handler_code, repo))
        floor_runs.append(_run(floor_code, repo))
    firsts = [r["first_request_ms"] for r in handler_runs if r["first_request_ms"] is not None]
    return ColdStart(
        function=function,
        import_ms=statistics.median(r["import_ms"] for r in handler_runs),
        with_clients_ms=statistics.median(r["with_clients_ms"] for r in handler_runs),
        floor_ms=statistics.median(r["floor_ms"] for r in floor_runs),
        conventions_floor_ms=statistics.median(r["conventions_ms"] for r in floor_runs),
        heavy_modules=sorted({m for r in handler_runs for m in r["heavy"]}),
        first_request_ms=statistics.median(firsts) if firsts else None,
    )


def measure_all(runs: int = 10, repo: Path = REPO) -> list[ColdStart]:
    return [measure(function, runs, repo) for function in CLIENTS]


if __name__ == "__main__":
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    repo = Path(sys.argv[2]) if len(sys.argv) > 2 else REPO
    for result in measure_all(runs, repo):
        first = f"  first request {result.first_request_ms:5.0f} ms" if result.first_request_ms else ""
        print(
            f"{result.function:16} import {result.import_ms:5.0f} ms  +clients {result.with_clients_ms:5.0f} ms  "
            f"floor {result.floor_ms:5.0f} ms  ratio {result.ratio:4.2f}  (pydantic+Powertools floor "
            f"{result.conventions_floor_ms:4.0f} ms: {result.conventions_ratio:4.2f})"
            f"  heavy={result.heavy_modules}{first}"
        )
