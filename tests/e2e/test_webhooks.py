"""Outgoing webhooks in the local stack (what `make run` starts): a real HTTP target on this machine that
fails once, the retry after the (time-scaled) backoff, the same Idempotency-Key on both attempts, and the
delivery log over HTTP."""

import time

import pytest
import requests

from tests.e2e.conftest import wait_until
from tests.http_receiver import Receiver

pytestmark = pytest.mark.e2e
MASK = "****************"


def test_webhook_is_retried_after_a_500_with_the_same_idempotency_key(local_stack):
    stack = local_stack
    integration = stack.api("POST", "integrations", json={"type": "webhook", "name": f"e2e-hooks-{time.time_ns()}"})
    assert integration.status_code == 201, integration.text
    integration = integration.json()
    with Receiver(script=[(500, {}, b"try again")]) as receiver:
        created = stack.api(
            "POST",
            "webhooks",
            json={
                "name": f"e2e-{time.time_ns()}",
                "url": receiver.url + "/incident",
                "trigger_type": "alert group created",
                "integration_filter": [integration["id"]],
                "forward_all": False,
                "data": '{"title": "{{ alert_group.title }}", "id": "{{ alert_group_id }}"}',
                "username": "bot",
                "password": "p4ss",
            },
        )
        assert created.status_code == 201, created.text
        webhook = created.json()
        assert webhook["password"] == MASK
        try:
            # when an alert opens a group
            sent = time.monotonic()
            response = requests.post(integration["link"], json={"title": 'Disk "full" on db-1'}, timeout=10)
            assert response.status_code == 200
            # then the target is called, fails, and is called again after the backoff
            got = receiver.wait_for(2, timeout=20)
            took = time.monotonic() - sent

            def both_logged():
                results = stack.api("GET", f"webhooks/{webhook['id']}/responses").json()["results"]
                return results if len(results) == 2 else None

            logged = wait_until(both_logged, timeout=5)
        finally:
            stack.api("DELETE", f"webhooks/{webhook['id']}")
    assert len(got) == 2, f"expected 2 deliveries, got {len(got)}"
    first, second = got
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.json() == second.json() and first.json()["title"] == 'Disk "full" on db-1'
    assert second.at - first.at >= 0.9  # SQS held the retry back (10 s × time scale 0.02, at least 1 s)
    print(f"alert → webhook delivered on the 2nd attempt: {took * 1000:.0f} ms")
    # and the delivery log over HTTP shows both attempts, credentials masked
    assert logged, "the responses endpoint did not show both attempts"
    assert [(r["attempt"], r["status_code"], r["outcome"]) for r in logged] == [
        (2, 200, "delivered"),
        (1, 500, "retrying"),
    ]
    assert logged[1]["request_headers"]["Authorization"] == MASK
    assert first.headers["Authorization"].startswith("Basic ")
