"""Counts AWS API calls made by this thread, through botocore's event hooks, and meters what DynamoDB would
bill for them (request units from the real item sizes before and after each write).

DynamoDB on-demand billing, as modelled here (Developer Guide, "Read/write capacity mode" and "Capacity unit
consumption"):
- a write costs 1 write request unit (WRU) per started KB of the item: for a put or an update the larger of
  the item before and after, for a delete the item deleted; a write refused by its condition still costs its
  units (at least 1);
- writes inside TransactWriteItems cost twice that; a ConditionCheck is a transactional read of its item;
- every global secondary index whose key attributes are on the item (before or after) takes a write too, of
  the projected item (ALL projection: the whole item); a changed index key is a delete plus a put there;
  index writes are not doubled by transactions;
- a read costs 1 read request unit (RRU) per started 4 KB when strongly consistent, half when eventually
  consistent (transactional: twice); a Query reads the sum of its items' sizes, rounded up once; reading a
  missing item still costs the minimum.
The item size is the sum of attribute name and value sizes (strings and binaries by length, numbers
~1 byte per 2 digits + 1, maps and lists 3 bytes + 1 per element).

Before each write, the items it touches are read with a separate, uncounted client; after it, read again.
That time is inside the call window, so it is subtracted from the handler's CPU with moto's own.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

KB = 1024
READ_BLOCK = 4 * KB


def attribute_size(value: dict[str, Any]) -> int:
    ((kind, raw),) = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "B":
        return len(raw)
    if kind == "N":
        digits = len(raw.lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: v}) for v in raw)
    if kind == "M":
        return 3 + sum(len(k.encode()) + attribute_size(v) + 1 for k, v in raw.items())
    if kind == "L":
        return 3 + sum(attribute_size(v) + 1 for v in raw)
    raise ValueError(kind)


def item_size(item: dict[str, Any] | None) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in (item or {}).items())


@dataclass(frozen=True)
class _Index:
    hash_key: str
    range_key: str | None
    projection: str
    included: tuple[str, ...]


class _Table:
    def __init__(self, description: dict[str, Any]) -> None:
        schema = {k["KeyType"]: k["AttributeName"] for k in description["KeySchema"]}
        self.keys = tuple(schema.values())
        self.indexes = []
        for index in description.get("GlobalSecondaryIndexes", []):
            keys = {k["KeyType"]: k["AttributeName"] for k in index["KeySchema"]}
            projection = index.get("Projection", {})
            self.indexes.append(
                _Index(
                    keys["HASH"],
                    keys.get("RANGE"),
                    projection.get("ProjectionType", "ALL"),
                    tuple(projection.get("NonKeyAttributes", ())),
                )
            )

    def key_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: item[k] for k in self.keys}

    def projected_size(self, index: _Index, item: dict[str, Any]) -> int:
        if index.projection == "ALL":
            return item_size(item)
        names = {*self.keys, index.hash_key, index.range_key or "", *index.included}
        return item_size({k: v for k, v in item.items() if k in names})


def _write_units(size: int) -> int:
    return max(1, math.ceil(size / KB))


def _read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_BLOCK))
    return units if consistent else units / 2


class DynamoMeter:
    """Request units of DynamoDB calls (see the module docstring for the rules)."""

    def __init__(self) -> None:
        self._client: Any = None  # made when first needed, with the harness's credentials of that moment
        self._tables: dict[str, _Table] = {}
        self.units: Counter[str] = Counter()

    def _dynamodb(self) -> Any:
        if self._client is None:
            self._client = boto3.session.Session().client("dynamodb")  # not hooked: its reads are not counted
        return self._client

    def _table(self, name: str) -> _Table:
        if name not in self._tables:
            self._tables[name] = _Table(self._dynamodb().describe_table(TableName=name)["Table"])
        return self._tables[name]

    def _get(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        return self._dynamodb().get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    def _writes(self, operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any], int, str]]:
        """(table, key, multiplier, kind) of every item the write touches."""
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            table = params["TableName"]
            key = params.get("Key") or self._table(table).key_of(params["Item"])
            return [(table, key, 1, operation)]
        if operation == "TransactWriteItems":
            touched = []
            for entry in params["TransactItems"]:
                ((kind, action),) = entry.items()
                table = action["TableName"]
                key = action.get("Key") or self._table(table).key_of(action["Item"])
                touched.append((table, key, 2, kind))
            return touched
        if operation == "BatchWriteItem":
            touched = []
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        touched.append((table, self._table(table).key_of(request["PutRequest"]["Item"]), 1, "Put"))
                    else:
                        touched.append((table, request["DeleteRequest"]["Key"], 1, "Delete"))
            return touched
        return []

    def before(self, operation: str, params: dict[str, Any]) -> list[tuple[str, dict, int, str, dict | None]]:
        return [(t, k, m, kind, self._get(t, k)) for t, k, m, kind in self._writes(operation, params)]

    def after(
        self,
        operation: str,
        params: dict[str, Any],
        parsed: dict[str, Any],
        pending: list,
        failed: bool,
        prefix: str = "",
    ) -> None:
        units: Counter[str] = Counter()
        self._after(operation, params, parsed, pending, failed, units)
        for name, value in units.items():
            self.units[prefix + name] += value

    def _after(
        self,
        operation: str,
        params: dict[str, Any],
        parsed: dict[str, Any],
        pending: list,
        failed: bool,
        units: Counter[str],
    ) -> None:
        for table_name, key, multiplier, kind, old in pending:
            table = self._table(table_name)
            if kind == "ConditionCheck":
                units["RRU"] += 2 * _read_units(item_size(old), True)
                continue
            new = None if failed else self._get(table_name, key)
            if failed:
                units["WRU"] += multiplier * _write_units(item_size(old))
                continue
            units["WRU"] += multiplier * _write_units(max(item_size(old), item_size(new)))
            for index in table.indexes:
                units["WRU"] += self._index_writes(table, index, old, new)
        if operation == "GetItem":
            units["RRU"] += _read_units(item_size(parsed.get("Item")), params.get("ConsistentRead", False))
        elif operation == "BatchGetItem":
            for table_name, request in params["RequestItems"].items():
                found = parsed.get("Responses", {}).get(table_name, [])
                sizes = [item_size(i) for i in found] + [0] * (len(request["Keys"]) - len(found))
                consistent = request.get("ConsistentRead", False)
                units["RRU"] += sum(_read_units(s, consistent) for s in sizes)
        elif operation in ("Query", "Scan"):
            size = sum(item_size(i) for i in parsed.get("Items", []))
            units["RRU"] += _read_units(size, params.get("ConsistentRead", False))

    @staticmethod
    def _index_writes(table: _Table, index: _Index, old: dict | None, new: dict | None) -> int:
        def index_key(item: dict | None) -> tuple | None:
            if not item or index.hash_key not in item or (index.range_key and index.range_key not in item):
                return None
            return (str(item[index.hash_key]), str(item.get(index.range_key)) if index.range_key else None)

        before, after = index_key(old), index_key(new)
        if before is None and after is None:
            return 0
        if before is None:
            return _write_units(table.projected_size(index, new))
        if after is None:
            return _write_units(table.projected_size(index, old))
        if before != after:
            return _write_units(table.projected_size(index, old)) + _write_units(table.projected_size(index, new))
        if table.projected_size(index, old) == table.projected_size(index, new) and old == new:
            return 0
        return _write_units(max(table.projected_size(index, old), table.projected_size(index, new)))


class CallCounter:
    """Counts calls and the CPU time this thread spends inside them (so callers can subtract what moto's
    in-process emulation of AWS costs from the handler's own CPU); optionally meters DynamoDB units."""

    def __init__(self, meter: DynamoMeter | None = None) -> None:
        self.calls: Counter[str] = Counter()
        self.cpu_in_calls = 0.0
        self.meter = meter
        self._thread = threading.get_ident()
        self._active = False
        self._all_threads = False
        self._lock = threading.Lock()
        self._call = threading.local()  # started, params, pending: per thread

    def _prefix(self) -> str:
        """Calls (and units) of other threads than the counting one are kept apart, as "bg.<name>"."""
        return "" if threading.get_ident() == self._thread else "bg."

    def _mine(self) -> bool:
        return self._active and (self._all_threads or threading.get_ident() == self._thread)

    def _on_params(self, params, model, **_kwargs) -> None:  # noqa: ANN001 - botocore's hook signature
        if self._mine() and model.service_model.service_name == "dynamodb":
            self._call.params = dict(params)

    def _on_call(self, model, **_kwargs) -> None:  # noqa: ANN001 - botocore's hook signature
        if self._mine():
            with self._lock:
                self.calls[f"{self._prefix()}{model.service_model.service_name}.{model.name}"] += 1
            self._call.started = time.thread_time()
            self._call.pending = []
            if self.meter is not None and model.service_model.service_name == "dynamodb":
                self._call.pending = self.meter.before(model.name, getattr(self._call, "params", {}))

    def _after_call(self, model, parsed=None, **_kwargs) -> None:  # noqa: ANN001 - botocore's hook signature
        started = getattr(self._call, "started", 0.0)
        if self._mine() and started:
            if self.meter is not None and model.service_model.service_name == "dynamodb":
                failed = bool((parsed or {}).get("Error"))
                with self._lock:
                    self.meter.after(
                        model.name,
                        getattr(self._call, "params", {}),
                        parsed or {},
                        self._call.pending,
                        failed,
                        prefix=self._prefix(),
                    )
            if threading.get_ident() == self._thread:
                self.cpu_in_calls += time.thread_time() - started
            self._call.started = 0.0

    def _after_error(self, model, **kwargs) -> None:  # noqa: ANN001 - botocore's hook signature
        # A refused write (ConditionalCheckFailed, a cancelled transaction) still costs its units.
        self._after_call(model, parsed={"Error": True}, **{k: v for k, v in kwargs.items() if k != "parsed"})

    @contextmanager
    def counting(self, *, all_threads: bool = False):
        """Count this thread's calls (or every thread's: background work such as Step Functions)."""
        previous = (self._thread, self._active, self._all_threads)
        self._thread = threading.get_ident()
        self._active, self._all_threads = True, all_threads or (previous[1] and previous[2])
        try:
            yield self
        finally:
            self._thread, self._active, self._all_threads = previous

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def install_counter(meter: bool = False) -> CallCounter:
    """Hook the default boto3 session, which every client of the app is created from."""
    counter = CallCounter(DynamoMeter() if meter else None)
    session = boto3._get_default_session()  # noqa: SLF001 - the session oncall.platform.aws.client() uses
    session.events.register("before-parameter-build.*.*", counter._on_params)
    session.events.register("before-call.*.*", counter._on_call)
    session.events.register("after-call.*.*", counter._after_call)
    session.events.register("after-call-error.*.*", counter._after_error)
    return counter
