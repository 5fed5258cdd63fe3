"""The ready-made demo the local stack creates through its own API: an escalation chain that notifies the
local outbox, waits 5 minutes and notifies again, and an Alertmanager integration routed to it."""

from __future__ import annotations

from dataclasses import dataclass

import requests

DEMO_INTEGRATION = "Demo Alertmanager"
DEMO_CHAIN = "Demo chain"
DEMO_CHANNEL = "outbox://demo"


@dataclass(frozen=True)
class Demo:
    integration_id: str
    ingest_url: str
    chain_id: str


def create_demo(base_url: str, token: str) -> Demo:
    session = requests.Session()
    session.headers["Authorization"] = token

    def post(path: str, body: dict) -> dict:
        response = session.post(f"{base_url}/api/v1/{path}/", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    chain = post("escalation_chains", {"name": DEMO_CHAIN})
    for step in (
        {"type": "notify_channel", "channel": DEMO_CHANNEL},
        {"type": "wait", "duration": 300},
        {"type": "notify_channel", "channel": DEMO_CHANNEL, "important": True},
    ):
        post("escalation_policies", {"escalation_chain_id": chain["id"], **step})
    integration = post(
        "integrations",
        {"type": "alertmanager", "name": DEMO_INTEGRATION, "default_route": {"escalation_chain_id": chain["id"]}},
    )
    return Demo(integration_id=integration["id"], ingest_url=integration["link"], chain_id=chain["id"])
