"""The sweep (heartbeat_check) and the heartbeat/maintenance endpoints: real handlers on moto, with an injected
clock, the real state machine, and overlapping sweeps that must never emit twice."""

import threading
import time
from datetime import timedelta

import pytest

from oncall.platform import clock as oncall_clock
from oncall.storage.dynamo import DynamoStore
from oncall_local.topology import Schedule
from oncall_local.workers import scheduler_event
from tests.builders import am_payload
from tests.fakes import FixedClock
from tests.integration.conftest import create_chain, create_integration, ingest_path

PAGE = [{"type": "notify_channel", "channel": "outbox://pager"}, {"type": "wait", "duration": 3600}]
SWEEP = scheduler_event(Schedule("rate(1 minute)", "HeartbeatCheckFunction"))


@pytest.fixture
def now(monkeypatch) -> FixedClock:
    """The handlers' clock, moved by the test."""
    fixed = FixedClock(oncall_clock.SystemClock().now().replace(microsecond=0))
    monkeypatch.setattr(oncall_clock, "_clock", fixed)
    return fixed


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return value


def _groups(aws, integration_id):
    return aws.api("GET", "alert_groups", query=f"integration_id={integration_id}").body["results"]


def _sweep(aws, functions=None):
    return (functions or aws.functions).invoke("HeartbeatCheckFunction", SWEEP)


# ------------------------------------------------------------------------------------------ heartbeats
def test_a_heartbeat_stops_pages_and_resolves_when_pings_return(aws, now):
    chain = create_chain(aws, PAGE)
    integration = create_integration(aws, "webhook", chain_id=chain["id"], name="Backup job")
    hb_path = ingest_path(integration) + "heartbeat/"
    configured = aws.api("PUT", f"integrations/{integration['id']}/heartbeat", {"period": 300, "grace_period": 60})
    assert configured.status == 200 and configured.body["state"] == "new" and configured.body["period"] == 300
    # given a ping
    assert aws.http("GET", hb_path).status == 200
    assert aws.api("GET", f"integrations/{integration['id']}").body["heartbeat"]["state"] == "up"
    assert _sweep(aws)["heartbeats"]["missing"] == []
    # when no ping comes for period + grace, the sweep sends one "missing" alert through the pipeline
    now.advance(seconds=361)
    assert _sweep(aws)["heartbeats"]["missing"] == [integration["id"]]
    assert _sweep(aws)["heartbeats"]["missing"] == []
    aws.drain()
    [group] = _groups(aws, integration["id"])
    assert group["state"] == "firing" and group["title"] == "Backup job: heartbeat missing"
    # and it pages through the integration's chain (the real state machine)
    notification = _wait_for(aws.outbox_lines)[0]
    assert notification["title"].endswith("Backup job: heartbeat missing")
    # when pings return: "restored" right away, and the group resolves
    now.advance(minutes=5)
    assert aws.http("POST", hb_path, b"").status == 200
    aws.drain()
    assert aws.api("GET", f"alert_groups/{group['id']}").body["state"] == "resolved"
    heartbeat = aws.api("GET", f"integrations/{integration['id']}/heartbeat").body
    assert (heartbeat["state"], heartbeat["outages"], heartbeat["pings"]) == ("up", 1, 2)
    assert len(_groups(aws, integration["id"])) == 1


