"""The in-memory heartbeats of the store fake (same contract as storage/dynamo/heartbeats.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oncall.models import (
    Heartbeat,
    HeartbeatSignal,
    HeartbeatSignalWrite,
)
from tests.fakes.store.table import FakeTable


class FakeHeartbeats(FakeTable):
    def __init__(self) -> None:
        super().__init__()
        self.heartbeats: dict[str, Heartbeat] = {}

    def record_heartbeat_signal(self, integration_id: str, write: HeartbeatSignalWrite) -> Heartbeat | None:
        with self._lock:
            old = self.heartbeats.get(integration_id)
            current = old or Heartbeat(integration_id=integration_id)
            changes: dict[str, Any] = {
                "enabled": True,
                "last_signal": write.kind,
                "down_at": write.down_at,
                "check_at": write.down_at,
                "version": current.version + 1,
            }
            if write.kind == HeartbeatSignal.PING:
                changes.update(
                    last_ping_at=write.at,
                    expected_at=write.expected_at or write.down_at,
                    last_start_at=None,
                    pings=current.pings + 1,
                )
            elif write.kind == HeartbeatSignal.START:
                changes["last_start_at"] = write.at
            else:
                changes.update(last_fail_at=write.at, last_start_at=None)
            self.heartbeats[integration_id] = current.model_copy(update=changes)
            return old

    def check_heartbeat_now(self, integration_id: str, at: datetime) -> None:
        with self._lock:
            current = self.heartbeats.get(integration_id)
            if current is not None:
                self.heartbeats[integration_id] = current.model_copy(
                    update={"check_at": at, "version": current.version + 1}
                )

    def get_heartbeat(self, integration_id: str) -> Heartbeat | None:
        return self.heartbeats.get(integration_id)

    def get_heartbeats(self, integration_ids: list[str]) -> dict[str, Heartbeat]:
        return {i: self.heartbeats[i] for i in integration_ids if i in self.heartbeats}

    def put_heartbeat(self, heartbeat: Heartbeat, *, expected_version: int | None) -> Heartbeat:
        with self._lock:
            self._check_version(
                self.heartbeats.get(heartbeat.integration_id), expected_version, heartbeat.integration_id
            )
            stored = heartbeat.model_copy(update={"version": (expected_version or 0) + 1})
            self.heartbeats[heartbeat.integration_id] = stored
            return stored

    def clear_heartbeat_pending(self, integration_id: str, alert_id: str, check_at: datetime) -> bool:
        with self._lock:
            current = self.heartbeats.get(integration_id)
            if current is None or current.pending is None or current.pending.alert_id != alert_id:
                return False
            self.heartbeats[integration_id] = current.model_copy(
                update={"pending": None, "check_at": check_at, "version": current.version + 1}
            )
            return True

    def list_due_heartbeats(self, now: datetime) -> list[Heartbeat]:
        return [h for h in self.heartbeats.values() if h.check_at is not None and h.check_at <= now]
