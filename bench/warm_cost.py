"""Warm cost per alert, on moto in process: CPU time of ingest and of route per alert (Alertmanager payload;
route gets SQS batches of 10) and AWS API calls per alert per function. Route is measured on alerts that
join an existing group (the common case) and on alerts that open a new group. Also measured: the Step
Functions state transitions of a three-step chain (notify, wait, notify), and the sweep's idle cost."""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.aws_calls import CallCounter, install_counter

REPO = Path(__file__).resolve().parents[1]
PAYLOAD = json.loads((REPO / "tests" / "fixtures" / "alertmanager" / "03_group_two_firing.json").read_text())
THREE_STEP_CHAIN = [
    {"type": "notify_channel", "channel": "outbox://bench"},
    {"type": "wait", "duration": 300},
    {"type": "notify_channel", "channel": "outbox://bench"},
]


@dataclass
class WarmCost:
    ingest_cpu_ms: float
    ingest_calls: dict[str, float]
    route_join_cpu_ms: float
    route_join_calls: dict[str, float]
    route_new_cpu_ms: float
    route_new_calls: dict[str, float]
    alert_item_bytes: int
    group_item_bytes: int
    transitions_per_group: float
    escalate_invocations_per_group: float
    escalate_cpu_ms: float
    sweep_cpu_ms: float
    sweep_calls: dict[str, float]
    notes: list[str] = field(default_factory=list)


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB item size: attribute names plus values (a close estimate for strings, numbers and maps)."""
    size = 0
    for name, value in item.items():
        ((kind, raw),) = value.items()
        size += len(name.encode()) + (len(json.dumps(raw).encode()) if kind in ("M", "L") else len(str(raw).encode()))
    return size


class InProcessBench:
    """The real handlers on moto (mock_aws), driven like API Gateway, SQS and Step Functions would."""

    def __init__(self, counter: CallCounter) -> None:
        import boto3

        from oncall import wiring
        from oncall_cli.local import moto_patches
        from oncall_cli.local.functions import FunctionHost
        from oncall_cli.local.topology import create_topology

        self.counter = counter
        self.topology = create_topology(admin_token="bench", public_base_url="https://bench")
        os.environ.update(self.topology.environment)
        os.environ.update(
            {
                "ONCALL_CONFIG_CACHE_SECONDS": "300",
                "POWERTOOLS_LOG_LEVEL": "ERROR",
                "POWERTOOLS_METRICS_DISABLED": "true",
            }
        )
        wiring.reset()
        self.functions = FunctionHost(self.topology.functions)
        moto_patches.install(self.functions.invoke, time_scale=0.0001)
        self.sqs = boto3.client("sqs")
        self.ddb = boto3.client("dynamodb")
        self.sfn = boto3.client("stepfunctions")

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        from oncall_cli.local.front_door import build_event, match_route

        route, params = match_route(self.topology.http_routes, method, f"/api/v1/{path}/")
        headers = {"authorization": "bench", "host": "b", "content-type": "application/json"}
        event = build_event(
            route, method, f"/api/v1/{path}/", "", headers, json.dumps(body or {}).encode(), params, "127.0.0.1"
        )
        return json.loads(self.functions.invoke(route.function, event)["body"])

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

    def _own_cpu(self, action) -> float:
        """CPU seconds of this thread in `action`, minus the time spent inside AWS calls (moto)."""
        started, in_calls = time.thread_time(), self.counter.cpu_in_calls
        with self.counter.counting():
            action()
        return time.thread_time() - started - (self.counter.cpu_in_calls - in_calls)

    def ingest(self, integration: dict, payloads: list[dict]) -> float:
        from oncall_cli.local.front_door import build_event, match_route

        path = "/" + integration["link"].split("/", 3)[3]
        route, params = match_route(self.topology.http_routes, "POST", path)

        def send_all() -> None:
            for payload in payloads:
                event = build_event(
                    route,
                    "POST",
                    path,
                    "",
                    {"content-type": "application/json", "host": "b"},
                    json.dumps(payload).encode(),
                    params,
                    "127.0.0.1",
                )
                assert self.functions.invoke(route.function, event)["statusCode"] == 200

        return self._own_cpu(send_all)

    def route_all(self) -> tuple[float, int]:
        from oncall_cli.local.workers import sqs_event

        cpu, handled = 0.0, 0
        while messages := self.sqs.receive_message(
            QueueUrl=self.topology.ingest_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", []):
            event = sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:ingest")
            outcome: dict = {}
            cpu += self._own_cpu(lambda event=event, outcome=outcome: outcome.update(self._route(event)))
            assert outcome == {"batchItemFailures": []}, outcome
            self.sqs.delete_message_batch(
                QueueUrl=self.topology.ingest_queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
            handled += len(messages)
        return cpu, handled

    def _route(self, event: dict) -> dict:
        return self.functions.invoke("RouteFunction", event)

    def transitions(self, group_id: str) -> tuple[int, int]:
        """(state transitions, Lambda task invocations) of the group's finished escalation."""
        arn = f"{self.topology.state_machine_arn.replace(':stateMachine:', ':execution:')}:{group_id}"
        deadline = time.monotonic() + 30
        while self.sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            assert time.monotonic() < deadline, "escalation did not finish"
            time.sleep(0.05)
        events = self.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        entered = sum(1 for e in events if e["type"].endswith("StateEntered"))
        tasks = sum(1 for e in events if e["type"] in ("TaskScheduled", "LambdaFunctionScheduled"))
        return entered, tasks

    def first_item(self, prefix: str, sort_key: str) -> dict:
        return self.ddb.scan(
            TableName=self.topology.table_name,
            FilterExpression="begins_with(pk, :p) AND sk = :s",
            ExpressionAttributeValues={":p": {"S": prefix}, ":s": {"S": sort_key}},
        )["Items"][0]


