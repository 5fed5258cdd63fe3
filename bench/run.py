"""`make bench`: every measurement, one table, printed and written to bench/results.md.

A report, not a test: targets are compared and marked, nothing fails. Each part runs in a fresh process.
Knobs (environment): BENCH_BUDGET_SECONDS (480: the whole run, the storm gets what is left),
BENCH_COLD_RUNS (10), BENCH_WARM_ALERTS (200), BENCH_STORM_ALERTS (10000), BENCH_STORM_GROUPS (50),
BENCH_LATENCY_SAMPLES (50).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "layers" / "common"), str(REPO / "cli"), str(REPO / "local")]

from bench import cold_start, cost_model, memory_footprint, template_facts, warm_cost  # noqa: E402
from bench.cost_model import Scenario  # noqa: E402

RESULTS = REPO / "bench" / "results.md"
STORM_WRAP_UP_SECONDS = 45  # after the last send: processing, counting, stopping the stack
LATENCY_TARGET_MS = 120  # local median, alert POST to first notification (issue 17: it was ~104 ms before a merge)


def _with_platform_logs(facts: template_facts.TemplateFacts) -> str:
    """The functions whose START/END/REPORT lines Lambda writes (decision 81)."""
    names = [n.removesuffix("Function") for n, on in facts.platform_logs.items() if on]
    return ", ".join(names) or "none"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _python(args: list[str], timeout: float) -> dict:
    env = {**os.environ, "PYTHONPATH": f"{REPO}:{REPO / 'layers' / 'common'}:{REPO / 'cli'}:{REPO / 'local'}"}
    out = subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if out.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _mark(met: bool | None) -> str:
    return "" if met is None else ("met" if met else "**not met**")


def _calls(calls: dict[str, float]) -> str:
    total = sum(calls.values())
    parts = ", ".join(f"{name.split('.', 1)[1]} {n:g}" for name, n in calls.items())
    return f"{total:.1f} ({parts})"


def main() -> int:  # noqa: PLR0915 - one report, top to bottom
    started = time.monotonic()
    budget = _env_int("BENCH_BUDGET_SECONDS", 480)
    load = os.getloadavg()
    rows: list[tuple[str, str, str, str, str]] = []
    misses: list[str] = []  # each target not met: by how much, and what the remaining cost is made of

    def row(area: str, measure: str, result: str, target: str = "", met: bool | None = None) -> None:
        rows.append((area, measure, result, target, _mark(met)))
        print(f"  {area:12} {measure}: {result} {('[' + target + '] ' + _mark(met)) if target else ''}", flush=True)

    print("cold start …", flush=True)
    runs = _env_int("BENCH_COLD_RUNS", 10)
    for result in cold_start.measure_all(runs):
        first = (
            f"import {result.import_ms:.0f} ms + first request {result.first_request_ms:.0f} ms "
            f"({result.calls} AWS calls)"
            if result.first_request
            else f"import + clients {result.total_ms:.0f} ms"
        )
        row(
            "1 cold start",
            f"`{result.function}`: import + first request vs the pydantic + Powertools floor with the same AWS "
            f"calls (median of {runs})",
            f"{result.total_ms:.0f} / {result.conventions_floor_ms:.0f} ms = **{result.conventions_ratio:.2f}×** "
            f"({first}; {result.ratio:.2f}× the boto3-only floor of {result.floor_ms:.0f} ms)",
            f"≤ {result.target}×",
            result.met,
        )
        if result.met is False:
            misses.append(
                f"cold start `{result.function}`: {result.conventions_ratio:.2f}× against ≤ {result.target}× "
                f"({(result.conventions_ratio / result.target - 1) * 100:.0f} % over; "
                f"{result.total_ms - result.conventions_floor_ms:.0f} ms above the floor: {first}). What the "
                'handler loads beyond the floor is listed in docs/performance.md, "Cold start".'
            )
        if result.function == "ingest":
            row(
                "1 cold start",
                "`ingest` imports no Jinja2 (heavy modules at import)",
                ", ".join(result.heavy_modules) or "none",
                "no Jinja2",
                "jinja2" not in result.heavy_modules,
            )

    print("route logic …", flush=True)
    logic = _python(["bench/route_logic.py", "--json"], timeout=300)
    row(
        "6 route logic",
        "CPU per alert: templates, labels, route, grouping key (no storage)",
        f"{logic['cached_ms']:.3f} ms cached; {logic['uncached_ms']:.2f} ms compiling on every render "
        f"({logic['speedup']:.0f}×)",
        "< 1 ms, ≥ 10×",
        logic["cached_ms"] < 1 and logic["speedup"] >= 10,
    )

    print("warm cost …", flush=True)
    os.environ["BENCH_ALERTS"] = str(_env_int("BENCH_WARM_ALERTS", 200))
    work = warm_cost.load(_python(["bench/warm_cost.py"], timeout=600))
    ph = work.phases
    row("2 warm", "`ingest` CPU per alert", f"{ph['ingest'].cpu_ms:.2f} ms")
    row("2 warm", "`ingest` AWS calls per alert", _calls(ph["ingest"].calls), "≤ 2", ph["ingest"].total_calls <= 2)
    row("2 warm", "`route` CPU per alert joining a group (batches of 10)", f"{ph['route_join'].cpu_ms:.2f} ms")
    row(
        "2 warm",
        "`route` AWS calls per alert joining a group",
        _calls(ph["route_join"].calls),
        "≤ 3",
        ph["route_join"].total_calls <= 3,
    )
    row("2 warm", '… with a webhook on "alert added to group"', _calls(ph["route_join_webhook"].calls))
    row(
        "2 warm",
        "`route` per alert opening a group (CPU, calls)",
        f"{ph['route_new'].cpu_ms:.2f} ms; {_calls(ph['route_new'].calls)}",
    )
    row(
        "2 warm",
        "DynamoDB request units per alert",
        f"ingest {ph['ingest'].wru:g} WRU; join {ph['route_join'].wru:g} WRU + {ph['route_join'].rru:g} RRU; "
        f"new group {ph['route_new'].wru:g} WRU + {ph['route_new'].rru:g} RRU; its escalation "
        f"{ph['escalation'].wru:g} WRU + {ph['escalation'].rru:g} RRU",
    )
    row("2 warm", "item sizes (bytes)", ", ".join(f"{k} {v}" for k, v in work.item_bytes.items()))
    facts = template_facts.read()
    row(
        "2 warm",
        "log bytes per alert (INFO + EMF; + Lambda's START/END/REPORT where the template keeps them)",
        f"ingest {ph['ingest'].log_bytes:.0f}; route {ph['route_join'].log_bytes:.0f}; "
        f"{cost_model.LAMBDA_PLATFORM_LOG_BYTES} per invocation for {_with_platform_logs(facts)}",
    )

    print("cost model …", flush=True)
    breakdowns = {}
    for share in (0.01, 0.10):
        costs = cost_model.per_million(work, Scenario(share))
        breakdowns[share] = costs
        total = sum(costs.values())
        row(
            "3 cost",
            f"$ per million alerts, {share:.0%} new groups (chain: notify, wait, notify = "
            f"{work.transitions_per_group} transitions, {work.escalate_invocations_per_group} escalate invocations)",
            f"**${total:.2f}**",
            "≤ $5" if share == 0.01 else "",
            total <= 5 if share == 0.01 else None,
        )
        if share == 0.01 and total > 5:
            by_size = sorted(costs.items(), key=lambda kv: -kv[1])
            parts = ", ".join(f"{service} ${dollars:.2f}" for service, dollars in by_size)
            misses.append(
                f"$ per million alerts at 1 % new groups: ${total:.2f}, ${total - 5:.2f} over $5 "
                f"({(total / 5 - 1) * 100:.0f} %). Made of: {parts}."
            )
    for label, scenario in (
        ('a webhook on every "alert added"', Scenario(0.01, webhook_on_alert_added=True)),
        ("nothing cached (sparse traffic: every configuration read misses)", Scenario(0.01, uncached=True)),
        (
            "integration URLs on the HTTP API (IntegrationUrls: http-api)",
            Scenario(0.01, integration_urls_on_http_api=True),
        ),
    ):
        row("3 cost", f"… 1 % new groups, {label}", f"${sum(cost_model.per_million(work, scenario).values()):.2f}")
    idle = cost_model.idle_month(work, facts)
    idle_total = sum(item.dollars for item in idle)
    row("3 cost", "idle month (nothing received)", f"**${idle_total:.2f}**", "≤ $1", idle_total <= 1)
    footprint = memory_footprint.measure_all()
    row(
        "3 cost",
        "peak RSS of each function's working set (MB) / its MemorySize",
        ", ".join(
            f"{name.removesuffix('Function')} {m['peak_mb']:.0f}/{facts.memory_mb[name]}"
            for name, m in footprint.items()
        ),
    )
    storage = cost_model.storage_per_million(work)
    row(
        "3 cost",
        "keeping a million alerts (they never expire)",
        f"{storage['GB per million alerts']:.2f} GB: ${storage['storage + PITR per month']:.2f} a month",
    )

    remaining = budget - (time.monotonic() - started)
    storm_alerts = _env_int("BENCH_STORM_ALERTS", 10_000)
    groups = _env_int("BENCH_STORM_GROUPS", 50)
    samples = _env_int("BENCH_LATENCY_SAMPLES", 50)
    send_budget = max(30.0, remaining - STORM_WRAP_UP_SECONDS - 40)  # 40: stack start + latency samples
    print(f"local stack: latency, then a storm of {storm_alerts} (send budget {send_budget:.0f} s) …", flush=True)
    local = _python(
        [
            "bench/local_stack.py",
            str(storm_alerts),
            "--groups",
            str(groups),
            "--samples",
            str(samples),
            "--send-budget",
            f"{send_budget:.0f}",
        ],
        timeout=max(600.0, remaining + 300),
    )
    storm, latency = local["storm"], local["latency"]
    cut = storm["alerts"] < storm["requested"]
    row(
        "4 storm",
        f"alerts sent over {groups} groups (as fast as accepted, 8 senders)",
        f"{storm['alerts']:,}" + (f" of {storm['requested']:,}: the time budget ran out" if cut else ""),
        f"{storm['requested']:,}",
        not cut,
    )
    row("4 storm", "accepted per second", f"{storm['accepted_per_second']:.1f}/s ({storm['rejected']} rejected)")
    row("4 storm", "time until all were processed", f"{storm['processed_seconds']:.0f} s")
    row("4 storm", "alerts lost", str(storm["alerts_lost"]), "0", storm["alerts_lost"] == 0)
    row(
        "4 storm",
        "groups created",
        str(storm["groups_created"]),
        str(storm["groups_expected"]),
        storm["groups_created"] == storm["groups_expected"],
    )
    row(
        "4 storm",
        "first-step notifications",
        str(storm["first_step_notifications"]),
        str(storm["groups_expected"]),
        storm["first_step_notifications"] == storm["groups_expected"],
    )
    row(
        "5 latency",
        f"alert POST → first notification, {latency['samples']} new groups (local stack)",
        f"median {latency['median_ms']:.0f} ms, p95 {latency['p95_ms']:.0f} ms (max {latency['max_ms']:.0f})",
        f"median ≤ {LATENCY_TARGET_MS} ms",
        latency["median_ms"] <= LATENCY_TARGET_MS,
    )
    if latency["median_ms"] > LATENCY_TARGET_MS:
        misses.append(f"latency: median {latency['median_ms']:.0f} ms against ≤ {LATENCY_TARGET_MS} ms.")

    elapsed = time.monotonic() - started
    text = _render(rows, breakdowns, idle, load, elapsed, work, misses)
    RESULTS.write_text(text)
    print("\n" + text)
    return 0


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    return out.stdout.strip() or "unknown"


def _render(rows, breakdowns, idle, load, elapsed, work, misses) -> str:  # noqa: ANN001 - report plumbing
    lines = [
        "# Benchmark results (`make bench`)",
        "",
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {_commit()}, {os.cpu_count()} CPUs "
        f"(load average {load[0]:.1f} at the start), Python {platform.python_version()}, run took "
        f"{elapsed / 60:.1f} min. Prices: us-east-1 list prices as of {cost_model.PRICES_AS_OF} "
        "(bench/cost_model.py).",
        "",
        "| # | measure | result | target | |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {a} | {m} | {r} | {t} | {k} |" for a, m, r, t, k in rows]
    lines += ["", "Targets not met, by how much and what the remaining cost is made of:", ""]
    lines += [f"- {miss}" for miss in misses] or ["- none"]
    lines += ["", "Cost per million alerts by service ($):", "", "| service | 1 % new groups | 10 % new groups |"]
    lines.append("| --- | --- | --- |")
    for service in breakdowns[0.01]:
        lines.append(f"| {service} | {breakdowns[0.01][service]:.2f} | {breakdowns[0.10][service]:.2f} |")
    lines += ["", "Idle month ($), each charge with the template resource it comes from:", ""]
    lines += ["| item | $ | source (template.yaml) |", "| --- | --- | --- |"]
    lines += [f"| {item.name} | {item.dollars:.2f} | {item.source} |" for item in idle]
    lines += ["", *[f"- {note}" for note in work.notes], ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
