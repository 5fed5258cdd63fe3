"""Maintenance: an integration's current maintenance and its scheduled windows, with the sparse index the
sweep reads (see docs/storage.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from oncall.models import (
    Maintenance,
    MaintenanceWindow,
)
from oncall.platform.clock import iso
from oncall.storage.dynamo.table import (
    DynamoTable,
    from_attrs,
    item_key,
    to_attrs,
)
from oncall.storage.protocols import (
    ItemChangedError,
)

_MW_SHARD = "MW"  # one partition of the sparse index (see heartbeats)


class DynamoMaintenance(DynamoTable):
    """MAINT#<integration> items; mw_shard/mw_due form the sparse index "maintenance"."""

    @staticmethod
    def _maintenance_item(model: Maintenance | MaintenanceWindow) -> dict[str, Any]:
        sort_key = "ACTIVE" if isinstance(model, Maintenance) else f"WINDOW#{model.id}"
        keys = {"pk": f"MAINT#{model.integration_id}", "sk": sort_key}
        if model.check_at is not None:
            keys.update(mw_shard=_MW_SHARD, mw_due=iso(model.check_at))
        data = model.model_dump(mode="json", exclude={"check_at"})
        return {**to_attrs(data), **{k: {"S": v} for k, v in keys.items()}}

    @staticmethod
    def _load_maintenance(item: dict[str, Any] | None) -> Maintenance | MaintenanceWindow | None:
        if not item:
            return None
        data = from_attrs(item)
        data["check_at"] = item.get("mw_due", {}).get("S")
        cls = Maintenance if item["sk"]["S"] == "ACTIVE" else MaintenanceWindow
        return cls.model_validate(data)

    def get_maintenance(self, integration_id: str) -> Maintenance | None:
        return self._load_maintenance(self._get(f"MAINT#{integration_id}", "ACTIVE"))

    def get_maintenances(self, integration_ids: list[str]) -> dict[str, Maintenance]:
        items = self._batch_get([item_key(f"MAINT#{i}", "ACTIVE") for i in dict.fromkeys(integration_ids)])
        loaded = [self._load_maintenance(item) for item in items]
        return {m.integration_id: m for m in loaded if isinstance(m, Maintenance)}

    def put_maintenance(self, maintenance: Maintenance, *, expected_version: int | None) -> Maintenance:
        stored = maintenance.model_copy(update={"version": (expected_version or 0) + 1})
        self._put_versioned(self._maintenance_item(stored), expected_version)
        return stored

    def delete_maintenance(self, integration_id: str, maintenance_id: str) -> None:
        try:
            self._ddb.delete_item(
                TableName=self._table,
                Key=item_key(f"MAINT#{integration_id}", "ACTIVE"),
                ConditionExpression="#id = :id",
                ExpressionAttributeNames={"#id": "id"},
                ExpressionAttributeValues={":id": {"S": maintenance_id}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def put_maintenance_window(self, window: MaintenanceWindow, *, expected_version: int | None) -> MaintenanceWindow:
        stored = window.model_copy(update={"version": (expected_version or 0) + 1})
        self._put_versioned(self._maintenance_item(stored), expected_version)
        return stored

    def get_maintenance_window(self, integration_id: str, window_id: str) -> MaintenanceWindow | None:
        window = self._load_maintenance(self._get(f"MAINT#{integration_id}", f"WINDOW#{window_id}"))
        return window if isinstance(window, MaintenanceWindow) else None

    def list_maintenance_windows(self, integration_id: str) -> list[MaintenanceWindow]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :w)",
            ExpressionAttributeValues={":pk": {"S": f"MAINT#{integration_id}"}, ":w": {"S": "WINDOW#"}},
            ConsistentRead=True,
        )
        windows = [w for w in (self._load_maintenance(i) for i in items) if isinstance(w, MaintenanceWindow)]
        return sorted(windows, key=lambda w: (w.created_at, w.id))

    def delete_maintenance_window(self, integration_id: str, window_id: str, *, expected_version: int | None) -> None:
        kwargs: dict[str, Any] = {}
        if expected_version is not None:
            kwargs = {
                "ConditionExpression": "#ver = :expected",
                "ExpressionAttributeNames": {"#ver": "version"},
                "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}},
            }
        try:
            self._ddb.delete_item(
                TableName=self._table, Key=item_key(f"MAINT#{integration_id}", f"WINDOW#{window_id}"), **kwargs
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ItemChangedError(window_id) from error
            raise

    def list_due_maintenance(self, now: datetime) -> list[Maintenance | MaintenanceWindow]:
        items = self._query(
            IndexName="maintenance",
            KeyConditionExpression="mw_shard = :shard AND mw_due <= :now",
            ExpressionAttributeValues={":shard": {"S": _MW_SHARD}, ":now": {"S": iso(now)}},
        )
        return [m for m in (self._load_maintenance(i) for i in items) if m is not None]
