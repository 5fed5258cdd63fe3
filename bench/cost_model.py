"""Dollar cost per million alerts and the idle monthly cost, from what bench/warm_cost.py measured (AWS calls,
DynamoDB request units from real item sizes, CPU, log bytes, Step Functions transitions) and published list
prices. Every assumption is a named constant below, so the model can be argued with."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from bench import template_facts
from bench.template_facts import TemplateFacts
from bench.warm_cost import Phase, WarmCost

# Published list prices, us-east-1, on-demand, without free tiers: as last known to us on PRICES_AS_OF (this
# machine has no internet access to re-check them; see aws.amazon.com/<service>/pricing).
PRICES_AS_OF = "2026-11-27"
HTTP_API_PER_MILLION = 1.00  # API Gateway HTTP API, first 300 M requests a month (each 512 KB metered as one)
LAMBDA_REQUEST_PER_MILLION = 0.20
LAMBDA_ARM_GB_SECOND = 0.0000133334  # arm64, first 7.5 B GB-s a month
SQS_FIFO_PER_MILLION = 0.50  # per 64 KB chunk of a request
SQS_STANDARD_PER_MILLION = 0.40
DDB_WRITE_UNIT_PER_MILLION = 0.625  # on-demand write request units (after the November 2024 price cut)
DDB_READ_UNIT_PER_MILLION = 0.125  # on-demand read request units
DDB_STORAGE_GB_MONTH = 0.25
DDB_PITR_GB_MONTH = 0.20  # point-in-time recovery is on (template.yaml)
SFN_STANDARD_TRANSITION = 0.000025  # Step Functions Standard, per state transition
SCHEDULER_PER_MILLION = 1.00  # EventBridge Scheduler invocations
LOGS_INGESTED_GB = 0.50  # CloudWatch Logs, standard class, ingestion
# Standard-resolution alarm, per metric it reads: a metric-math alarm is billed for each metric in its
# expression (our reading of the price page), so merging alarms saves nothing; fewer metrics do.
CW_ALARM_METRIC_MONTH = 0.10
CW_CUSTOM_METRIC_MONTH = 0.30  # per metric name+dimensions, pro rata per hour in which it is published
SECRET_MONTH = 0.40  # Secrets Manager, per secret
# SSM Parameter Store standard tier: no charge per parameter nor for standard-throughput API calls; SecureString
# under the AWS-managed key aws/ssm: no key charge (decrypts are KMS requests only when a function reads).
SSM_STANDARD_PARAMETER_MONTH = 0.0

# Assumptions (not measured here).
LAMBDA_FULL_VCPU_MB = 1769  # Lambda gives a full vCPU at 1,769 MB: below it, CPU time stretches by 1,769 / memory
# In-region request latency per call (ms), p50 as commonly observed; the function waits for it (billed).
LATENCY_MS = {
    "dynamodb.GetItem": 4.0,
    "dynamodb.Query": 5.0,
    "dynamodb.BatchGetItem": 6.0,
    "dynamodb.PutItem": 6.0,
    "dynamodb.UpdateItem": 6.0,
    "dynamodb.TransactWriteItems": 12.0,
    "sqs.SendMessage": 8.0,
    "stepfunctions.StartExecution": 25.0,
}
DEFAULT_LATENCY_MS = 8.0
LAMBDA_PLATFORM_LOG_BYTES = 330  # the START, END and REPORT lines Lambda writes for every invocation
ROUTE_BATCH = 10  # template.yaml: the ingest queue's batch size
MINUTES_PER_MONTH = 30 * 24 * 60
# Lambda's SQS event source mapping long-polls an idle queue (20 s waits) with ~5 pollers: ~15 empty receives
# a minute per mapped queue (AWS documentation describes the pollers; the count is our estimate).
ESM_EMPTY_RECEIVES_PER_MINUTE = 15


def wall_ms(cpu_ms: float, calls: dict[str, float], memory_mb: int) -> float:
    """Billed duration of the work at this memory size: CPU at the memory's vCPU share, plus waiting for AWS."""
    share = min(1.0, memory_mb / LAMBDA_FULL_VCPU_MB)
    return cpu_ms / share + sum(n * LATENCY_MS.get(name, DEFAULT_LATENCY_MS) for name, n in calls.items())


