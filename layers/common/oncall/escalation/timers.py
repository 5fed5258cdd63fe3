"""Timers: things that must happen to a group at a later time (the end of a silence, time-based auto-resolve,
auto-unacknowledge, and whatever later capabilities register here; acknowledge reminders, which notify, are
dispatched by executions.py). A timer is a Step Functions execution of the same state machine: step 0 waits
until `fire_at`, step 1 fires — so timers survive restarts and cost nothing while they wait."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from oncall.dispatch import auto_resolve
from oncall.groups import actions
from oncall.groups.actions import ActionDeps

TimerHandler = Callable[[str, dict[str, Any], ActionDeps], None]

TIMERS: dict[str, TimerHandler] = {
    actions.UNSILENCE_TIMER: actions.auto_unsilence,
    auto_resolve.AUTO_RESOLVE_TIMER: auto_resolve.fire,
    actions.AUTO_UNACK_TIMER: actions.auto_unacknowledge,
}


def seconds_until(fire_at: str, now: datetime) -> int:
    remaining = (datetime.fromisoformat(fire_at.replace("Z", "+00:00")) - now).total_seconds()
    return max(0, math.ceil(remaining))


def wait_before_firing(step: int, data: dict[str, Any], deps: ActionDeps) -> int:
    """Step 0 of a timer waits until `fire_at`; 0 = fire now."""
    if step == 0 and "fire_at" in data:
        return seconds_until(data["fire_at"], deps.clock.now())
    return 0


def run_timer(kind: str, group_id: str, step: int, data: dict[str, Any], deps: ActionDeps) -> tuple[bool, int]:
    """Returns (done, wait_seconds). Unknown kinds are an error, not silence: the Catch records them."""
    handler = TIMERS.get(kind)
    if handler is None:
        raise LookupError(f"no timer handler for {kind!r}")
    wait = wait_before_firing(step, data, deps)
    if wait > 0:
        return False, wait
    handler(group_id, data, deps)
    return True, 0
