"""Alert-group actions through the API, with the real state machine running escalations and timers."""

import time

from tests.builders import am_payload
from tests.integration.conftest import create_chain, create_integration, ingest_path

CHAIN = [{"type": "notify_channel", "channel": "outbox://pager"}, {"type": "wait", "duration": 3600}]


def _fire(aws, chain_steps=CHAIN):
    chain = create_chain(aws, chain_steps)
    integration = create_integration(aws, chain_id=chain["id"])
    aws.http("POST", ingest_path(integration), am_payload())
    aws.drain()
    [group] = aws.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body["results"]
    return group["id"]


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_acknowledge_stops_and_unacknowledge_restarts_from_step_zero(aws):
    group_id = _fire(aws)
    _wait_for(lambda: len(aws.outbox_lines()) == 1)
    acked = aws.api("POST", f"alert_groups/{group_id}/acknowledge")
    assert acked.status == 200 and acked.body["state"] == "acknowledged"
    assert aws.execution_status(group_id) == "ABORTED"
    again = aws.api("POST", f"alert_groups/{group_id}/acknowledge")
    assert again.status == 400 and "already acknowledged" in again.body["detail"]
    # unacknowledge: a new execution pages from step 0 again
    assert aws.api("POST", f"alert_groups/{group_id}/unacknowledge").body["state"] == "firing"
    _wait_for(lambda: len(aws.outbox_lines()) == 2)
    assert aws.execution_status(f"{group_id}-1", timeout=0.5) == "RUNNING"
    timeline = [e["type"] for e in aws.api("GET", f"alert_groups/{group_id}/timeline").body["results"]]
    assert timeline == ["registered", "notified", "acknowledged", "unacknowledged", "notified"]


def test_timed_silence_ends_by_itself_through_a_timer_execution(aws):
    group_id = _fire(aws)
    _wait_for(lambda: len(aws.outbox_lines()) == 1)
    silenced = aws.api("POST", f"alert_groups/{group_id}/silence", {"delay": 1800})
    assert silenced.status == 200 and silenced.body["state"] == "silenced"
    # the 30-minute silence (1.8 s at this time scale) ends, and escalation restarts from step 0
    _wait_for(lambda: aws.api("GET", f"alert_groups/{group_id}").body["state"] == "firing")
    _wait_for(lambda: len(aws.outbox_lines()) == 2)


def test_silence_validation_and_forever(aws):
    group_id = _fire(aws)
    assert aws.api("POST", f"alert_groups/{group_id}/silence", {"delay": -5}).status == 400
    assert aws.api("POST", f"alert_groups/{group_id}/silence", {}).status == 400
    forever = aws.api("POST", f"alert_groups/{group_id}/silence", {"delay": -1}).body
    assert forever["state"] == "silenced" and forever["silenced_until"] is None
    assert aws.api("POST", f"alert_groups/{group_id}/unsilence").body["state"] == "firing"


def test_resolve_unresolve_and_wipe(aws):
    group_id = _fire(aws)
    assert aws.api("POST", f"alert_groups/{group_id}/resolve").body["state"] == "resolved"
    assert aws.api("POST", f"alert_groups/{group_id}/unresolve").body["state"] == "firing"
    wiped = aws.http(
        "DELETE", f"/api/v1/alert_groups/{group_id}/", {"mode": "wipe"}, headers={"authorization": "admin-test-token"}
    )
    assert wiped.status == 204
    group = aws.api("GET", f"alert_groups/{group_id}").body
    assert group["state"] == "resolved" and group["last_alert"]["payload"]["message"].startswith("Wiped by")


def test_delete_mode_removes_the_group(aws):
    group_id = _fire(aws)
    deleted = aws.http(
        "DELETE", f"/api/v1/alert_groups/{group_id}/", {"mode": "delete"}, headers={"authorization": "admin-test-token"}
    )
    assert deleted.status == 204
    assert aws.api("GET", f"alert_groups/{group_id}").status == 404


def test_attach_and_cascade(aws):
    chain = create_chain(aws, CHAIN)
    integration = create_integration(aws, chain_id=chain["id"])
    for name in ("A", "B"):
        aws.http("POST", ingest_path(integration), am_payload(alertname=name))
    aws.drain()
    groups = {g["title"]: g["id"] for g in aws.api("GET", "alert_groups").body["results"]}
    attached = aws.api("POST", f"alert_groups/{groups['B']}/attach", {"root_alert_group_id": groups["A"]}).body
    assert attached["root_alert_group_id"] == groups["A"]
    aws.api("POST", f"alert_groups/{groups['A']}/acknowledge")
    assert aws.api("GET", f"alert_groups/{groups['B']}").body["state"] == "acknowledged"


def test_viewer_cannot_act(aws):
    from oncall import wiring
    from oncall.models import ApiToken, ApiTokenRole
    from oncall.platform import ids

    group_id = _fire(aws)
    viewer = ids.api_token()
    wiring.store().put_api_token(
        ApiToken(
            id="T9",
            name="ro",
            role=ApiTokenRole.VIEWER,
            digest=ids.token_digest(viewer),
            created_at="2026-01-01T00:00:00Z",
        )
    )
    assert aws.api("POST", f"alert_groups/{group_id}/acknowledge", token=viewer).status == 403
