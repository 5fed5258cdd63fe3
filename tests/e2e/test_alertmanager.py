"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager) sends to the local stack through the
shared acceptance harness; the API must show one group for its two alerts, resolved at the end."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO_ROOT, wait_until

pytestmark = pytest.mark.e2e
# ../shared next to the checkout (as in CI); ONCALL_SHARED_DIR overrides; /work/shared is this workplace's copy.
_SHARED_CANDIDATES = [
    Path(p) for p in (os.environ.get("ONCALL_SHARED_DIR"), REPO_ROOT.parent / "shared", "/work/shared") if p
]
HARNESS = next(
    (c / "acceptance" / "alertmanager_e2e.sh" for c in _SHARED_CANDIDATES if (c / "acceptance").is_dir()),
    _SHARED_CANDIDATES[0] / "acceptance" / "alertmanager_e2e.sh",
)


def _require(condition: bool, why: str) -> None:
    if condition:
        return
    message = f"SKIP (LOUD): {why} — the real-Alertmanager end-to-end test did not run"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: a skip is a failure)")
    pytest.skip(message)


def test_real_alertmanager_groups_and_resolves(local_stack):
    _require(HARNESS.exists(), f"{HARNESS} not found")
    _require(
        bool(shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")),
        "prometheus-alertmanager is not installed (make test installs it with apt when run as root)",
    )
    created = local_stack.api("POST", "integrations", json={"type": "alertmanager", "name": "Real Alertmanager"})
    assert created.status_code == 201, created.text
    integration = created.json()
    result = subprocess.run(
        ["bash", str(HARNESS), "--timeout", "30", integration["link"]],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]

    def groups():
        return local_stack.api("GET", "alert_groups", params={"integration_id": integration["id"]}).json()["results"]

    assert wait_until(lambda: groups() and groups()[0]["state"] == "resolved", timeout=5)
    [group] = groups()
    assert group["state"] == "resolved"
    assert group["alerts_count"] >= 2  # the firing notification(s) and the resolved one
