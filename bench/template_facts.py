"""What the cost model needs to know about template.yaml, read from it (not restated): each function's memory,
what an idle deployment keeps running or stored, and which resource each idle charge comes from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from oncall_local.template import load_template, resources_of_type

SECURE_PARAMETER = "Custom::SecureParameter"


@dataclass(frozen=True)
class TemplateFacts:
    memory_mb: dict[str, int]  # function logical id -> MemorySize (its own, else Globals)
    alarm_metrics: dict[str, int]  # alarm logical id -> metrics it reads (metric math: each MetricStat)
    secrets: list[str]  # AWS::SecretsManager::Secret logical ids
    secure_parameters: list[str]  # Custom::SecureParameter logical ids (SSM SecureString, standard tier)
    polled_queues: dict[str, str]  # queue logical id -> "fifo" | "standard", for every SQS event source
    schedules: dict[str, float] = field(default_factory=dict)  # "Function.Event" -> invocations per minute
    # function logical id -> whether Lambda writes its START/END/REPORT lines (SystemLogLevel INFO, the default;
    # WARN drops them: decision 81)
    platform_logs: dict[str, bool] = field(default_factory=dict)
    # integration URLs by default on the ingest function's URL (free per request), else on the HTTP API
    integration_urls_on_function_url: bool = False


def _per_minute(expression: str) -> float:
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", expression)
    if not match:
        raise ValueError(f"cannot price the schedule {expression!r}")
    minutes = {"minute": 1, "hour": 60, "day": 1440}[match.group(2).rstrip("s")]
    return 1 / (int(match.group(1)) * minutes)


def _alarm_metrics(alarm: dict[str, Any]) -> int:
    props = alarm["Properties"]
    if "MetricName" in props:
        return 1
    return sum(1 for query in props.get("Metrics", []) if "MetricStat" in query)


def _writes_platform_logs(function: dict[str, Any]) -> bool:
    logging = function.get("Properties", {}).get("LoggingConfig", {})
    return logging.get("LogFormat") != "JSON" or logging.get("SystemLogLevel", "INFO") in ("DEBUG", "INFO")


def _integration_urls_on_function_url(template: dict[str, Any]) -> bool:
    """Whether the IntegrationUrls parameter's default puts integration URLs on the ingest function's URL, and
    the template has that URL (decision 80)."""
    default = template.get("Parameters", {}).get("IntegrationUrls", {}).get("Default")
    has_url = any(
        resource.get("Properties", {}).get("TargetFunctionArn") == {"Fn::GetAtt": ["IngestFunction", "Arn"]}
        for resource in resources_of_type(template, "AWS::Lambda::Url").values()
    )
    return default == "function-url" and has_url


def read(template: dict[str, Any] | None = None) -> TemplateFacts:
    template = template or load_template()
    default_memory = template.get("Globals", {}).get("Function", {}).get("MemorySize", 128)  # Lambda's default
    functions = resources_of_type(template, "AWS::Serverless::Function")
    polled: dict[str, str] = {}
    schedules: dict[str, float] = {}
    for name, function in functions.items():
        for event_name, event in function.get("Properties", {}).get("Events", {}).items():
            if event.get("Type") == "SQS":
                queue = event["Properties"]["Queue"]["Fn::GetAtt"][0]
                fifo = template["Resources"][queue]["Properties"].get("FifoQueue", False)
                polled[queue] = "fifo" if fifo else "standard"
            elif event.get("Type") in ("Schedule", "ScheduleV2"):
                schedules[f"{name}.{event_name}"] = _per_minute(event["Properties"]["ScheduleExpression"])
    return TemplateFacts(
        platform_logs={name: _writes_platform_logs(f) for name, f in functions.items()},
        integration_urls_on_function_url=_integration_urls_on_function_url(template),
        memory_mb={
            name: int(f.get("Properties", {}).get("MemorySize", default_memory)) for name, f in functions.items()
        },
        alarm_metrics={
            name: _alarm_metrics(alarm) for name, alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").items()
        },
        secrets=sorted(resources_of_type(template, "AWS::SecretsManager::Secret")),
        secure_parameters=sorted(resources_of_type(template, SECURE_PARAMETER)),
        polled_queues=polled,
        schedules=schedules,
    )
