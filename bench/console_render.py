"""Console numbers (not a test): server CPU to render the alert-group list for 100 groups, warm — the render
alone (filters, rows, the Jinja2 template) and the whole request through the console's dispatcher (session
check, token lookup, store reads) with the in-memory fake store, so only our CPU is counted, not DynamoDB's
latency — and what a first load moves (the list page's HTML plus the CSS and JS, uncompressed).

    .venv/bin/python bench/console_render.py
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "common"), str(ROOT)]

from oncall.console import render  # noqa: E402
from oncall.console.app import (
    SECTIONS,
    SILENCE_OPTIONS,
    SINCE_OPTIONS,
    STATES,
    GroupFilters,
    filter_groups,
    group_href,
    group_rows,
)  # noqa: E402
from oncall.models import AlertGroup, Integration  # noqa: E402

NOW = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


def _groups(count: int) -> list[AlertGroup]:
    return [
        AlertGroup(
            id=f"I{n:012d}",
            number=n,
            integration_id=f"C{n % 5}",
            route_id="R1",
            title=f"[FIRING:{n % 7 + 1}] HighLatency api-{n} <production> & friends",
            started_at=NOW - timedelta(minutes=n),
            labels={"severity": "critical", "team": f"team-{n % 3}", "service": f"svc-{n}"},
            first_alert_id="A",
            last_alert_id="A",
            alerts_count=n % 9 + 1,
            acknowledged=n % 3 == 0,
        )
        for n in range(1, count + 1)
    ]


def render_list(groups, integrations) -> str:
    filters = GroupFilters()
    shown = filter_groups(groups, filters, {i.id: i.team_id for i in integrations}, NOW)
    return render.render(
        "groups.html",
        session_user={"name": "ops", "role": "editor"},
        sections=SECTIONS,
        section="alert_groups",
        csrf="x" * 43,
        can_write=True,
        flash="",
        silence_options=SILENCE_OPTIONS,
        group_href=group_href,
        title="Alert groups",
        groups=group_rows(shown, {i.id: i.name for i in integrations}),
        truncated=False,
        filters=filters,
        states=STATES,
        integrations=integrations,
        teams=[],
        since_options=SINCE_OPTIONS,
        now=NOW,
        back="/console/alert_groups",
    )


def _whole_request(groups: list[AlertGroup], integrations: list[Integration]) -> list[float]:
    """The list page through `dispatch`, signed in, with the in-memory fake store (tests/fakes.py)."""
    from oncall import wiring
    from oncall.console import app, sessions
    from oncall.console.http import Request
    from oncall.models import Alert, ApiToken, ApiTokenRole, Route
    from tests.fakes import FixedClock, InMemoryStore

    store = InMemoryStore()
    for integration in integrations:
        route = Route(
            id=f"R{integration.id}", integration_id=integration.id, position=0, is_default=True, created_at=NOW
        )
        store.create_integration(integration.model_copy(update={"default_route_id": route.id}), route)
    for group in groups:
        alert = Alert(
            id=f"A{group.id}", integration_id=group.integration_id, payload={}, received_at=NOW, request_id="r"
        )
        store.put_alert(alert)
        store.create_group(group.model_copy(update={"first_alert_id": alert.id, "last_alert_id": alert.id}), alert)
    token = ApiToken(id="T1", name="bench", role=ApiTokenRole.EDITOR, digest="d" * 64, created_at=NOW)
    store.put_api_token(token)
    clock = FixedClock(NOW)
    wiring.store = lambda: store  # type: ignore[assignment]
    wiring.now_clock = lambda: clock  # type: ignore[assignment]
    app._secret = lambda arn: "bench-secret"  # noqa: SLF001
    _, cookie = app.session_codec().issue(token.id, token.digest)
    event = {
        "rawPath": "/console/alert_groups",
        "rawQueryString": "",
        "headers": {
            "host": "oncall.example",
            "x-forwarded-proto": "https",
            "cookie": f"{sessions.COOKIE_NAME}={cookie}",
        },
        "requestContext": {"http": {"method": "GET", "sourceIp": "203.0.113.1"}, "stage": "$default"},
    }
    response = app.dispatch(Request.from_event(event))
    assert response.status == 200 and response.body.count('class="group ') == len(groups), response.status
    samples = []
    for _ in range(50):
        started = time.process_time()
        app.dispatch(Request.from_event(event))
        samples.append((time.process_time() - started) * 1000)
    return samples


def main() -> None:
    groups = _groups(100)
    integrations = [
        Integration(
            id=f"C{n}",
            name=f"Integration {n}",
            type="alertmanager",
            token=f"t{n}",
            default_route_id="R1",
            created_at=NOW,
        )
        for n in range(5)
    ]
    started = time.process_time()
    html = render_list(groups, integrations)  # first render compiles the template (cold)
    cold_ms = (time.process_time() - started) * 1000
    samples = []
    for _ in range(50):
        started = time.process_time()
        render_list(groups, integrations)
        samples.append((time.process_time() - started) * 1000)
    handler_samples = _whole_request(groups, integrations)
    css, js = (render.static_files()[name][0] for name in ("console.css", "console.js"))
    median, p95 = statistics.median(samples), sorted(samples)[int(len(samples) * 0.95)]
    print(
        f"group list, 100 groups: cold (template compile) {cold_ms:.1f} ms CPU; "
        f"warm median {median:.2f} ms, p95 {p95:.2f} ms CPU"
    )
    handler_median = statistics.median(handler_samples)
    handler_p95 = sorted(handler_samples)[int(len(handler_samples) * 0.95)]
    print(
        f"whole request (dispatcher, session, token lookup, in-memory store), 100 groups: "
        f"warm median {handler_median:.2f} ms, p95 {handler_p95:.2f} ms CPU"
    )
    page = len(html.encode())
    total = (page + len(css) + len(js)) / 1024
    print(
        f"first load: HTML {page / 1024:.1f} KB + CSS {len(css) / 1024:.1f} KB + JS {len(js) / 1024:.1f} KB "
        f"= {total:.1f} KB (uncompressed, no images, no fonts)"
    )


if __name__ == "__main__":
    main()
