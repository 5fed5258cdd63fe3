"""The in-memory maintenance of the store fake (same contract as storage/dynamo/maintenance.py)."""

from __future__ import annotations

from datetime import datetime

from oncall.models import (
    Maintenance,
    MaintenanceWindow,
)
from tests.fakes.store.table import FakeTable


class FakeMaintenance(FakeTable):
    def __init__(self) -> None:
        super().__init__()
        self.maintenances: dict[str, Maintenance] = {}
        self.windows: dict[tuple[str, str], MaintenanceWindow] = {}

    def get_maintenance(self, integration_id: str) -> Maintenance | None:
        return self.maintenances.get(integration_id)

    def get_maintenances(self, integration_ids: list[str]) -> dict[str, Maintenance]:
        return {i: self.maintenances[i] for i in integration_ids if i in self.maintenances}

    def put_maintenance(self, maintenance: Maintenance, *, expected_version: int | None) -> Maintenance:
        with self._lock:
            key = maintenance.integration_id
            self._check_version(self.maintenances.get(key), expected_version, key)
            stored = maintenance.model_copy(update={"version": (expected_version or 0) + 1})
            self.maintenances[key] = stored
            return stored

    def delete_maintenance(self, integration_id: str, maintenance_id: str) -> None:
        with self._lock:
            current = self.maintenances.get(integration_id)
            if current is not None and current.id == maintenance_id:
                del self.maintenances[integration_id]

    def put_maintenance_window(self, window: MaintenanceWindow, *, expected_version: int | None) -> MaintenanceWindow:
        with self._lock:
            key = (window.integration_id, window.id)
            self._check_version(self.windows.get(key), expected_version, window.id)
            stored = window.model_copy(update={"version": (expected_version or 0) + 1})
            self.windows[key] = stored
            return stored

    def get_maintenance_window(self, integration_id: str, window_id: str) -> MaintenanceWindow | None:
        return self.windows.get((integration_id, window_id))

    def list_maintenance_windows(self, integration_id: str) -> list[MaintenanceWindow]:
        found = [w for (owner, _), w in self.windows.items() if owner == integration_id]
        return sorted(found, key=lambda w: (w.created_at, w.id))

    def delete_maintenance_window(self, integration_id: str, window_id: str, *, expected_version: int | None) -> None:
        with self._lock:
            current = self.windows.get((integration_id, window_id))
            if expected_version is not None:
                self._check_version(current, expected_version, window_id)
            self.windows.pop((integration_id, window_id), None)

    def list_due_maintenance(self, now: datetime) -> list[Maintenance | MaintenanceWindow]:
        items: list[Maintenance | MaintenanceWindow] = [*self.maintenances.values(), *self.windows.values()]
        return [m for m in items if m.check_at is not None and m.check_at <= now]
