from oncall_cli.local.topology import Schedule
from oncall_cli.local.workers import scheduler_event
from tests.integration.conftest import create_integration, ingest_path


def test_sweep_finds_overdue_heartbeats_from_the_sparse_index(aws, monkeypatch):
    integration = create_integration(aws)
    event = scheduler_event(Schedule("rate(1 minute)", "HeartbeatCheckFunction"))
    assert aws.functions.invoke("HeartbeatCheckFunction", event) == {"overdue": []}
    aws.http("GET", ingest_path(integration) + "heartbeat/")
    assert aws.functions.invoke("HeartbeatCheckFunction", event) == {"overdue": []}
    # when the 600 s timeout has passed without a ping
    from datetime import timedelta

    from oncall import clock

    later = clock.SystemClock().now() + timedelta(seconds=601)
    monkeypatch.setattr(clock, "_clock", type("Later", (), {"now": staticmethod(lambda: later)})())
    assert aws.functions.invoke("HeartbeatCheckFunction", event) == {"overdue": [integration["id"]]}