def _lambda_dollars(cpu_ms: float, calls: dict[str, float], invocations: float, memory_mb: int) -> float:
    """Compute (GB-s) for the wall time the work takes at this memory size, plus requests."""
    gb_seconds = wall_ms(cpu_ms, calls, memory_mb) / 1000 * memory_mb / 1024
    return gb_seconds * LAMBDA_ARM_GB_SECOND + invocations * LAMBDA_REQUEST_PER_MILLION / 1e6


@functools.cache
def _template() -> TemplateFacts:
    """template.yaml's facts, read once."""
    return template_facts.read()


def platform_lines(function: str, invocations: float) -> float:
    """Invocations whose START/END/REPORT lines Lambda writes: none for a function whose SystemLogLevel is WARN."""
    return invocations if _template().platform_logs.get(function, True) else 0.0


def front_door_per_million(scenario: Scenario) -> float:
    """API Gateway bills each request to an integration URL on the HTTP API; the ingest function's URL is free
    beyond the invocation (decision 80)."""
    on_function_url = _template().integration_urls_on_function_url and not scenario.integration_urls_on_http_api
    return 0.0 if on_function_url else HTTP_API_PER_MILLION


def memory_mb(function: str) -> int:
    """A function's MemorySize, as template.yaml sets it (read once)."""
    return _template().memory_mb[function]


def _dynamodb_dollars(phase: Phase) -> float:
    return phase.wru * DDB_WRITE_UNIT_PER_MILLION / 1e6 + phase.rru * DDB_READ_UNIT_PER_MILLION / 1e6


def _events_queue_dollars(phase: Phase) -> float:
    return phase.calls.get("sqs.SendMessage", 0) * SQS_STANDARD_PER_MILLION / 1e6


def _logs_dollars(phase: Phase, invocations: float) -> float:
    return (phase.log_bytes + invocations * LAMBDA_PLATFORM_LOG_BYTES) / 1e9 * LOGS_INGESTED_GB


@dataclass(frozen=True)
class Scenario:
    new_group_share: float
    webhook_on_alert_added: bool = False
    uncached: bool = False  # every configuration read misses the 5 s cache (sparse traffic, fresh containers)
    integration_urls_on_http_api: bool = False  # the IntegrationUrls parameter set to http-api


def per_alert(work: WarmCost, scenario: Scenario) -> dict[str, float]:
    """Dollars per alert, by service."""
    p = scenario.new_group_share
    ingest = work.phases["ingest_uncached" if scenario.uncached else "ingest"]
    join = work.phases[
        "route_join_uncached"
        if scenario.uncached
        else ("route_join_webhook" if scenario.webhook_on_alert_added else "route_join")
    ]
    new = work.phases["route_new"]
    escalation = work.phases["escalation"]
    ingest_calls = {k: v for k, v in ingest.calls.items()}
    route_mb, escalate_mb = memory_mb("RouteFunction"), memory_mb("EscalateFunction")
    route_cost = (1 - p) * _lambda_dollars(join.cpu_ms, join.calls, 1 / ROUTE_BATCH, route_mb) + p * _lambda_dollars(
        new.cpu_ms, new.calls, 1 / ROUTE_BATCH, route_mb
    )
    escalate_invocations = work.escalate_invocations_per_group
    escalate_cost = _lambda_dollars(
        work.escalate_cpu_ms * escalate_invocations, escalation.calls, escalate_invocations, escalate_mb
    )
    return {
        "Front door: API Gateway (HTTP API), or free on the function URL": front_door_per_million(scenario) / 1e6,
        "Lambda ingest": _lambda_dollars(ingest.cpu_ms, ingest_calls, 1, memory_mb("IngestFunction")),
        "SQS FIFO ingest queue (send + receive/delete per batch)": (1 + 2 / ROUTE_BATCH) * SQS_FIFO_PER_MILLION / 1e6,
        "Lambda route": route_cost,
        "SQS events queue": (1 - p) * _events_queue_dollars(join) + p * _events_queue_dollars(new),
        "DynamoDB": _dynamodb_dollars(ingest)
        + (1 - p) * _dynamodb_dollars(join)
        + p * (_dynamodb_dollars(new) + _dynamodb_dollars(escalation)),
        "Step Functions (transitions)": p * work.transitions_per_group * SFN_STANDARD_TRANSITION,
        "Lambda escalate": p * escalate_cost,
        "CloudWatch Logs": _logs_dollars(ingest, platform_lines("IngestFunction", 1))
        + (1 - p) * _logs_dollars(join, platform_lines("RouteFunction", 1 / ROUTE_BATCH))
        + p
        * _logs_dollars(
            new,
            platform_lines("RouteFunction", 1 / ROUTE_BATCH) + platform_lines("EscalateFunction", escalate_invocations),
        ),
    }


