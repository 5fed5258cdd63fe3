"""Route logic CPU time per alert, warm (a report, not a test): `make bench-route`.

What `route` computes for each alert before it touches storage, with the Alertmanager defaults: render the
behaviour templates (grouping key, resolve, acknowledge) and the group title (grouping.evaluate_signals),
pick the route (routing.select_route over two non-matching routes, regex and jinja2, then the default) and
form the grouping key. Storage, queues and Step Functions are excluded. The payloads are real Alertmanager
bodies (tests/fixtures/alertmanager), cycled.

Measured with time.process_time over many iterations after a warm-up, twice: with the template cache (as
deployed: each template compiled once per container) and with a compile on every render (what a naive
`Environment.from_string` per render would cost). Targets: < 1 ms per alert warm, >= 10x faster cached.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "common"), str(ROOT / "cli"), str(ROOT / "local")]

from oncall.dispatch.grouping import evaluate_signals, grouping_key
from oncall.dispatch.routing import select_route
from oncall.intake.accept import normalize_payload
from oncall.models import Alert, Integration, Route
from oncall.templates import engine as templating

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TARGET_MS = 1.0
TARGET_SPEEDUP = 10.0


def _setup() -> tuple[Integration, list[Route], list[Alert]]:
    integration = Integration(
        id="CBENCH", name="Prometheus", type="alertmanager", token="t", default_route_id="R0", created_at=NOW
    )
    routes = [
        Route(
            id="R1",
            integration_id="CBENCH",
            position=0,
            routing_type="regex",
            routing_regex='"team": "db"',
            created_at=NOW,
        ),
        Route(
            id="R2",
            integration_id="CBENCH",
            position=1,
            routing_type="jinja2",
            routing_regex='{{ payload.commonLabels.severity == "page" }}',
            created_at=NOW,
        ),
        Route(id="R0", integration_id="CBENCH", position=2, is_default=True, created_at=NOW),
    ]
    fixtures = sorted((ROOT / "tests" / "fixtures" / "alertmanager").glob("*.json"))
    alerts = [
        Alert(
            id=f"A{index}",
            integration_id="CBENCH",
            payload=normalize_payload(integration, json.loads(path.read_text())),
            received_at=NOW,
            request_id=f"q{index}",
        )
        for index, path in enumerate(fixtures)
    ]
    return integration, routes, alerts


def route_logic(integration: Integration, routes: list[Route], alert: Alert) -> str | None:
    labels: dict[str, str] = {}
    signals = evaluate_signals(integration, alert, labels)
    route = select_route(routes, alert.payload, labels)
    return grouping_key(integration.id, route.id, signals.distinction)


def measure(iterations: int, warmup: int) -> float:
    """CPU seconds per alert."""
    integration, routes, alerts = _setup()
    for index in range(warmup):
        route_logic(integration, routes, alerts[index % len(alerts)])
    started = time.process_time()
    for index in range(iterations):
        route_logic(integration, routes, alerts[index % len(alerts)])
    return (time.process_time() - started) / iterations


def with_compile_per_render(run: Callable[[], float]) -> float:
    cached = templating._compile
    templating._compile = cached.__wrapped__  # Environment.from_string on every render
    try:
        return run()
    finally:
        templating._compile = cached


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20_000, help="alerts measured with the cache")
    parser.add_argument("--uncached-iterations", type=int, default=1_000, help="alerts measured without it")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON (for bench/run.py)")
    args = parser.parse_args()

    cached = measure(args.iterations, warmup=2_000)
    uncached = with_compile_per_render(lambda: measure(args.uncached_iterations, warmup=50))
    ratio = uncached / cached
    if args.json:
        print(json.dumps({"cached_ms": cached * 1e3, "uncached_ms": uncached * 1e3, "speedup": ratio}))
        return 0
    print("route logic per alert (Alertmanager defaults; templates, labels, route, grouping key; no storage)")
    print(f"  cached templates (deployed):   {cached * 1e3:8.3f} ms CPU  ({args.iterations} alerts)")
    print(f"  compile on every render:       {uncached * 1e3:8.3f} ms CPU  ({args.uncached_iterations} alerts)")
    print(f"  speed-up from the cache:       {ratio:8.1f} x")
    print(
        f"  targets: < {TARGET_MS} ms warm -> {'met' if cached * 1e3 < TARGET_MS else 'MISSED'}; "
        f">= {TARGET_SPEEDUP:.0f}x -> {'met' if ratio >= TARGET_SPEEDUP else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