@pytest.mark.parametrize("signal", ["missing", "restored"])
def test_two_sweeps_at_once_send_exactly_one_alert(aws, now, monkeypatch, signal):
    integration = create_integration(aws, "alertmanager")
    hb_path = ingest_path(integration) + "heartbeat/"
    aws.http("GET", hb_path)
    now.advance(minutes=12)
    if signal == "restored":
        _sweep(aws)
        aws.drain()
        # a ping whose own attempt fails leaves the restore to the sweep
        monkeypatch.setattr(
            "oncall.monitoring.heartbeat.process", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("x"))
        )
        aws.http("GET", hb_path)
        monkeypatch.undo()
        monkeypatch.setattr(oncall_clock, "_clock", now)
    # given two sweeps (two Lambda containers) that both read the due heartbeat before either claims it
    barrier = threading.Barrier(2, timeout=10)
    original = DynamoStore.list_due_heartbeats

    def read_then_meet(self, moment):
        due = original(self, moment)
        barrier.wait()
        return due

    monkeypatch.setattr(DynamoStore, "list_due_heartbeats", read_then_meet)
    second_container = aws.functions.clone()
    results = []
    threads = [
        threading.Thread(target=lambda f=f: results.append(_sweep(aws, f))) for f in (aws.functions, second_container)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then exactly one of them sent the alert, and route made one group of it
    assert sorted(len(r["heartbeats"][signal]) for r in results) == [0, 1]
    aws.drain()
    [group] = _groups(aws, integration["id"])
    assert group["alerts_count"] == (2 if signal == "restored" else 1)
    assert group["state"] == ("resolved" if signal == "restored" else "firing")


def test_fail_and_start_signals(aws, now):
    integration = create_integration(aws, "formatted_webhook")
    base = ingest_path(integration) + "heartbeat/"
    assert aws.http("GET", base + "nope").status == 404
    # a failure raises the missing alert at once, without waiting for a sweep
    assert aws.http("POST", base + "fail").status == 200
    aws.drain()
    [group] = _groups(aws, integration["id"])
    assert group["state"] == "firing"
    # a run that starts and finishes: restored and nothing else
    assert aws.http("HEAD", base + "start").status == 200
    assert aws.http("GET", base).status == 200
    aws.drain()
    assert aws.api("GET", f"alert_groups/{group['id']}").body["state"] == "resolved"
    # a run that starts and never finishes is missing after the grace period
    aws.http("GET", base + "start")
    now.advance(seconds=61)
    assert _sweep(aws)["heartbeats"]["missing"] == [integration["id"]]
    # exit statuses: `curl …/heartbeat/$?`
    assert aws.http("GET", base + "0").status == 200
    aws.drain()
    assert aws.api("GET", f"integrations/{integration['id']}/heartbeat").body["state"] == "up"
    assert aws.http("POST", base + "3", b"").status == 200
    assert aws.api("GET", f"integrations/{integration['id']}/heartbeat").body["state"] == "down"
    # post_only: a GET (a chat's link preview) is refused
    aws.api("PATCH", f"integrations/{integration['id']}/heartbeat", {"post_only": True})
    assert aws.http("GET", base).status == 405 and aws.http("POST", base, b"").status == 200


def test_heartbeat_api_reset_and_validation(aws, now):
    integration = create_integration(aws, "webhook")
    path = f"integrations/{integration['id']}/heartbeat"
    aws.http("GET", ingest_path(integration) + "heartbeat/")
    reset = aws.api("POST", f"{path}/reset")
    assert reset.status == 200 and reset.body["state"] == "paused"
    now.advance(days=1)
    assert _sweep(aws)["heartbeats"]["missing"] == []
    bad = aws.api("PUT", path, {"period": 30, "cron": "every day", "timezone": "Nowhere"})
    assert bad.status == 400 and {"period", "cron", "timezone"} <= set(bad.body)
    cron = aws.api("PATCH", path, {"cron": "*/15 * * * *", "timezone": "Europe/Berlin", "grace_period": 120})
    assert cron.status == 200 and (cron.body["cron"], cron.body["period"]) == ("*/15 * * * *", 600)
    listed = aws.api("GET", "integrations").body["results"]
    assert next(i for i in listed if i["id"] == integration["id"])["heartbeat"]["cron"] == "*/15 * * * *"
    direct = aws.api("GET", "integrations/CNOPE/heartbeat")
    assert direct.status == 404


# ------------------------------------------------------------------------------------------ maintenance
def test_maintenance_collects_groups_and_resolves_them_when_stopped(aws, now):
    chain = create_chain(aws, PAGE)
    integration = create_integration(aws, chain_id=chain["id"], name="Prod AM")
    started = aws.api(
        "POST", f"integrations/{integration['id']}/maintenance_start", {"mode": "Maintenance", "duration": 3600}
    )
    assert started.status == 200, started.body
    assert started.body["maintenance_mode"] == "maintenance"
    assert started.body["maintenance_end_at"] == (now.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    again = aws.api("POST", f"integrations/{integration['id']}/maintenance_start", {"mode": "debug", "duration": 60})
    assert again.status == 400 and again.body["detail"] == "Already on maintenance"
    incident_id = started.body["maintenance_incident_id"]
    assert aws.api("GET", f"alert_groups/{incident_id}").body["title"] == "Maintenance of Prod AM for 1 hour"
    assert "Maintenance incidents" not in {i["name"] for i in aws.api("GET", "integrations").body["results"]}
    # when three groups are created during the window
    for name in ("A", "B", "C"):
        aws.http("POST", ingest_path(integration), am_payload(alertname=name))
    aws.drain()
    groups = _groups(aws, integration["id"])
    assert len(groups) == 3 and {g["root_alert_group_id"] for g in groups} == {incident_id}
    assert aws.api("POST", f"alert_groups/{incident_id}/acknowledge").status == 400
    time.sleep(0.3)
    assert aws.outbox_lines() == []  # nobody paged
    # when the maintenance is stopped early, all of them resolve
    stopped = aws.api("POST", f"integrations/{integration['id']}/maintenance_stop")
    assert stopped.status == 200 and stopped.body["maintenance_mode"] is None
    assert {g["state"] for g in _groups(aws, integration["id"])} == {"resolved"}
    assert aws.api("GET", f"alert_groups/{incident_id}").body["state"] == "resolved"


def test_maintenance_start_validation(aws, now):
    integration = create_integration(aws)
    path = f"integrations/{integration['id']}/maintenance_start"
    for body, field in [
        ({"mode": "party", "duration": 600}, "mode"),
        ({"mode": "debug", "duration": 30}, "duration"),
        ({"mode": "debug", "duration": 31 * 86400}, "duration"),
        ({"mode": "debug"}, "duration"),
        ({"mode": "debug", "end_at": "2001-01-01T00:00:00Z"}, "end_at"),
    ]:
        response = aws.api("POST", path, body)
        assert response.status == 400 and field in response.body, (body, response.body)
    end = (now.now() + timedelta(hours=2)).isoformat()
    ok = aws.api("POST", path, {"mode": "DEBUG", "end_at": end, "pause_running_escalations": True})
    assert ok.status == 200 and ok.body["maintenance_pauses_running_escalations"] is True


def test_debug_mode_records_a_dry_run_instead_of_paging(aws, now):
    chain = create_chain(aws, PAGE)
    integration = create_integration(aws, chain_id=chain["id"])
    aws.api("POST", f"integrations/{integration['id']}/maintenance_start", {"mode": "debug", "duration": 3600})
    aws.http("POST", ingest_path(integration), am_payload())
    aws.drain()
    [group] = _groups(aws, integration["id"])

    def dry_run():
        entries = aws.api("GET", f"alert_groups/{group['id']}/timeline").body["results"]
        return [e for e in entries if e["type"] == "would_have_notified"]

    [entry] = _wait_for(dry_run)
    assert entry["text"].startswith("Would have notified outbox://pager")
    assert aws.outbox_lines() == []


def test_pausing_running_escalations_stops_and_restarts_them(aws, now):
    chain = create_chain(aws, PAGE)
    integration = create_integration(aws, chain_id=chain["id"])
    aws.http("POST", ingest_path(integration), am_payload())
    aws.drain()
    [group] = _groups(aws, integration["id"])
    _wait_for(lambda: len(aws.outbox_lines()) == 1)
    body = {"mode": "maintenance", "duration": 600, "pause_running_escalations": True}
    assert aws.api("POST", f"integrations/{integration['id']}/maintenance_start", body).status == 200
    assert aws.execution_status(group["id"]) == "ABORTED"
    # at the end of the window the escalation starts again from step 0 (a second page)
    now.advance(minutes=10)
    assert _sweep(aws)["maintenance"]["ended"] == [integration["id"]]
    _wait_for(lambda: len(aws.outbox_lines()) == 2)
    assert aws.execution_status(f"{group['id']}-1", timeout=0.5) == "RUNNING"


def test_scheduled_and_recurring_windows(aws, now):
    integration = create_integration(aws)
    path = f"integrations/{integration['id']}/maintenance_windows"
    start = now.now() + timedelta(minutes=5)
    one = aws.api("POST", path, {"mode": "maintenance", "start_at": start.isoformat(), "duration": 600})
    assert one.status == 201, one.body
    recurring = aws.api(
        "POST", path, {"mode": "debug", "cron": "0 3 * * 6", "timezone": "Asia/Tokyo", "duration": 3600}
    )
    assert recurring.status == 201 and recurring.body["next_start_at"] is not None
    assert {w["id"] for w in aws.api("GET", path).body["results"]} == {one.body["id"], recurring.body["id"]}
    assert aws.api("POST", path, {"mode": "debug", "duration": 600}).status == 400
    assert aws.api("DELETE", f"{path}/{recurring.body['id']}").status == 204
    assert aws.api("GET", f"{path}/{recurring.body['id']}").status == 404
    # the sweep starts the window at its time, and ends it at its end
    assert _sweep(aws)["maintenance"]["started"] == []
    now.advance(minutes=5)
    assert _sweep(aws)["maintenance"]["started"] == [integration["id"]]
    shown = aws.api("GET", f"integrations/{integration['id']}").body
    assert shown["maintenance_mode"] == "maintenance" and shown["maintenance_window_id"] == one.body["id"]
    assert aws.api("GET", path).body["results"] == []
    now.advance(minutes=10)
    assert _sweep(aws)["maintenance"]["ended"] == [integration["id"]]
    assert aws.api("GET", f"integrations/{integration['id']}").body["maintenance_mode"] is None


def test_two_sweeps_at_once_start_a_window_once(aws, now, monkeypatch):
    integration = create_integration(aws)
    path = f"integrations/{integration['id']}/maintenance_windows"
    aws.api("POST", path, {"mode": "maintenance", "start_at": now.now().isoformat(), "duration": 600})
    barrier = threading.Barrier(2, timeout=10)
    original = DynamoStore.list_due_maintenance

    def read_then_meet(self, moment):
        due = original(self, moment)
        barrier.wait()
        return due

    monkeypatch.setattr(DynamoStore, "list_due_maintenance", read_then_meet)
    second_container = aws.functions.clone()
    results = []
    threads = [
        threading.Thread(target=lambda f=f: results.append(_sweep(aws, f))) for f in (aws.functions, second_container)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(len(r["maintenance"]["started"]) for r in results) == [0, 1]
    incidents = [g for g in aws.api("GET", "alert_groups").body["results"] if g["title"].startswith("Maintenance of")]
    assert len(incidents) == 1


def test_a_ping_is_one_dynamodb_write_with_the_config_cached(aws, monkeypatch):
    from oncall.platform import aws as oncall_aws

    integration = create_integration(aws, "webhook")
    hb_path = ingest_path(integration) + "heartbeat/"
    aws.set_env(ONCALL_CONFIG_CACHE_SECONDS="300")  # as deployed (seconds, not 0 as in these tests)
    calls: list[str] = []
    me = threading.current_thread()  # (executions left running by earlier tests share the client)
    with aws.functions.entered("IngestFunction"):
        ingest_dynamodb = oncall_aws.client("dynamodb")
    ingest_dynamodb.meta.events.register(
        "before-call.dynamodb.*",
        lambda model, **_: calls.append(model.name) if threading.current_thread() is me else None,
    )
    aws.http("GET", hb_path)  # a cold container reads the integration and the heartbeat settings once
    calls.clear()
    started = time.perf_counter()
    for _ in range(20):
        assert aws.http("GET", hb_path).status == 200
    elapsed = (time.perf_counter() - started) / 20
    assert calls == ["UpdateItem"] * 20
    print(f"warm heartbeat ping through the ingest handler on moto: {elapsed * 1000:.1f} ms")


def test_an_idle_sweep_publishes_no_metrics(aws, monkeypatch):
    # given nothing is due (a zero every minute would make each metric name a billed custom metric)
    module = aws.functions.module("HeartbeatCheckFunction")
    added = []
    monkeypatch.setattr(module.metrics, "add_metric", lambda **kwargs: added.append(kwargs))
    # when the sweep runs
    report = _sweep(aws)
    # then it reports zeros but publishes nothing
    assert not any(report["heartbeats"].values()) and added == []
