"""Heartbeat monitoring: a ping arms the heartbeat and moves its due time; the 1-minute sweep finds the
overdue ones through the sparse `heartbeats` index (no scan)."""

from __future__ import annotations

from datetime import timedelta

from oncall.clock import Clock
from oncall.models import Heartbeat, Integration
from oncall.store import Store


def record_ping(integration: Integration, *, store: Store, clock: Clock) -> None:
    now = clock.now()
    store.record_heartbeat_ping(integration.id, now, now + timedelta(seconds=integration.heartbeat_timeout_seconds))


def overdue_heartbeats(*, store: Store, clock: Clock) -> list[Heartbeat]:
    return store.list_due_heartbeats(clock.now())
