"""Warm cost per alert, on moto in process: the real handlers, driven as API Gateway, SQS and Step Functions
would drive them (an Alertmanager payload; route gets SQS batches of 10).

Per phase, per alert: AWS API calls (botocore's event hooks), DynamoDB request units from the real item sizes
(bench/aws_calls.py), the handler thread's CPU (minus the CPU inside AWS calls, i.e. moto's emulation),
bytes written to the function logs (structured logs and EMF metrics, at the template's default INFO level)
and Lambda invocations. Phases:
- ingest: one POST per alert;
- route, joining an open group (the common case in a storm);
- route, joining, with one webhook subscribed to "alert added to group" (each alert then publishes an event);
- ingest and route again with nothing cached (every configuration read misses: an idle or fresh container);
- route, each alert opening a new group (a three-step chain: notify, wait 5 min, notify);
- the escalation of those groups: Step Functions state transitions (from the execution history), escalate
  invocations, and the AWS calls of every thread while they run;
- the 1-minute sweep of a deployment that receives nothing.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.aws_calls import CallCounter, install_counter, item_size

REPO = Path(__file__).resolve().parents[1]
PAYLOAD = json.loads((REPO / "tests" / "fixtures" / "alertmanager" / "03_group_two_firing.json").read_text())
THREE_STEP_CHAIN = [
    {"type": "notify_channel", "channel": "outbox://bench"},
    {"type": "wait", "duration": 300},
    {"type": "notify_channel", "channel": "outbox://bench"},
]
SAMPLE_SIZE_KEYS = {
    "alert": ("ALERT#", "ALERT"),
    "alert membership": ("ALERT#", "MEMBER"),
    "group": ("GROUP#", "GROUP"),
    "group counter": ("GROUP#", "GROUP#COUNTS"),
    "grouping key": ("GKEY#", "GKEY"),
}


@dataclass
class Phase:
    """One phase, per alert (per group for the escalation, per run for the sweep)."""

    name: str
    count: int
    calls: dict[str, float]
    wru: float
    rru: float
    cpu_ms: float
    log_bytes: float
    invocations: dict[str, float]

    @property
    def total_calls(self) -> float:
        return sum(self.calls.values())


@dataclass
class WarmCost:
    phases: dict[str, Phase]
    item_bytes: dict[str, int]
    transitions_per_group: int
    escalate_invocations_per_group: int
    escalate_cpu_ms: float
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _CountingStream(io.TextIOBase):
    """Stands in for stdout while the handlers run: counts the bytes of logs and EMF metrics, keeps none."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)

    def flush(self) -> None:
        return None


