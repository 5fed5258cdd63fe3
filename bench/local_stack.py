"""Measurements against the local stack as a user runs it (`oncall local`, real handlers on moto over HTTP):

- storm: N Alertmanager alerts over G groups sent as fast as the stack accepts them (a pool of senders);
  accepted per second, time until every alert is processed, alerts lost, groups created, first-step
  notifications;
- latency: alert POST → first notification in the outbox, over fresh groups (median and p95).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

from oncall_local.process import LocalStackProcess, start_local_stack

REPO = Path(__file__).resolve().parents[1]
PAYLOAD = json.loads((REPO / "tests" / "fixtures" / "alertmanager" / "01_single_firing.json").read_text())
CHAIN = [{"type": "notify_channel", "channel": "outbox://bench"}, {"type": "wait", "duration": 3600}]
ADMIN = "bench-admin-token"


@dataclass
class StormResult:
    requested: int  # alerts the storm was to send
    alerts: int  # alerts sent (fewer than requested if the time budget ran out)
    groups_expected: int
    send_seconds: float
    accepted_per_second: float
    rejected: int
    processed_seconds: float
    alerts_counted: int
    alerts_lost: int
    groups_created: int
    first_step_notifications: int


@dataclass
class LatencyResult:
    samples: int
    median_ms: float
    p95_ms: float
    max_ms: float


def _payload(alertname: str) -> dict:
    return {
        **PAYLOAD,
        "groupKey": f'{{}}:{{alertname="{alertname}"}}',
        "groupLabels": {"alertname": alertname},
        "commonLabels": {**PAYLOAD.get("commonLabels", {}), "alertname": alertname},
    }


def _integration(stack: LocalStackProcess, name: str) -> dict:
    chain = stack.api("POST", "escalation_chains", json={"name": f"{name}-chain"}).json()
    for step in CHAIN:
        stack.api("POST", "escalation_policies", json={"escalation_chain_id": chain["id"], **step}).raise_for_status()
    created = stack.api(
        "POST",
        "integrations",
        json={"type": "alertmanager", "name": name, "default_route": {"escalation_chain_id": chain["id"]}},
    )
    created.raise_for_status()
    return created.json()


def _groups(stack: LocalStackProcess, integration_id: str) -> list[dict]:
    groups, page = [], 1
    while True:
        body = stack.api(
            "GET", "alert_groups", params={"integration_id": integration_id, "page": page, "perpage": 1000}
        ).json()
        groups += body["results"]
        if not body["next"]:
            return groups
        page += 1


def storm(
    stack: LocalStackProcess,
    alerts: int = 10_000,
    groups: int = 50,
    senders: int = 8,
    timeout: float = 900,
    send_budget: float | None = None,
) -> StormResult:
    """`send_budget`: seconds after which no new alert is sent (the result says how many were)."""
    integration = _integration(stack, f"storm-{uuid.uuid4().hex[:6]}")
    url = integration["link"]
    bodies = [json.dumps(_payload(f"Storm{n % groups}")) for n in range(alerts)]
    sessions = [requests.Session() for _ in range(senders)]
    retries: list[str] = []
    send_until = time.monotonic() + send_budget if send_budget else float("inf")

    def send(index: int) -> int | None:
        if time.monotonic() > send_until:
            return None
        session = sessions[index % senders]
        for _attempt in range(5):  # a sender retries 5xx, as Alertmanager does
            response = session.post(url, data=bodies[index], headers={"Content-Type": "application/json"}, timeout=60)
            if response.status_code < 500:
                return response.status_code
            retries.append(f"{response.status_code} {response.text[:200]}")
        return response.status_code

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=senders) as pool:
        statuses = [status for status in pool.map(send, range(alerts)) if status is not None]
    send_seconds = time.monotonic() - started
    sent = len(statuses)
    if retries:
        print(f"{len(retries)} retried 5xx, e.g. {retries[:3]}")
    counted = 0
    while time.monotonic() - started < timeout:
        found = _groups(stack, integration["id"])
        counted = sum(g["alerts_count"] for g in found)
        if counted >= statuses.count(200):
            break
        time.sleep(2)  # listing every group costs the stack too
    processed_seconds = time.monotonic() - started
    found = _groups(stack, integration["id"])
    group_ids = {g["id"] for g in found}
    notified = sum(1 for line in stack.outbox_lines() if json.loads(line)["group_id"] in group_ids)
    return StormResult(
        requested=alerts,
        alerts=sent,
        groups_expected=min(groups, sent),
        send_seconds=send_seconds,
        accepted_per_second=statuses.count(200) / send_seconds,
        rejected=sent - statuses.count(200),
        processed_seconds=processed_seconds,
        alerts_counted=counted,
        alerts_lost=statuses.count(200) - counted,
        groups_created=len(found),
        first_step_notifications=notified,
    )


def latency(stack: LocalStackProcess, samples: int = 50) -> LatencyResult:
    integration = _integration(stack, f"latency-{uuid.uuid4().hex[:6]}")
    durations = []
    for n in range(samples):
        name = f"Latency{n}x{uuid.uuid4().hex[:6]}"
        seen = len(stack.outbox_lines())
        started = time.monotonic()
        requests.post(integration["link"], json=_payload(name), timeout=30).raise_for_status()
        while True:
            lines = stack.outbox_lines()[seen:]
            if any(name in json.loads(line)["title"] for line in lines):
                break
            if time.monotonic() - started > 30:
                raise TimeoutError(f"no notification for {name} within 30 s")
            time.sleep(0.005)
        durations.append((time.monotonic() - started) * 1000)
    ordered = sorted(durations)
    return LatencyResult(
        samples=samples,
        median_ms=statistics.median(ordered),
        p95_ms=ordered[max(0, round(0.95 * len(ordered)) - 1)],
        max_ms=ordered[-1],
    )


def run(
    alerts: int = 10_000, groups: int = 50, samples: int = 50, send_budget: float | None = None
) -> tuple[StormResult, LatencyResult]:
    with tempfile.TemporaryDirectory() as state:
        stack = start_local_stack(Path(state), admin_token=ADMIN, time_scale="1")
        try:
            latency_result = latency(stack, samples)
            storm_result = storm(stack, alerts, groups, send_budget=send_budget)
        finally:
            try:
                stack.stop()
            except subprocess.TimeoutExpired:
                # Measured already; a stack slow to stop after a storm (its Step Functions executions still
                # waiting in moto's threads) is killed, and said so, rather than losing the whole report.
                print("the local stack did not stop in time after the storm: killed", file=sys.stderr)
    return storm_result, latency_result


if __name__ == "__main__":
    import argparse
    from dataclasses import asdict

    parser = argparse.ArgumentParser(description="storm and latency against the local stack")
    parser.add_argument("alerts", type=int, nargs="?", default=10_000)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--samples", type=int, default=50, help="latency samples (one new group each)")
    parser.add_argument("--send-budget", type=float, default=None, help="stop sending after this many seconds")
    args = parser.parse_args()
    storm_result, latency_result = run(args.alerts, args.groups, args.samples, args.send_budget)
    print(json.dumps({"storm": asdict(storm_result), "latency": asdict(latency_result)}))
