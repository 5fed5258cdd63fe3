"""Heartbeats: settings and state of an integration's heartbeat, and the sparse index the sweep reads
(see docs/storage.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from oncall.models import (
    Heartbeat,
    HeartbeatSignal,
    HeartbeatSignalWrite,
)
from oncall.platform.clock import iso
from oncall.storage.dynamo.table import (
    DynamoTable,
    from_attrs,
    item_key,
    to_attrs,
)

# One partition of the sparse index: the sweep reads it with one Query. (A GSI partition takes ~1000 writes/s;
# beyond that many pings per second, shard by a hash of the integration id and query each shard.)
_HB_SHARD = "HB"


class DynamoHeartbeats(DynamoTable):
    """HEARTBEAT#<integration> items; hb_shard/hb_due form the sparse index "heartbeats"."""

    @staticmethod
    def _heartbeat_item(heartbeat: Heartbeat) -> dict[str, Any]:
        keys = {"pk": f"HEARTBEAT#{heartbeat.integration_id}", "sk": "HEARTBEAT"}
        if heartbeat.check_at is not None:
            keys.update(hb_shard=_HB_SHARD, hb_due=iso(heartbeat.check_at))
        data = heartbeat.model_dump(mode="json", exclude={"check_at"})
        return {**to_attrs(data), **{k: {"S": v} for k, v in keys.items()}}

    @staticmethod
    def _load_heartbeat(item: dict[str, Any] | None) -> Heartbeat | None:
        if not item:
            return None
        data = from_attrs(item)
        data["check_at"] = item.get("hb_due", {}).get("S")
        return Heartbeat.model_validate(data)

    def record_heartbeat_signal(self, integration_id: str, write: HeartbeatSignalWrite) -> Heartbeat | None:
        names = {"#i": "integration_id", "#en": "enabled", "#sig": "last_signal", "#down": "down_at"}
        names.update({"#ver": "version", "#shard": "hb_shard", "#due": "hb_due"})
        values: dict[str, Any] = {
            ":i": {"S": integration_id},
            ":t": {"BOOL": True},
            ":k": {"S": write.kind.value},
            ":at": {"S": iso(write.at)},
            ":d": {"S": iso(write.down_at)},
            ":shard": {"S": _HB_SHARD},
            ":one": {"N": "1"},
        }
        sets = ["#i = :i", "#en = :t", "#sig = :k", "#down = :d", "#shard = :shard", "#due = :d"]
        adds = ["#ver :one"]
        removes: list[str] = []
        if write.kind == HeartbeatSignal.PING:
            names.update({"#last": "last_ping_at", "#exp": "expected_at", "#pings": "pings", "#run": "last_start_at"})
            values[":e"] = {"S": iso(write.expected_at or write.down_at)}
            sets += ["#last = :at", "#exp = :e"]
            adds.append("#pings :one")
            removes.append("#run")
        elif write.kind == HeartbeatSignal.START:
            names["#last"] = "last_start_at"
            sets.append("#last = :at")
        else:
            names.update({"#last": "last_fail_at", "#run": "last_start_at"})
            sets.append("#last = :at")
            removes.append("#run")
        expression = "SET " + ", ".join(sets) + " ADD " + ", ".join(adds)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        out = self._ddb.update_item(
            TableName=self._table,
            Key=item_key(f"HEARTBEAT#{integration_id}", "HEARTBEAT"),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_OLD",
        )
        return self._load_heartbeat(out.get("Attributes"))

    def check_heartbeat_now(self, integration_id: str, at: datetime) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=item_key(f"HEARTBEAT#{integration_id}", "HEARTBEAT"),
                UpdateExpression="SET #shard = :shard, #due = :at ADD #ver :one",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#shard": "hb_shard", "#due": "hb_due", "#ver": "version"},
                ExpressionAttributeValues={":shard": {"S": _HB_SHARD}, ":at": {"S": iso(at)}, ":one": {"N": "1"}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def get_heartbeat(self, integration_id: str) -> Heartbeat | None:
        return self._load_heartbeat(self._get(f"HEARTBEAT#{integration_id}", "HEARTBEAT"))

    def get_heartbeats(self, integration_ids: list[str]) -> dict[str, Heartbeat]:
        items = self._batch_get([item_key(f"HEARTBEAT#{i}", "HEARTBEAT") for i in dict.fromkeys(integration_ids)])
        loaded = [self._load_heartbeat(item) for item in items]
        return {h.integration_id: h for h in loaded if h is not None}

    def put_heartbeat(self, heartbeat: Heartbeat, *, expected_version: int | None) -> Heartbeat:
        stored = heartbeat.model_copy(update={"version": (expected_version or 0) + 1})
        self._put_versioned(self._heartbeat_item(stored), expected_version)
        return stored

    def clear_heartbeat_pending(self, integration_id: str, alert_id: str, check_at: datetime) -> bool:
        return self._conditional_write(
            self._ddb.update_item,
            Key=item_key(f"HEARTBEAT#{integration_id}", "HEARTBEAT"),
            UpdateExpression="REMOVE #p SET #shard = :shard, #due = :at ADD #ver :one",
            ConditionExpression="#p.alert_id = :id",
            ExpressionAttributeNames={"#p": "pending", "#shard": "hb_shard", "#due": "hb_due", "#ver": "version"},
            ExpressionAttributeValues={
                ":id": {"S": alert_id},
                ":shard": {"S": _HB_SHARD},
                ":at": {"S": iso(check_at)},
                ":one": {"N": "1"},
            },
        )

    def list_due_heartbeats(self, now: datetime) -> list[Heartbeat]:
        items = self._query(
            IndexName="heartbeats",
            KeyConditionExpression="hb_shard = :shard AND hb_due <= :now",
            ExpressionAttributeValues={":shard": {"S": _HB_SHARD}, ":now": {"S": iso(now)}},
        )
        return [h for h in (self._load_heartbeat(i) for i in items) if h is not None]