class InProcessBench:
    """The real handlers on moto (mock_aws), driven like API Gateway, SQS and Step Functions would."""

    def __init__(self, counter: CallCounter, output: _CountingStream) -> None:
        import boto3

        from oncall import wiring
        from oncall_local import moto_patches
        from oncall_local.functions import FunctionHost
        from oncall_local.topology import create_topology

        self.counter = counter
        self.output = output
        self.topology = create_topology(admin_token="bench", public_base_url="https://bench")
        harness = self.topology.harness_credentials
        os.environ.update(self.topology.harness_environment())  # the bench's own reads; not the functions'
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": harness.access_key,
                "AWS_SECRET_ACCESS_KEY": harness.secret_key,
                "POWERTOOLS_LOG_LEVEL": "INFO",  # the template's default
                "POWERTOOLS_METRICS_DISABLED": "false",
                "POWERTOOLS_SERVICE_NAME": "serverless-oncall",
                "POWERTOOLS_METRICS_NAMESPACE": "ServerlessOnCall",
            }
        )
        wiring.reset()
        self.invocations: Counter[str] = Counter()
        self.functions = FunctionHost(self.topology.functions, {"ONCALL_CONFIG_CACHE_SECONDS": "300"}, harness=harness)
        moto_patches.install(
            self._invoke_from_step_functions,
            time_scale=0.0001,
            state_machine_credentials=self.topology.state_machine_credentials.client_kwargs(),
        )
        moto_patches.enforce_iam()  # the calls counted are the ones the deployed roles allow
        self.sqs = boto3.client("sqs")
        self.ddb = boto3.client("dynamodb")
        self.sfn = boto3.client("stepfunctions")

    def _invoke_from_step_functions(self, name: str, event: dict) -> Any:
        self.invocations[name] += 1
        return self.functions.invoke(name, event)

    def invoke(self, name: str, event: dict) -> Any:
        self.invocations[name] += 1
        return self.functions.invoke(name, event)

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        from oncall_local.front_door import build_event, match_route

        route, params = match_route(self.topology.http_routes, method, f"/api/v1/{path}/")
        headers = {"authorization": "bench", "host": "b", "content-type": "application/json"}
        event = build_event(
            route, method, f"/api/v1/{path}/", "", headers, json.dumps(body or {}).encode(), params, "127.0.0.1"
        )
        body = self.functions.invoke(route.function, event).get("body")
        return json.loads(body) if body else {}

    def integration_with_chain(self) -> dict:
        chain = self.api("POST", "escalation_chains", {"name": f"bench-{uuid.uuid4().hex[:6]}"})
        for step in THREE_STEP_CHAIN:
            self.api("POST", "escalation_policies", {"escalation_chain_id": chain["id"], **step})
        return self.api(
            "POST",
            "integrations",
            {
                "type": "alertmanager",
                "name": f"bench-{uuid.uuid4().hex[:6]}",
                "default_route": {"escalation_chain_id": chain["id"]},
            },
        )

    def own_cpu(self, action) -> float:
        """CPU seconds of this thread in `action`, minus the time spent inside AWS calls (moto)."""
        started, in_calls = time.thread_time(), self.counter.cpu_in_calls
        with self.counter.counting():
            action()
        return time.thread_time() - started - (self.counter.cpu_in_calls - in_calls)

    def ingest(self, integration: dict, payloads: list[dict]) -> float:
        from oncall_local.front_door import build_event, match_route

        path = "/" + integration["link"].split("/", 3)[3]
        route, params = match_route(self.topology.http_routes, "POST", path)
        headers = {"content-type": "application/json", "host": "b"}

        def send_all() -> None:
            for payload in payloads:
                body = json.dumps(payload).encode()
                event = build_event(route, "POST", path, "", headers, body, params, "127.0.0.1")
                assert self.invoke(route.function, event)["statusCode"] == 200

        return self.own_cpu(send_all)

    def route_all(self) -> tuple[float, int]:
        from oncall_local.workers import sqs_event

        cpu, handled = 0.0, 0
        while messages := self.sqs.receive_message(
            QueueUrl=self.topology.ingest_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", []):
            event = sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:ingest")
            outcome: dict = {}
            cpu += self.own_cpu(
                lambda event=event, outcome=outcome: outcome.update(self.invoke("RouteFunction", event))
            )
            assert outcome == {"batchItemFailures": []}, outcome
            self.sqs.delete_message_batch(
                QueueUrl=self.topology.ingest_queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
            handled += len(messages)
        return cpu, handled

    def execution_arn(self, name: str) -> str:
        return f"{self.topology.state_machine_arn.replace(':stateMachine:', ':execution:')}:{name}"

    def wait_finished(self, names: list[str], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        for name in names:
            while self.sfn.describe_execution(executionArn=self.execution_arn(name))["status"] == "RUNNING":
                assert time.monotonic() < deadline, "escalations did not finish"
                time.sleep(0.05)

    def transitions(self, name: str) -> int:
        events = self.sfn.get_execution_history(executionArn=self.execution_arn(name), maxResults=1000)["events"]
        return sum(1 for e in events if e["type"].endswith("StateEntered"))

    def item_sizes(self) -> dict[str, int]:
        sizes = {}
        for label, (prefix, sort_key) in SAMPLE_SIZE_KEYS.items():
            items = self.ddb.scan(
                TableName=self.topology.table_name,
                FilterExpression="begins_with(pk, :p) AND sk = :s",
                ExpressionAttributeValues={":p": {"S": prefix}, ":s": {"S": sort_key}},
            )["Items"]
            if items:
                sizes[label] = max(item_size(i) for i in items)
        return sizes


# Calls this harness makes as the SQS event source mapping (billed per batch in the cost model).
_NOT_THE_FUNCTIONS = frozenset({"sqs.ReceiveMessage", "sqs.DeleteMessageBatch"})


class _PhaseMeter:
    def __init__(self, bench: InProcessBench) -> None:
        self.bench = bench

    def __enter__(self) -> _PhaseMeter:
        counter = self.bench.counter
        self.calls = Counter(counter.calls)
        self.units = Counter(counter.meter.units) if counter.meter else Counter()
        self.bytes = self.bench.output.bytes
        self.invocations = Counter(self.bench.invocations)
        return self

    def __exit__(self, *exc: object) -> None:
        counter = self.bench.counter
        self.d_calls = Counter(counter.calls) - self.calls
        self.d_units = (Counter(counter.meter.units) if counter.meter else Counter()) - self.units
        self.d_bytes = self.bench.output.bytes - self.bytes
        self.d_invocations = Counter(self.bench.invocations) - self.invocations

    def phase(self, name: str, count: int, cpu_seconds: float, *, background: bool = False) -> Phase:
        """This thread's calls and units, or (background) those of the other threads: the escalations that
        Step Functions runs. moto's own plumbing (its Lambda invocations of the task) is left out."""
        prefix = "bg." if background else ""
        calls = {
            k.removeprefix(prefix): v / count
            for k, v in sorted(self.d_calls.items())
            if k.startswith("bg.") == background
            and k.removeprefix(prefix) not in _NOT_THE_FUNCTIONS
            and not k.removeprefix(prefix).startswith("lambda.")
        }
        invocations = self.d_invocations
        return Phase(
            name=name,
            count=count,
            calls=calls,
            wru=self.d_units.get(prefix + "WRU", 0) / count,
            rru=self.d_units.get(prefix + "RRU", 0) / count,
            cpu_ms=cpu_seconds / count * 1000,
            log_bytes=(self.d_bytes / count) if not background else 0.0,
            invocations={k: v / count for k, v in invocations.items() if (k == "EscalateFunction") == background},
        )


def _named(name: str) -> dict:
    return {**PAYLOAD, "groupKey": f'{{}}:{{alertname="{name}"}}', "groupLabels": {"alertname": name}}


def measure(alerts: int = 200, groups: int = 25) -> WarmCost:
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    from oncall_local import moto_patches

    output = _CountingStream()
    real_stdout, sys.stdout = sys.stdout, output  # Powertools binds its log stream when a Logger is made
    try:
        with mock_aws(config=moto_patches.MOTO_CONFIG):
            return _measure(output, alerts, groups)
    finally:
        sys.stdout = real_stdout
        moto_patches.uninstall()


def _webhook_and_uncached_phases(bench: InProcessBench, integration: dict, phases: dict[str, Phase]) -> None:
    webhook = bench.api(
        "POST",
        "webhooks",
        {"name": "bench", "url": "https://example.com/hook", "trigger_type": "alert added to group"},
    )
    # The functions run in their own containers: start them afresh so route's 5 s configuration cache (300 s
    # here) sees the new webhook, as a container would after its cache expired.
    bench.functions.set_env(ONCALL_CONFIG_CACHE_SECONDS="300")
    bench.ingest(integration, [PAYLOAD] * 50)
    with _PhaseMeter(bench) as meter:
        cpu, joined = bench.route_all()
    phases["route_join_webhook"] = meter.phase("route, joins, a webhook wants 'alert added'", joined, cpu)
    bench.api("DELETE", f"webhooks/{webhook['id']}")
    # Every configuration read missing the cache (a container idle for more than its 5 s, or a fresh one). The
    # setting must reach the functions' containers (their own environment), not only this process.
    bench.functions.set_env(ONCALL_CONFIG_CACHE_SECONDS="0")
    with _PhaseMeter(bench) as meter:
        cpu = bench.ingest(integration, [PAYLOAD] * 50)
    phases["ingest_uncached"] = meter.phase("ingest, configuration not cached", 50, cpu)
    with _PhaseMeter(bench) as meter:
        cpu, joined = bench.route_all()
    phases["route_join_uncached"] = meter.phase("route, joins, configuration not cached", joined, cpu)
    bench.functions.set_env(ONCALL_CONFIG_CACHE_SECONDS="300")


def _measure(output: _CountingStream, alerts: int, groups: int) -> WarmCost:
    counter = install_counter(meter=True)
    bench = InProcessBench(counter, output)
    integration = bench.integration_with_chain()
    for _ in range(2):  # warm up: caches, compiled templates, the first group and its key
        bench.ingest(integration, [PAYLOAD])
        bench.route_all()
    phases: dict[str, Phase] = {}

    with _PhaseMeter(bench) as meter:
        cpu = bench.ingest(integration, [PAYLOAD] * alerts)
    phases["ingest"] = meter.phase("ingest", alerts, cpu)

    with _PhaseMeter(bench) as meter:
        cpu, joined = bench.route_all()
    phases["route_join"] = meter.phase("route, joins an open group", joined, cpu)

    _webhook_and_uncached_phases(bench, integration, phases)

    names = [f"Bench{uuid.uuid4().hex[:8]}" for _ in range(groups)]
    bench.ingest(integration, [_named(n) for n in names])
    escalated_before = bench.invocations["EscalateFunction"]
    with _PhaseMeter(bench) as meter, counter.counting(all_threads=True):
        cpu, created = bench.route_all()
        # Step Functions runs the escalations in moto's threads: wait (without AWS calls) for both tasks of each
        deadline = time.monotonic() + 120
        while bench.invocations["EscalateFunction"] - escalated_before < 2 * created:
            assert time.monotonic() < deadline, "escalations did not finish"
            time.sleep(0.05)
        time.sleep(0.5)  # the executions' last states
    phases["route_new"] = meter.phase("route, opens a new group", created, cpu)
    phases["escalation"] = meter.phase(
        "escalation of a new group (notify, wait 5 min, notify)", created, 0, background=True
    )
    group_ids = [g["id"] for g in bench.api("GET", "alert_groups")["results"][:groups]]
    bench.wait_finished(group_ids)
    transitions = bench.transitions(group_ids[0])
    tasks = (bench.invocations["EscalateFunction"] - escalated_before) // max(1, created)

    escalate_event = {"state": {"group_id": group_ids[0], "kind": "escalation", "step": 0}, "execution": "x"}
    bench.invoke("EscalateFunction", escalate_event)  # warm
    escalate_cpu = bench.own_cpu(lambda: bench.invoke("EscalateFunction", escalate_event))

    with _PhaseMeter(bench) as meter:
        cpu = bench.own_cpu(lambda: bench.invoke("HeartbeatCheckFunction", {}))
    phases["sweep"] = meter.phase("the 1-minute sweep, nothing due", 1, cpu)

    return WarmCost(
        phases=phases,
        item_bytes=bench.item_sizes(),
        transitions_per_group=transitions,
        escalate_invocations_per_group=tasks,
        escalate_cpu_ms=escalate_cpu * 1000,
        notes=[
            "CPU = the handler thread's CPU minus the CPU spent inside AWS calls (moto's emulation).",
            "Escalation calls are every thread's calls while the groups' executions ran (moto runs them).",
            "log bytes = structured logs at INFO plus EMF metric lines, as the functions print them (the"
            " escalation's are in the route phase: both run in this process).",
        ],
    )


def load(data: dict[str, Any]) -> WarmCost:
    """A WarmCost from its as_dict() form (bench/run.py runs the measurement in a fresh process)."""
    phases = {name: Phase(**phase) for name, phase in data["phases"].items()}
    return WarmCost(**{**data, "phases": phases})


if __name__ == "__main__":
    result = measure(int(os.environ.get("BENCH_ALERTS", "200")))
    print(json.dumps(result.as_dict()))
