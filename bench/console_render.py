"""Console numbers (not a test): server CPU to render the alert-group list for 100 groups, warm (filters,
rows and the Jinja2 template; the store is the in-memory fake so only our CPU is counted), and what a first
load moves (the list page's HTML plus the CSS and JS, uncompressed).

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
    css, js = (render.static_files()[name][0] for name in ("console.css", "console.js"))
    median, p95 = statistics.median(samples), sorted(samples)[int(len(samples) * 0.95)]
    print(
        f"group list, 100 groups: cold (template compile) {cold_ms:.1f} ms CPU; "
        f"warm median {median:.2f} ms, p95 {p95:.2f} ms CPU"
    )
    page = len(html.encode())
    total = (page + len(css) + len(js)) / 1024
    print(
        f"first load: HTML {page / 1024:.1f} KB + CSS {len(css) / 1024:.1f} KB + JS {len(js) / 1024:.1f} KB "
        f"= {total:.1f} KB (uncompressed, no images, no fonts)"
    )


if __name__ == "__main__":
    main()
