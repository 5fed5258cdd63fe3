"""The idle month and per-function memory as the cost model reads them from template.yaml (bench/)."""

from __future__ import annotations

import pytest

from bench import cost_model, template_facts
from bench.warm_cost import Phase, WarmCost

FACTS = template_facts.read()
# The sweep of an idle deployment as bench/warm_cost.py measured it (order of magnitude; CPU is noisy).
SWEEP = Phase("sweep", 1, {"dynamodb.Query": 2.0}, wru=0, rru=1, cpu_ms=12.0, log_bytes=0, invocations={})
WORK = WarmCost({"sweep": SWEEP}, {}, 6, 2, 1.0)


def test_memory_is_read_per_function_from_the_template():
    assert FACTS.memory_mb["IngestFunction"] == 512  # Globals
    assert FACTS.memory_mb["ApiFunction"] == 1024 and FACTS.memory_mb["WebhooksFunction"] == 256
    assert cost_model.memory_mb("HeartbeatCheckFunction") == FACTS.memory_mb["HeartbeatCheckFunction"]


def test_the_alert_and_people_paths_are_not_starved():
    # cold starts on the sender's path (ingest), to the page (route, escalate) and for people (api, console)
    for name in ("IngestFunction", "RouteFunction", "EscalateFunction"):
        assert FACTS.memory_mb[name] >= 512, name
    for name in ("ApiFunction", "ConsoleFunction"):
        assert FACTS.memory_mb[name] >= 1024, name
    # and nothing below what its working set needs (~60-105 MB RSS, bench/memory_footprint.py, + the runtime)
    assert min(FACTS.memory_mb.values()) >= 256


def test_less_memory_stretches_cpu_until_a_full_vcpu():
    calls = {"dynamodb.PutItem": 1.0}
    assert cost_model.wall_ms(10.0, calls, 1769) == pytest.approx(10.0 + 6.0)
    assert cost_model.wall_ms(10.0, calls, 3538) == pytest.approx(16.0)  # no more than one vCPU's worth
    assert cost_model.wall_ms(10.0, calls, 256) == pytest.approx(10.0 * 1769 / 256 + 6.0)


def test_alarms_are_priced_per_metric_they_read():
    assert FACTS.alarm_metrics == {"DeadLettersAlarm": 2, "EscalationFailedAlarm": 1}


def test_every_idle_charge_names_its_source_and_the_month_is_at_most_a_dollar():
    items = cost_model.idle_month(WORK, FACTS)
    assert all(item.source and item.name for item in items)
    by_name = {item.name: item for item in items}
    assert by_name["Secrets Manager"].dollars == 0 and by_name["Secrets Manager"].source == "none"
    ssm = by_name["SSM SecureString parameters (standard tier, aws/ssm)"]
    assert ssm.dollars == 0 and ssm.source == "ActionLinkKey, AdminToken"
    polled = [item for item in items if item.name.startswith("SQS")]
    assert sorted(item.source.split()[0] for item in polled) == ["EventsQueue", "IngestQueue"]
    assert sum(item.dollars for item in items) <= 1.0


def test_schedules_are_priced_from_their_rate():
    assert FACTS.schedules == {"HeartbeatCheckFunction.Sweep": 1.0}
    assert template_facts._per_minute("rate(5 minutes)") == pytest.approx(0.2)
    assert template_facts._per_minute("rate(1 hour)") == pytest.approx(1 / 60)
    with pytest.raises(ValueError, match="cannot price"):
        template_facts._per_minute("cron(0 * * * ? *)")


def test_the_per_alert_functions_write_no_platform_lines_and_the_others_keep_them():
    # given the template's LoggingConfig (decision 81)
    # then the cost model bills START/END/REPORT lines only where Lambda writes them
    assert not FACTS.platform_logs["IngestFunction"] and not FACTS.platform_logs["RouteFunction"]
    assert FACTS.platform_logs["EscalateFunction"] and FACTS.platform_logs["ApiFunction"]
    assert cost_model.platform_lines("IngestFunction", 1) == 0
    assert cost_model.platform_lines("HeartbeatCheckFunction", 2) == 2


def test_a_system_log_level_keeps_platform_lines_unless_it_is_warn():
    def function(**logging):
        return {"Properties": {"LoggingConfig": {"LogGroup": "x", **logging}}}

    assert template_facts._writes_platform_logs(function())
    assert template_facts._writes_platform_logs(function(LogFormat="JSON"))
    assert template_facts._writes_platform_logs(function(LogFormat="JSON", SystemLogLevel="DEBUG"))
    assert not template_facts._writes_platform_logs(function(LogFormat="JSON", SystemLogLevel="WARN"))


def test_integration_urls_on_the_function_url_cost_nothing_at_the_front_door():
    # given the template's default (IntegrationUrls: function-url, decision 80)
    assert FACTS.integration_urls_on_function_url
    # then senders' requests cost no API Gateway request; on the HTTP API they cost $1.00 per million
    assert cost_model.front_door_per_million(cost_model.Scenario(0.01)) == 0.0
    on_api = cost_model.Scenario(0.01, integration_urls_on_http_api=True)
    assert cost_model.front_door_per_million(on_api) == cost_model.HTTP_API_PER_MILLION


def test_without_the_function_url_the_front_door_is_the_http_api():
    template = template_facts.load_template()
    del template["Resources"]["IngestFunctionUrl"]
    assert not template_facts.read(template).integration_urls_on_function_url
