"""The options beyond OnCall, end to end on moto: time-based auto-resolve with the real state machine, and
route-independent grouping."""

import time

from tests.builders import am_payload
from tests.integration.conftest import create_chain, create_integration, ingest_path


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return result


def test_auto_resolve_resolves_a_quiet_group_and_stops_its_escalation(aws):
    # given an integration that auto-resolves after 1 minute (60 ms at the tests' time scale)
    chain = create_chain(aws, [{"type": "wait", "duration": 3600}])
    integration = create_integration(aws, chain_id=chain["id"], auto_resolve_minutes=1)
    # when a firing alert arrives and nothing follows it
    aws.http("POST", ingest_path(integration), am_payload())
    aws.drain()
    [group] = aws.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body["results"]
    # then the timer execution resolves the group and the escalation is stopped
    resolved = _wait_for(lambda: (g := aws.api("GET", f"alert_groups/{group['id']}").body)["state"] == "resolved" and g)
    assert resolved["resolved_by"] is None  # not a user
    assert aws.execution_status(group["id"]) == "ABORTED"
    timeline = aws.api("GET", f"alert_groups/{group['id']}/timeline").body["results"]
    assert timeline[-1]["text"] == "Resolved automatically: no new alerts for the configured time."


def test_integration_scope_lets_a_resolve_on_another_route_meet_its_group(aws):
    integration = create_integration(aws, grouping_scope="integration")
    firing_route = aws.api(
        "POST", "routes", {"integration_id": integration["id"], "routing_regex": '"status": "firing"'}
    ).body
    aws.http("POST", ingest_path(integration), am_payload())
    aws.http("POST", ingest_path(integration), am_payload("resolved"))  # routes to the default route
    aws.drain()
    [group] = aws.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body["results"]
    assert (group["state"], group["alerts_count"], group["route_id"]) == ("resolved", 2, firing_route["id"])
