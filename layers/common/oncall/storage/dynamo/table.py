"""What every aggregate module of the DynamoDB store shares: the table, key building, item (de)serialisation and
the conditional-write helpers. docs/storage.md maps every item type (keys, indexes, TTLs, conditions).

The single-table design: every item has `pk`/`sk`; the index `gsi1` (gsi1pk/gsi1sk) lists groups and a
group's alerts; two sparse indexes ("heartbeats": hb_shard/hb_due, "maintenance": mw_shard/mw_due) hold only
the items a sweep must look at. Conditional writes and transactions, never read-then-write, keep the
invariants (one open group per grouping key, one join per alert, unique names, no dangling references).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel

from oncall.models import Alert
from oncall.platform.aws import client
from oncall.storage.protocols import ItemChangedError, MissingReferenceError

M = TypeVar("M", bound=BaseModel)
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_KEY_ATTRS = ("pk", "sk", "gsi1pk", "gsi1sk", "hb_shard", "hb_due", "mw_shard", "mw_due")


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; turn them into int/float for pydantic."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [_plain(v) for v in value]
    return value


def to_attrs(data: dict[str, Any]) -> dict[str, Any]:
    as_decimals = json.loads(json.dumps(data), parse_float=Decimal)
    return {k: _serializer.serialize(v) for k, v in as_decimals.items() if v is not None}


def from_attrs(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items() if k not in _KEY_ATTRS}


def compressed_payload(payload: dict[str, Any]) -> dict[str, Any]:
    return {"B": zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 6)}


def model_item(model: BaseModel, keys: dict[str, str], **extra: Any) -> dict[str, Any]:
    data = model.model_dump(mode="json")
    binary: dict[str, Any] = {}
    if isinstance(model, Alert):
        binary["payload_z"] = compressed_payload(data.pop("payload"))
        data.pop("group_id")  # kept on the alert's MEMBER item
    return {**to_attrs({**data, **extra}), **binary, **{k: {"S": v} for k, v in keys.items()}}


def load_model(cls: type[M], item: dict[str, Any] | None) -> M | None:
    if not item:
        return None
    data = from_attrs(item)
    if "payload_z" in data:
        data["payload"] = json.loads(zlib.decompress(data.pop("payload_z").value))
    elif "payload_json" in data:
        data["payload"] = json.loads(data.pop("payload_json"))
    return cls.model_validate(data)


def item_key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


# DynamoDB's key limits: a partition key of 1 to 2048 bytes, a sort key of 1 to 1024 bytes.
_MAX_PARTITION_KEY_BYTES = 2048
_MAX_SORT_KEY_BYTES = 1024


def possible_key(pk: str, sk: str) -> bool:
    """Whether an item could have this key (user-supplied ids end up in keys: "", 5 KB, lone surrogates)."""
    try:
        pk_bytes, sk_bytes = len(pk.encode("utf-8")), len(sk.encode("utf-8"))
    except UnicodeEncodeError:
        return False
    return 0 < pk_bytes <= _MAX_PARTITION_KEY_BYTES and 0 < sk_bytes <= _MAX_SORT_KEY_BYTES


def cancellation_codes(error: ClientError) -> list[str]:
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


class DynamoTable:
    """The table and the request helpers the aggregate classes build on (one client per container)."""

    def __init__(self, table_name: str) -> None:
        self._table = table_name

    @property
    def _ddb(self) -> Any:
        return client("dynamodb")

    # ------------------------------------------------------------------------------------- helpers
    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        if not possible_key(pk, sk):
            return None  # no item has it, and DynamoDB would refuse the request (a 5xx for a bad id)
        return self._ddb.get_item(TableName=self._table, Key=item_key(pk, sk), ConsistentRead=True).get("Item")

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        paginator = self._ddb.get_paginator("query")
        for page in paginator.paginate(TableName=self._table, **kwargs):
            items.extend(page["Items"])
        return items

    def _query_partition(self, pk: str) -> list[dict[str, Any]]:
        if not possible_key(pk, "-"):
            return []
        return self._query(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": pk}}, ConsistentRead=True
        )

    def _put_config(self, kind: str, model: BaseModel, sort_key: str) -> None:
        self._ddb.put_item(TableName=self._table, Item=model_item(model, {"pk": f"CFG#{kind}", "sk": sort_key}))

    def _list_config(self, kind: str, cls: type[M]) -> list[M]:
        return [m for m in (load_model(cls, i) for i in self._query_partition(f"CFG#{kind}")) if m is not None]

    def _delete_config(self, kind: str, sort_key: str) -> None:
        self._ddb.delete_item(TableName=self._table, Key=item_key(f"CFG#{kind}", sort_key))

    def _batch_delete(self, keys: list[dict[str, Any]]) -> None:
        for start in range(0, len(keys), 25):
            pending = {self._table: [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]}
            while pending:
                pending = self._ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def _conditional_write(self, write: Callable[..., Any], **request: Any) -> bool:
        """A conditional PutItem/UpdateItem: True if written, False if its condition did not hold."""
        try:
            write(TableName=self._table, **request)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _put_versioned(self, item: dict[str, Any], expected_version: int | None) -> None:
        """Put the whole item, only if its stored version is still `expected_version` (None: only if new)."""
        kwargs: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        if expected_version is not None:
            kwargs = {
                "ConditionExpression": "#ver = :expected",
                "ExpressionAttributeNames": {"#ver": "version"},
                "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}},
            }
        try:
            self._ddb.put_item(TableName=self._table, Item=item, **kwargs)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ItemChangedError(item["pk"]["S"]) from error
            raise

    def _batch_get(self, keys: list[dict[str, Any]], *, consistent: bool = True) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {self._table: {"Keys": keys[start : start + 100], "ConsistentRead": consistent}}
            while request:
                out = self._ddb.batch_get_item(RequestItems=request)
                items.extend(out.get("Responses", {}).get(self._table, []))
                request = out.get("UnprocessedKeys") or {}
        return items

    def _save_referencing(self, kind: str, model: BaseModel, item_id: str, references: list[tuple[str, str]]) -> None:
        """One transaction: put the item, check each referenced (kind, id) exists and move its epoch."""
        impossible = [ref_id for ref_kind, ref_id in references if not possible_key(f"REFS#{ref_id}", ref_kind)]
        if impossible:  # no item has such an id (and DynamoDB would refuse the whole transaction)
            raise MissingReferenceError(impossible)
        items: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": model_item(model, {"pk": f"CFG#{kind}", "sk": item_id})}}
        ]
        for ref_kind, ref_id in references:
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": item_key(f"CFG#{ref_kind}", ref_id),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            )
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": item_key(f"REFS#{ref_id}", "REFS"),
                        "UpdateExpression": "ADD epoch :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                }
            )
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            codes = cancellation_codes(error)
            missing = [
                ref_id
                for n, (_, ref_id) in enumerate(references)
                if codes[1 + 2 * n : 2 + 2 * n] == ["ConditionalCheckFailed"]
            ]
            if missing:
                raise MissingReferenceError(missing) from error
            raise
