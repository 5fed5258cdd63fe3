"""`make screenshots`: start a local stack, put a few alerts in it, and save the console's pages as PNGs at
desktop (1280 px) and phone (360 px) widths into the given directory (docs/console by default)."""

from __future__ import annotations

import base64
import sys
import tempfile
import time
from pathlib import Path

import requests

from oncall_local.process import start_local_stack
from tests.builders import am_payload
from tests.e2e import browser as chromium

TOKEN = "screenshots-admin-token"
WIDTHS = {"desktop": 1280, "phone": 360}


def _seed_people(stack) -> str:
    """Two users on a weekly rotation and a webhook: the user, schedules and webhooks pages."""
    from datetime import UTC, datetime, timedelta

    ids = []
    for username, name in (("alice", "Alice Martin"), ("bob", "Bob Okafor")):
        user = stack.api(
            "POST",
            "users",
            json={
                "username": username,
                "name": name,
                "email": f"{username}@example.com",
                "contacts": {"pager": f"outbox://{username}", "slack": "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcO"},
                "default_rules": [{"type": "notify", "contact": "slack"}, {"type": "wait", "duration": 300}],
                "important_rules": [{"type": "notify", "contact": "pager"}],
            },
        ).json()
        ids.append(user["id"])
    start = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT09:00:00")
    stack.api(
        "POST",
        "schedules",
        json={"name": "Primary", "layers": [{"frequency": "weekly", "users": ids, "start": start}]},
    )
    stack.api(
        "POST",
        "webhooks",
        json={"name": "Ticketing", "url": "https://tickets.example/hook", "trigger_type": "alert group created"},
    )
    return ids[0]


def _seed(stack) -> tuple[str, str, str]:
    chain = stack.api("POST", "escalation_chains", json={"name": "Primary on-call"}).json()
    stack.api(
        "POST",
        "escalation_policies",
        json={"escalation_chain_id": chain["id"], "type": "notify_channel", "channel": "outbox://pager"},
    )
    integration = stack.api(
        "POST",
        "integrations",
        json={
            "type": "alertmanager",
            "name": "Production Alertmanager",
            "default_route": {"escalation_chain_id": chain["id"]},
        },
    ).json()
    stack.api("POST", "integrations", json={"type": "formatted_webhook", "name": "Nightly backup"})
    for name, instance in (("DiskFull", "db-1"), ("HighLatency", "api-2"), ("CertificateExpiry", "edge-1")):
        payload = am_payload(alertname=name)
        payload["alerts"][0]["labels"]["instance"] = instance
        payload["alerts"][0]["annotations"] = {"summary": f"{name} on {instance}", "description": "Runbook: see wiki"}
        requests.post(integration["link"], json=payload, timeout=10).raise_for_status()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        groups = stack.api("GET", "alert_groups").json()["results"]
        if len(groups) >= 3:
            break
        time.sleep(0.2)
    stack.api("POST", f"alert_groups/{groups[1]['id']}/acknowledge")
    return groups[0]["id"], integration["id"], chain["id"]


def _shoot(driver, url: str, path: Path, width: int) -> None:
    """The whole page at `width` CSS pixels (a phone width is emulated as a mobile viewport)."""
    mobile = width < 500
    metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": mobile}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    driver.get(url)
    height = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]["height"]
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": int(height)})
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    path.write_bytes(base64.b64decode(shot["data"]))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "docs/console")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_local_stack(Path(tmp), admin_token=TOKEN, time_scale="0.02")
        driver = chromium.start()
        try:
            group_id, integration_id, chain_id = _seed(stack)
            user_id = _seed_people(stack)
            base = stack.base_url
            driver.get(f"{base}/console/signin")
            driver.find_element("id", "token").send_keys(TOKEN)
            driver.find_element("css selector", "form[action='/console/signin'] button").click()
            time.sleep(0.5)
            pages = {
                "alert-groups": f"{base}/console/alert_groups",
                "alert-group": f"{base}/console/alert_groups/{group_id}",
                "integrations": f"{base}/console/integrations",
                "integration": f"{base}/console/integrations/{integration_id}",
                "templates": f"{base}/console/integrations/{integration_id}/templates?name=web.title",
                "escalation-chain": f"{base}/console/escalation_chains/{chain_id}",
                "schedules": f"{base}/console/schedules",
                "user": f"{base}/console/users/{user_id}",
                "webhooks": f"{base}/console/webhooks",
            }
            for name, url in pages.items():
                for label, width in WIDTHS.items():
                    target = out / f"{name}-{label}.png"
                    _shoot(driver, url, target, width)
                    print(target)
            driver.delete_all_cookies()
            driver.get(f"{base}/console/signin")
            for label, width in WIDTHS.items():
                _shoot(driver, f"{base}/console/signin", out / f"signin-{label}.png", width)
                print(out / f"signin-{label}.png")
        finally:
            driver.quit()
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