def _per_alert(counter: CallCounter, before: dict[str, int], alerts: int) -> dict[str, float]:
    return {
        name: (count - before.get(name, 0)) / alerts
        for name, count in counter.calls.items()
        if count - before.get(name, 0)
    }


def measure(alerts: int = 200) -> WarmCost:
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    from oncall_cli.local import moto_patches

    with mock_aws(config=moto_patches.MOTO_CONFIG):
        counter = install_counter()
        bench = InProcessBench(counter)
        integration = bench.integration_with_chain()
        bench.ingest(integration, [PAYLOAD])  # warm up: caches, compiled templates, the first group
        bench.route_all()
        first_group = bench.api("GET", "alert_groups")["results"][0]["id"]

        before = dict(counter.calls)
        ingest_cpu = bench.ingest(integration, [PAYLOAD] * alerts)
        ingest_calls = _per_alert(counter, before, alerts)

        before = dict(counter.calls)
        join_cpu, joined = bench.route_all()
        join_calls = _per_alert(counter, before, joined)

        names = [f"Bench{uuid.uuid4().hex[:8]}" for _ in range(max(10, alerts // 4))]
        bench.ingest(
            integration,
            [{**PAYLOAD, "groupKey": f'{{}}:{{alertname="{n}"}}', "groupLabels": {"alertname": n}} for n in names],
        )
        before = dict(counter.calls)
        new_cpu, created = bench.route_all()
        new_calls = _per_alert(counter, before, created)

        transitions, tasks = bench.transitions(first_group)
        escalate_cpu = bench._own_cpu(
            lambda: bench.functions.invoke(
                "EscalateFunction",
                {"state": {"group_id": first_group, "kind": "escalation", "step": 0}, "execution": first_group},
            )
        )
        before = dict(counter.calls)
        sweep_cpu = bench._own_cpu(lambda: bench.functions.invoke("HeartbeatCheckFunction", {}))
        sweep_calls = _per_alert(counter, before, 1)
        result = WarmCost(
            ingest_cpu_ms=ingest_cpu / alerts * 1000,
            ingest_calls=ingest_calls,
            route_join_cpu_ms=join_cpu / joined * 1000,
            route_join_calls=join_calls,
            route_new_cpu_ms=new_cpu / created * 1000,
            route_new_calls=new_calls,
            alert_item_bytes=item_size(bench.first_item("ALERT#", "ALERT")),
            group_item_bytes=item_size(bench.first_item("GROUP#", "GROUP")),
            transitions_per_group=transitions,
            escalate_invocations_per_group=tasks,
            escalate_cpu_ms=escalate_cpu * 1000,
            sweep_cpu_ms=sweep_cpu * 1000,
            sweep_calls=sweep_calls,
            notes=["CPU = the handler thread's CPU minus the CPU spent inside AWS calls (moto's emulation)."],
        )
        moto_patches.uninstall()
        return result


if __name__ == "__main__":
    print(json.dumps(asdict(measure(int(os.environ.get("BENCH_ALERTS", "200")))), indent=2))
