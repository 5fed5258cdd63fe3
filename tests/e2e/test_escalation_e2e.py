"""The escalation engine in the time-scaled local stack (0.02: a 5-minute wait takes 6 s): a repeating chain
pages, the signed link printed on the console acknowledges it (GET shows a page, POST acts), and an
unacknowledge through the API restarts it from step 0."""

import json
import re
import statistics
import time
import uuid

import pytest
import requests

from tests.builders import am_payload
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e
# route caches the configuration for 5 s (decision 5, docs/decisions/0005-config-cached-briefly-no-scans.md):
# new chains apply after that
CONFIG_CACHE_SECONDS = 5


def _integration(stack, steps: list[dict]) -> dict:
    chain = stack.api("POST", "escalation_chains", json={"name": f"e2e-{uuid.uuid4().hex[:8]}"}).json()
    for step in steps:
        response = stack.api("POST", "escalation_policies", json={"escalation_chain_id": chain["id"], **step})
        assert response.status_code == 201, response.text
    body = {
        "type": "alertmanager",
        "name": f"e2e-{uuid.uuid4().hex[:8]}",
        "default_route": {"escalation_chain_id": chain["id"]},
    }
    response = stack.api("POST", "integrations", json=body)
    assert response.status_code == 201, response.text
    time.sleep(CONFIG_CACHE_SECONDS + 0.3)
    return response.json()


def _pages(stack, group_id: str) -> list[dict]:
    return [n for n in map(json.loads, stack.outbox_lines()) if n["group_id"] == group_id]


def _group_id(stack, integration_id: str) -> str:
    groups = wait_until(
        lambda: stack.api("GET", "alert_groups", params={"integration_id": integration_id}).json()["results"], 5
    )
    assert groups, "no alert group"
    return groups[0]["id"]


def _printed_link(stack, group_id: str, action: str) -> str | None:
    pattern = re.compile(rf"✔ {action}\s+curl -X POST (\S+/actions/{group_id}\.{action}\.\S+)")
    found = [m.group(1) for line in stack.output if (m := pattern.search(line))]
    return found[-1] if found else None


def test_pages_until_acknowledged_by_link_and_restarts_on_unacknowledge(local_stack):
    stack = local_stack
    integration = _integration(
        stack,
        [
            {"type": "notify_channel", "channel": "outbox://e2e-first"},
            {"type": "wait", "duration": 300},
            {"type": "notify_channel", "channel": "outbox://e2e-second"},
            {"type": "repeat_escalation"},
        ],
    )
    requests.post(integration["link"], json=am_payload(alertname="EngineE2E"), timeout=10).raise_for_status()
    group_id = _group_id(stack, integration["id"])
    try:
        # the chain pages at once, then after the 5-minute wait (6 s) again — and repeats from step 0
        assert wait_until(lambda: len(_pages(stack, group_id)) == 1, 3), "no first page"
        assert wait_until(lambda: len(_pages(stack, group_id)) >= 3, 12), "no second page after the wait"
        pages = _pages(stack, group_id)
        assert [p["channel"] for p in pages[:3]] == ["outbox://e2e-first", "outbox://e2e-second", "outbox://e2e-first"]
        assert [p["idempotency_key"] for p in pages[:3]] == [f"{group_id}#0#0", f"{group_id}#2#0", f"{group_id}#0#1"]

        # the console shows the signed links; a browser's GET goes on to the web console's page for the link,
        # which offers the action and changes nothing
        link = wait_until(lambda: _printed_link(stack, group_id, "acknowledge"), 2)
        assert link, "no acknowledge link printed on the console"
        page = requests.get(link, headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 200 and "/console/link/" in page.url
        assert f'<form method="post" action="/console/link/{link.rsplit("/", 1)[1]}">' in page.text
        assert stack.api("GET", f"alert_groups/{group_id}").json()["state"] == "firing"
        # POST acknowledges (what `curl -X POST <link>` does)
        acked = requests.post(link, timeout=10)
        assert acked.status_code == 200 and acked.text.startswith("Acknowledged ✓")
        assert stack.api("GET", f"alert_groups/{group_id}").json()["state"] == "acknowledged"
        paged = len(_pages(stack, group_id))
        time.sleep(6.5)  # past the chain's wait: no page comes any more
        assert len(_pages(stack, group_id)) == paged

        # unacknowledge through the API: a new escalation pages from step 0
        assert stack.api("POST", f"alert_groups/{group_id}/unacknowledge").json()["state"] == "firing"
        assert wait_until(lambda: len(_pages(stack, group_id)) == paged + 1, 3), "no page after unacknowledge"
        restarted = _pages(stack, group_id)[-1]
        assert (restarted["channel"], restarted["idempotency_key"]) == ("outbox://e2e-first", f"{group_id}-1#0#0")

        timeline = stack.api("GET", f"alert_groups/{group_id}/timeline").json()["results"]
        types = [e["type"] for e in timeline]
        assert types[:5] == ["registered", "notified", "notified", "escalation_repeated", "notified"]
        ack = types.index("acknowledged")
        assert timeline[ack]["text"] == "Acknowledged by a notification link."
        assert types[ack + 1 :] == ["unacknowledged", "notified"]
    finally:
        stack.api("POST", f"alert_groups/{group_id}/resolve")


def test_alert_to_first_notification_latency(local_stack):
    """Median time from an alert POST on the demo integration to its first notification in the outbox (the
    number in the README). The groups are resolved afterwards, so the demo chain pages nobody again."""
    stack = local_stack
    demo = stack.api("GET", "integrations", params={"name": "Demo Alertmanager"}).json()["results"][0]
    samples, names = [], []
    try:
        for run in range(7):
            name = f"Latency{run}x{uuid.uuid4().hex[:6]}"
            names.append(name)
            sent = time.monotonic()
            requests.post(demo["link"], json=am_payload(alertname=name), timeout=10).raise_for_status()
            assert wait_until(lambda name=name: any(name in line for line in stack.outbox_lines()), 5, interval=0.005)
            samples.append(time.monotonic() - sent)
    finally:
        for group in stack.api("GET", "alert_groups", params={"integration_id": demo["id"]}).json()["results"]:
            if group["title"] in names:
                stack.api("POST", f"alert_groups/{group['id']}/resolve")
    median = statistics.median(samples)
    print(
        f"alert → first notification: median {median * 1000:.0f} ms over {len(samples)} runs "
        f"(min {min(samples) * 1000:.0f}, max {max(samples) * 1000:.0f})"
    )
    assert median < 2.0