def per_million(work: WarmCost, scenario: Scenario) -> dict[str, float]:
    return {service: dollars * 1e6 for service, dollars in per_alert(work, scenario).items()}


def storage_per_million(work: WarmCost) -> dict[str, float]:
    """What keeping a million alerts costs a month (they are never expired)."""
    per_alert_bytes = work.item_bytes.get("alert", 0) + work.item_bytes.get("alert membership", 0)
    # the membership item is also in gsi1 (projection ALL); DynamoDB adds ~100 bytes of overhead per item
    per_alert_bytes += work.item_bytes.get("alert membership", 0) + 3 * 100
    gb = per_alert_bytes * 1e6 / 1024**3
    return {"GB per million alerts": gb, "storage + PITR per month": gb * (DDB_STORAGE_GB_MONTH + DDB_PITR_GB_MONTH)}


@dataclass(frozen=True)
class IdleItem:
    """One charge of a deployment that receives nothing: what, dollars a month, and the resource it comes from."""

    name: str
    dollars: float
    source: str


def idle_month(work: WarmCost, facts: TemplateFacts | None = None) -> list[IdleItem]:
    """Every charge of an idle month, each with the template resource that causes it (zeros included, so the
    list shows what was considered)."""
    facts = facts or template_facts.read()
    sweep = work.phases["sweep"]
    sweep_mb = facts.memory_mb["HeartbeatCheckFunction"]
    [(schedule, per_minute)] = facts.schedules.items()
    sweeps = per_minute * MINUTES_PER_MONTH
    polls = ESM_EMPTY_RECEIVES_PER_MINUTE * MINUTES_PER_MONTH
    queue_price = {"fifo": SQS_FIFO_PER_MILLION, "standard": SQS_STANDARD_PER_MILLION}
    alarm_metrics = sum(facts.alarm_metrics.values())
    items = [
        IdleItem(
            "EventBridge Scheduler: the sweep",
            sweeps * SCHEDULER_PER_MILLION / 1e6,
            f"{schedule} ({sweeps:,.0f}/month)",
        ),
        IdleItem(
            f"Lambda: the sweep ({sweep_mb} MB)",
            sweeps * _lambda_dollars(sweep.cpu_ms, sweep.calls, 1, sweep_mb),
            "HeartbeatCheckFunction",
        ),
        IdleItem(
            "DynamoDB: the sweep's reads",
            sweeps * _dynamodb_dollars(sweep),
            "Table (sparse indexes heartbeats, maintenance)",
        ),
        IdleItem(
            "CloudWatch Logs: the sweep",
            sweeps * _logs_dollars(sweep, platform_lines("HeartbeatCheckFunction", 1)),
            "HeartbeatCheckLogs (START/END/REPORT lines)",
        ),
    ]
    for queue, kind in sorted(facts.polled_queues.items()):
        items.append(
            IdleItem(
                f"SQS: empty long polls of the event source mapping ({kind})",
                polls * queue_price[kind] / 1e6,
                f"{queue} ({ESM_EMPTY_RECEIVES_PER_MINUTE}/min, estimated)",
            )
        )
    items += [
        IdleItem(
            f"CloudWatch alarms ({alarm_metrics} metrics)",
            alarm_metrics * CW_ALARM_METRIC_MONTH,
            ", ".join(f"{name} ({n})" for name, n in sorted(facts.alarm_metrics.items())),
        ),
        IdleItem(
            "SSM SecureString parameters (standard tier, aws/ssm)",
            len(facts.secure_parameters) * SSM_STANDARD_PARAMETER_MONTH,
            ", ".join(facts.secure_parameters) or "none",
        ),
        IdleItem("Secrets Manager", len(facts.secrets) * SECRET_MONTH, ", ".join(facts.secrets) or "none"),
        IdleItem("Custom metrics (only non-zero counts are published)", 0.0, "the handlers' Powertools Metrics"),
        IdleItem(
            "Free while idle: requests, executions, topic, table on demand",
            0.0,
            "HttpApi, EscalationStateMachine, AlarmTopic, Table, the other functions",
        ),
    ]
    return items


def round_up_cents(value: float) -> float:
    return math.ceil(value * 100) / 100
