"""Issue 13 item 1 (read paths): one stored alert must never make a list fail for everyone.

The attack: an Alertmanager body with a value nested 252-255 levels deep was accepted, and from then on
`GET /alert_groups/` (and at 255, `GET /alerts/`) answered 500 for every user and page size. Ingest now bounds
the nesting (issue 12), but payloads already stored stay: these tests write the worst payloads straight into
the store (so they do not depend on ingest's bound) and read them through every read path. An item that cannot
be presented is shown degraded (its payload replaced by a marker saying why), never a 500."""

from __future__ import annotations

import json

import pytest

from oncall import wiring
from tests.builders import am_payload
from tests.http_receiver import Receiver
from tests.integration.conftest import create_integration, ingest_path


def nested(depth: int) -> dict:
    value: object = "deep"
    for _ in range(depth - 1):
        value = [value]
    return {"x": value}


def wide(keys: int) -> dict:
    return {f"k{i:06d}": "v" * 40 for i in range(keys)}


def _overwrite(alert, payload: dict) -> None:
    """Write the alert item straight into the table with `payload` (the store's put_alert refuses to overwrite,
    and pydantic could not even dump the deepest payloads)."""
    from oncall.storage.dynamo.table import compressed_payload, model_item

    store = wiring.store()
    item = model_item(alert.model_copy(update={"payload": {}}), {"pk": f"ALERT#{alert.id}", "sk": "ALERT"})
    item["payload_z"] = compressed_payload(payload)
    store._ddb.put_item(TableName=store._table, Item=item)


def _store_group_with(aws, payload: dict, count: int = 1) -> tuple[dict, list[str]]:
    """`count` groups of one integration, each holding an alert whose stored payload is then replaced by
    `payload` (as if an older ingest had accepted it)."""
    integration = create_integration(aws)
    for n in range(count):
        body = am_payload(alertname=f"Deep{n}")
        assert aws.http("POST", ingest_path(integration), json.dumps(body)).status == 200
    aws.drain()
    store = wiring.store()
    groups = [g for g in store.list_groups() if g.integration_id == integration["id"]]
    assert len(groups) == count
    for group in groups:
        alert = store.get_alert(group.last_alert_id)
        _overwrite(alert, payload)
    return integration, [g.id for g in groups]


WORST = {
    "nested-252": nested(252),
    "nested-255": nested(255),
    "nested-400": nested(400),
}


@pytest.mark.parametrize("payload", WORST.values(), ids=WORST.keys())
def test_lists_and_gets_survive_a_deeply_nested_stored_payload(aws, payload):
    # given a healthy group next to one whose alert payload is nested too deep to present
    healthy = create_integration(aws)
    assert aws.http("POST", ingest_path(healthy), json.dumps(am_payload(alertname="Fine"))).status == 200
    _, [bad_id] = _store_group_with(aws, payload)
    # when anyone lists or reads groups and alerts, at any page size
    for perpage in (1, 2, 50):
        for page in (1, 2):
            listed = aws.api("GET", "alert_groups", query=f"perpage={perpage}&page={page}")
            assert listed.status == 200, listed.body
    groups = aws.api("GET", "alert_groups").body["results"]
    # then every group is listed, the bad one degraded with a marker saying why
    assert {g["id"] for g in groups} >= {bad_id}
    [bad] = [g for g in groups if g["id"] == bad_id]
    assert bad["last_alert"]["payload"]["oncall_payload_unavailable"].startswith("nested deeper than")
    one = aws.api("GET", f"alert_groups/{bad_id}")
    assert one.status == 200 and one.body["last_alert"]["payload"] == bad["last_alert"]["payload"]
    for query in ("", f"alert_group_id={bad_id}", f"id={bad['last_alert']['id']}", "search=deep"):
        alerts = aws.api("GET", "alerts", query=query)
        assert alerts.status == 200, (query, alerts.body)
    assert any(a["alert_group_id"] == bad_id for a in aws.api("GET", "alerts").body["results"])
    # and the healthy group is shown whole
    fine = [g for g in groups if g["id"] != bad_id][0]
    assert fine["last_alert"]["payload"]["alerts"][0]["labels"]["alertname"] == "Fine"


def test_a_page_of_wide_payloads_stays_within_the_response_limit(aws):
    # given 30 groups whose alerts each hold a ~250 KB payload (the largest body ingest accepts)
    payload = wide(4500)
    assert 200_000 < len(json.dumps(payload)) < 256 * 1024
    _store_group_with(aws, payload, count=30)
    # when a page of 100 is listed
    listed = aws.api("GET", "alert_groups", query="perpage=100")
    alerts = aws.api("GET", "alerts", query="perpage=100")
    # then both answer, below Lambda's 6 MB response limit, and items beyond the budget are degraded
    for response in (listed, alerts):
        assert response.status == 200
        assert len(json.dumps(response.body).encode()) < 6 * 1024 * 1024 * 0.9
    shown = [g["last_alert"]["payload"] for g in listed.body["results"]]
    assert any("oncall_payload_unavailable" in p for p in shown) and any("k000000" in p for p in shown)
    # and a degraded alert can still be read whole on its own
    one = aws.api("GET", "alerts", query=f"id={listed.body['results'][-1]['last_alert']['id']}")
    assert one.status == 200 and one.body["results"][0]["payload"] == payload


def test_webhooks_still_deliver_for_a_deeply_nested_alert(aws):
    aws.set_env(ONCALL_ALLOW_PRIVATE_TARGETS="true")  # the receiver is on 127.0.0.1
    with Receiver() as target:
        _, [group_id] = _store_group_with(aws, nested(400))
        hook = aws.api("POST", "webhooks", {"name": "all", "url": target.url + "/x", "trigger_type": "acknowledge"})
        assert hook.status == 201
        # when the group is acknowledged (an event whose data carries the alert payload)
        assert aws.api("POST", f"alert_groups/{group_id}/acknowledge").status == 200
        aws.drain_events()
        # then the webhook is delivered, the payload shown degraded
        [got] = target.wait_for(1)
        assert "oncall_payload_unavailable" in json.dumps(got.json()["alert_payload"])
