"""Real Alertmanager 0.25 webhook bodies (tests/fixtures/alertmanager, copied from
../shared/reference/payloads/alertmanager) replayed in order through the ingest handler and the route
function on moto: Alertmanager v2 semantics (one alert per notification, grouped by groupKey, resolved by the
notification's own status — a partially resolved notification keeps the group firing)."""

import pytest

from tests.integration.conftest import create_chain, create_integration, ingest_path

PAIRS = [
    ("01_single_firing", "02_single_resolved", "SingleAlert"),
    ("03_group_two_firing", "04_group_two_resolved", "HighErrorRate"),
    ("05_group_partially_resolved", "06_group_last_resolved", "DiskFull"),
    ("07_prometheus_rule_firing", "08_prometheus_rule_resolved", "AcceptanceProbeFailed"),
]


def _send(aws, integration, body):
    response = aws.http("POST", ingest_path(integration), body, headers={"user-agent": "Alertmanager/0.25.0"})
    assert (response.status, response.body) == (200, "Ok.")
    assert aws.drain() == 1


def _groups(aws, integration):
    return aws.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body["results"]


@pytest.mark.parametrize(("firing", "resolved", "title"), PAIRS, ids=[p[2] for p in PAIRS])
def test_capture_pair_makes_one_group_then_resolves_it(aws, alertmanager_captures, firing, resolved, title):
    integration = create_integration(aws, "alertmanager")
    # when the firing notification arrives (for 05: one alert already resolved, one still firing)
    _send(aws, integration, alertmanager_captures[firing])
    [group] = _groups(aws, integration)
    # then one group is open and firing
    assert (group["state"], group["alerts_count"], group["title"]) == ("firing", 1, title)
    # when the resolved notification arrives
    _send(aws, integration, alertmanager_captures[resolved])
    # then the same group is resolved by its source
    [after] = _groups(aws, integration)
    assert (after["id"], after["state"], after["alerts_count"]) == (group["id"], "resolved", 2)
    timeline = aws.api("GET", f"alert_groups/{group['id']}/timeline").body["results"]
    assert [e["type"] for e in timeline] == ["registered", "resolved"]
    assert timeline[-1]["text"] == "Resolved by the alert source."


def test_all_captures_in_order_through_one_integration_with_escalation(aws, alertmanager_captures):
    chain = create_chain(aws, [{"type": "wait", "duration": 3600}])
    integration = create_integration(aws, "alertmanager", chain_id=chain["id"])
    for firing, resolved, title in PAIRS:
        _send(aws, integration, alertmanager_captures[firing])
        [group] = [g for g in _groups(aws, integration) if g["title"] == title]
        assert group["state"] == "firing"
        assert aws.execution_status(group["id"], timeout=0.2) == "RUNNING"
        _send(aws, integration, alertmanager_captures[resolved])
        assert aws.api("GET", f"alert_groups/{group['id']}").body["state"] == "resolved"
        assert aws.execution_status(group["id"]) == "ABORTED"
    groups = _groups(aws, integration)
    assert sorted(g["title"] for g in groups) == sorted(p[2] for p in PAIRS)
    assert {(g["state"], g["alerts_count"]) for g in groups} == {("resolved", 2)}
    # a re-fire after the resolve opens a new group (OnCall: resolved groups stop grouping)
    _send(aws, integration, alertmanager_captures["01_single_firing"])
    assert len(_groups(aws, integration)) == 5
