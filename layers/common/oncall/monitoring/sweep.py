"""The 1-minute sweep (heartbeat_check): maintenance first (ends, then scheduled starts), then heartbeats.
Both read sparse indexes, never the whole table; every transition is claimed with a conditional write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from oncall.groups.actions import ActionDeps
from oncall.intake.queue import AlertQueue
from oncall.monitoring import heartbeat, maintenance


@dataclass(frozen=True)
class SweepReport:
    heartbeats: heartbeat.SweepResult
    maintenance: maintenance.SweepResult

    def as_dict(self) -> dict:
        return {"heartbeats": asdict(self.heartbeats), "maintenance": asdict(self.maintenance)}


def run(
    *, deps: ActionDeps, queue: AlertQueue, on_error: Callable[[str, str, Exception], None] | None = None
) -> SweepReport:
    """`on_error(kind, integration_id, error)` hears about items that failed (retried by the next sweep)."""

    def report(kind: str) -> Callable[[str, Exception], None] | None:
        return (lambda item, error: on_error(kind, item, error)) if on_error else None

    ended_and_started = maintenance.sweep(deps=deps, on_error=report("maintenance"))
    heartbeats = heartbeat.sweep(deps=deps, queue=queue, on_error=report("heartbeat"))
    return SweepReport(heartbeats=heartbeats, maintenance=ended_and_started)
