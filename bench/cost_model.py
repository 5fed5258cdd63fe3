"""Dollar cost per million alerts and the idle monthly cost, from measured call counts and item sizes and
published list prices. Every assumption is a named constant below, so the model can be argued with."""

from __future__ import annotations

import math
from dataclasses import dataclass

# Published list prices, us-east-1, no free tier. Recorded 2026-11-27 from the AWS pricing pages as last
# known to us (the machine that ran this had no internet access to re-check them).
PRICES_AS_OF = "2026-11-27"
HTTP_API_PER_MILLION = 1.00  # API Gateway HTTP API requests (first 300 M/month)
LAMBDA_REQUEST_PER_MILLION = 0.20
LAMBDA_ARM_GB_SECOND = 0.0000133334  # arm64
SQS_FIFO_PER_MILLION = 0.50  # per 64 KB chunk
SQS_STANDARD_PER_MILLION = 0.40
DDB_WRITE_UNIT_PER_MILLION = 0.625  # on-demand write request units
DDB_READ_UNIT_PER_MILLION = 0.125  # on-demand read request units
SFN_STANDARD_TRANSITION = 0.000025  # per state transition
SCHEDULER_PER_MILLION = 1.00  # EventBridge Scheduler invocations
CW_ALARM_MONTH = 0.10  # standard-resolution alarm
SECRET_MONTH = 0.40  # Secrets Manager secret

# Assumptions about the runtime.
LAMBDA_MEMORY_MB = 512
LAMBDA_VCPU_AT_MEMORY = LAMBDA_MEMORY_MB / 1769  # Lambda gives one full vCPU at 1,769 MB
LATENCY_MS = {"dynamodb": 6.0, "sqs": 10.0, "stepfunctions": 20.0, "secretsmanager": 15.0, "ses": 40.0, "sns": 40.0}
ROUTE_BATCH = 10
MINUTES_PER_MONTH = 30 * 24 * 60
ESM_EMPTY_RECEIVES_PER_MINUTE = 15  # Lambda's SQS pollers long-poll (20 s) each queue; ~5 pollers at idle


@dataclass(frozen=True)
class Workload:
    ingest_calls: dict[str, float]
    ingest_cpu_ms: float
    route_join_calls: dict[str, float]
    route_join_cpu_ms: float
    route_new_calls: dict[str, float]
    route_new_cpu_ms: float
    alert_item_bytes: int
    group_item_bytes: int
    transitions_per_group: float  # Step Functions transitions of a three-step chain (measured)
    escalate_invocations_per_group: float
    escalate_cpu_ms: float
    sweep_cpu_ms: float
    sweep_calls: dict[str, float]


def _units(size_bytes: int, unit: int) -> int:
    return max(1, math.ceil(size_bytes / unit))


def _lambda_dollars(cpu_ms: float, calls: dict[str, float], invocations: float) -> float:
    wall_ms = cpu_ms / LAMBDA_VCPU_AT_MEMORY + sum(
        count * LATENCY_MS.get(name.split(".")[0], 10.0) for name, count in calls.items()
    )
    gb_seconds = math.ceil(wall_ms) / 1000 * LAMBDA_MEMORY_MB / 1024
    return gb_seconds * LAMBDA_ARM_GB_SECOND + invocations * LAMBDA_REQUEST_PER_MILLION / 1e6


def _dynamodb_dollars(calls: dict[str, float], item_bytes: dict[str, int]) -> float:
    """Writes cost 1 unit per KB of the item (transactions twice that); strongly consistent reads 1 per 4 KB."""
    alert_wu = _units(item_bytes["alert"], 1024)
    group_wu = _units(item_bytes["group"], 1024)
    read_units = 0.0
    write_units = 0.0
    for name, count in calls.items():
        if not name.startswith("dynamodb."):
            continue
        operation = name.split(".")[1]
        if operation == "GetItem":
            read_units += count * _units(max(item_bytes.values()), 4096)
        elif operation in ("Query", "BatchGetItem"):
            read_units += count * 2
        elif operation == "PutItem":
            write_units += count * alert_wu
        elif operation == "UpdateItem":
            write_units += count * 1
        elif operation == "TransactWriteItems":
            write_units += count * 2 * (alert_wu + group_wu)
    return write_units * DDB_WRITE_UNIT_PER_MILLION / 1e6 + read_units * DDB_READ_UNIT_PER_MILLION / 1e6


def _sqs_dollars(calls: dict[str, float]) -> float:
    return sum(count for name, count in calls.items() if name.startswith("sqs.")) * SQS_FIFO_PER_MILLION / 1e6


def per_alert(work: Workload, new_group_share: float) -> dict[str, float]:
    """Dollars per alert, by service."""
    sizes = {"alert": work.alert_item_bytes, "group": work.group_item_bytes}
    route_calls = {
        name: (1 - new_group_share) * work.route_join_calls.get(name, 0)
        + new_group_share * work.route_new_calls.get(name, 0)
        for name in {*work.route_join_calls, *work.route_new_calls}
    }
    route_cpu = (1 - new_group_share) * work.route_join_cpu_ms + new_group_share * work.route_new_cpu_ms
    # route is invoked per batch: per-alert latency overlaps little, so count it fully, and 1/10 invocation
    return {
        "API Gateway": HTTP_API_PER_MILLION / 1e6,
        "Lambda ingest": _lambda_dollars(work.ingest_cpu_ms, work.ingest_calls, 1),
        "Lambda route": _lambda_dollars(route_cpu, route_calls, 1 / ROUTE_BATCH),
        "SQS": _sqs_dollars(work.ingest_calls) + 2 / ROUTE_BATCH * SQS_FIFO_PER_MILLION / 1e6,
        "DynamoDB": _dynamodb_dollars(work.ingest_calls, sizes) + _dynamodb_dollars(route_calls, sizes),
        "Step Functions": new_group_share * work.transitions_per_group * SFN_STANDARD_TRANSITION,
        "Lambda escalate": new_group_share
        * _lambda_dollars(work.escalate_cpu_ms, {"dynamodb.x": 4}, work.escalate_invocations_per_group),
    }


def per_million(work: Workload, new_group_share: float) -> dict[str, float]:
    return {service: dollars * 1e6 for service, dollars in per_alert(work, new_group_share).items()}


def idle_month(work: Workload, alarms: int, secrets: int, polled_queues: int) -> dict[str, float]:
    sweeps = MINUTES_PER_MONTH
    return {
        "Scheduler (1/min sweep)": sweeps * SCHEDULER_PER_MILLION / 1e6,
        "Lambda sweep": sweeps * _lambda_dollars(work.sweep_cpu_ms, work.sweep_calls, 1),
        "DynamoDB sweep queries": sweeps * sum(work.sweep_calls.values()) * 1 * DDB_READ_UNIT_PER_MILLION / 1e6,
        "SQS long polls (event source mappings)": polled_queues
        * ESM_EMPTY_RECEIVES_PER_MINUTE
        * MINUTES_PER_MONTH
        * SQS_STANDARD_PER_MILLION
        / 1e6,
        "CloudWatch alarms": alarms * CW_ALARM_MONTH,
        "Secrets Manager": secrets * SECRET_MONTH,
    }
