"""Alerts and alert groups: membership, counters, grouping keys, timeline, delivery claims, resolution notes
(see docs/storage.md; the route path is the hot path, so every join is kept to two small writes)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from oncall.models import (
    Alert,
    AlertGroup,
    ResolutionNote,
    TimelineEntry,
)
from oncall.platform.clock import iso
from oncall.storage.dynamo.table import (
    DynamoTable,
    cancellation_codes,
    compressed_payload,
    item_key,
    load_model,
    model_item,
    possible_key,
    to_attrs,
)
from oncall.storage.protocols import (
    AlertAlreadyGroupedError,
    GroupChangedError,
    GroupClosedError,
    GroupJoin,
    GroupKeyPointer,
    GroupKeyTakenError,
    store_request_error,
)

_GROUP_SK = "GROUP"
_COUNTS_SK = "GROUP#COUNTS"
_MEMBER_SK = "MEMBER"
_COUNTS_ATTRS = ("alerts_count", "last_alert_id")


def _with_member(alert_item: dict[str, Any] | None, member: dict[str, Any] | None) -> Alert | None:
    alert = load_model(Alert, alert_item)
    if alert is not None and member:
        alert = alert.model_copy(update={"group_id": member["group_id"]["S"]})
    return alert


def _with_counts(group_item: dict[str, Any] | None, counts: dict[str, Any] | None) -> AlertGroup | None:
    if not group_item:
        return None
    if counts:
        group_item = {**group_item, **{k: v for k, v in counts.items() if k in _COUNTS_ATTRS}}
    return load_model(AlertGroup, group_item)


class DynamoGroups(DynamoTable):
    """ALERT#, GROUP#, GKEY# items and the group counter."""

    def put_alert(self, alert: Alert) -> None:
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=model_item(alert, {"pk": f"ALERT#{alert.id}", "sk": "ALERT"}),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except (ClientError, BotoCoreError) as error:  # ingest answers 413 or 503 on these (intake/accept.py)
            raise store_request_error(error, "PutItem") from error

    def get_alert(self, alert_id: str) -> Alert | None:
        items = {i["sk"]["S"]: i for i in self._query_partition(f"ALERT#{alert_id}")}  # the alert and its MEMBER
        return _with_member(items.get("ALERT"), items.get(_MEMBER_SK))

    def get_alerts(self, alert_ids: list[str], *, consistent: bool = True) -> dict[str, Alert]:
        unique = [i for i in dict.fromkeys(alert_ids) if possible_key(f"ALERT#{i}", "ALERT")]
        keys = [item_key(f"ALERT#{i}", sk) for i in unique for sk in ("ALERT", _MEMBER_SK)]
        try:
            items = {(i["pk"]["S"], i["sk"]["S"]): i for i in self._batch_get(keys, consistent=consistent)}
        except (ClientError, BotoCoreError) as error:  # the route path falls back to one read per alert
            raise store_request_error(error, "BatchGetItem") from error
        found = {}
        for alert_id in alert_ids:
            pk = f"ALERT#{alert_id}"
            alert = _with_member(items.get((pk, "ALERT")), items.get((pk, _MEMBER_SK)))
            if alert is not None:
                found[alert_id] = alert
        return found

    def delete_alert(self, alert_id: str) -> None:
        try:
            self._ddb.delete_item(TableName=self._table, Key=item_key(f"ALERT#{alert_id}", "ALERT"))
        except (ClientError, BotoCoreError) as error:
            raise store_request_error(error, "DeleteItem") from error

    def _members(self, group_id: str) -> list[dict[str, Any]]:
        return self._query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"ALERTS#{group_id}"}},
        )

    def list_alerts(self, group_id: str) -> list[Alert]:
        members = self._members(group_id)  # in gsi1 order: received_at, id
        alerts = {i["pk"]["S"]: i for i in self._batch_get([item_key(m["pk"]["S"], "ALERT") for m in members])}
        loaded = (_with_member(alerts.get(m["pk"]["S"]), m) for m in members)
        return [a for a in loaded if a is not None]

    def alert_ids_since(self, group_id: str, since: datetime) -> list[str]:
        items = self._query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk AND gsi1sk >= :since",
            ExpressionAttributeValues={":pk": {"S": f"ALERTS#{group_id}"}, ":since": {"S": iso(since)}},
            ProjectionExpression="gsi1sk",
        )
        return [item["gsi1sk"]["S"].rsplit("#", 1)[1] for item in items]

    def _member_item(self, alert: Alert, group_id: str) -> dict[str, Any]:
        return {
            **item_key(f"ALERT#{alert.id}", _MEMBER_SK),
            "group_id": {"S": group_id},
            "gsi1pk": {"S": f"ALERTS#{group_id}"},
            "gsi1sk": {"S": f"{iso(alert.received_at)}#{alert.id}"},
        }

    def next_group_number(self) -> int:
        out = self._ddb.update_item(
            TableName=self._table,
            Key=item_key("COUNTER", "alert_group_number"),
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(out["Attributes"]["n"]["N"])

    def get_group_key(self, key: str) -> GroupKeyPointer:
        item = self._get(f"GKEY#{key}", "GKEY") or {}
        return GroupKeyPointer(
            open_group_id=item.get("open_group_id", {}).get("S"),
            last_resolved_group_id=item.get("last_resolved_group_id", {}).get("S"),
        )

    def create_group(self, group: AlertGroup, alert: Alert) -> None:
        group = group.model_copy(update={"alerts_count": 1, "last_alert_id": alert.id})
        counts: dict[str, Any] = {
            **item_key(f"GROUP#{group.id}", _COUNTS_SK),
            "alerts_count": {"N": "1"},
            "last_alert_id": {"S": alert.id},
        }
        if group.grouping_key:
            counts["open"] = {"BOOL": True}
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": model_item(
                        group,
                        {
                            "pk": f"GROUP#{group.id}",
                            "sk": _GROUP_SK,
                            "gsi1pk": "GROUPS",
                            "gsi1sk": f"{iso(group.started_at)}#{group.id}",
                        },
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._member_item(alert, group.id),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": {"TableName": self._table, "Item": counts}},
        ]
        if group.grouping_key:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": item_key(f"GKEY#{group.grouping_key}", "GKEY"),
                        "UpdateExpression": "SET open_group_id = :g",
                        "ConditionExpression": "attribute_not_exists(open_group_id)",
                        "ExpressionAttributeValues": {":g": {"S": group.id}},
                    }
                }
            )
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            codes = cancellation_codes(error)
            # A redelivered alert may also find its own group holding the key: report the redelivery.
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise AlertAlreadyGroupedError(alert.id) from error
            if len(codes) > 3 and codes[3] == "ConditionalCheckFailed":
                raise GroupKeyTakenError(group.grouping_key) from error
            raise

    def add_alert_to_group(self, group_id: str, alert: Alert, *, must_be_open: bool) -> GroupJoin:
        """Two conditional writes, no transaction (a transaction costs twice the write units): first the
        counter, which is the moment the alert joins (only while the group is open, if `must_be_open`), then
        the alert's MEMBER item, which exists at most once per alert. A redelivered alert finds its MEMBER
        item and is not counted twice (the counter is put back); one that crashed between the two writes is
        counted but not a member, so its redelivery skips the counter (its id is the counter's last alert)
        and writes the MEMBER item. Nothing is lost either way: the count can only be one too high if the
        group also received another alert before the redelivery."""
        counts_key = item_key(f"GROUP#{group_id}", _COUNTS_SK)
        condition = "attribute_exists(#open)" if must_be_open else "attribute_exists(pk)"
        previous: dict[str, Any] = {}
        try:
            out = self._ddb.update_item(
                TableName=self._table,
                Key=counts_key,
                UpdateExpression="ADD alerts_count :one SET last_alert_id = :a",
                ConditionExpression=f"{condition} AND (attribute_not_exists(last_alert_id) OR last_alert_id <> :a)",
                ExpressionAttributeNames={"#open": "open"} if must_be_open else {},
                ExpressionAttributeValues={":one": {"N": "1"}, ":a": {"S": alert.id}},
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            previous = out.get("Attributes") or {}
            counted = True
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            current = error.response.get("Item") or {}
            joinable = bool(current) and (not must_be_open or "open" in current)
            if not joinable:
                raise GroupClosedError(group_id) from error
            counted = False  # this alert is the counter's last alert already (a crash after counting it)
            previous = current
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=self._member_item(alert, group_id),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            if counted:
                self._uncount(counts_key, alert.id, previous.get("last_alert_id"))
            raise AlertAlreadyGroupedError(alert.id) from error
        return GroupJoin(paused="paused" in previous)

    def _uncount(self, counts_key: dict[str, Any], alert_id: str, last_alert_id: dict[str, Any] | None) -> None:
        """Put the counter back after counting a redelivered alert (unless another alert counted since)."""
        restore = "SET last_alert_id = :prev" if last_alert_id else "REMOVE last_alert_id"
        values: dict[str, Any] = {":minus": {"N": "-1"}, ":a": {"S": alert_id}}
        if last_alert_id:
            values[":prev"] = last_alert_id
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=counts_key,
                UpdateExpression=f"ADD alerts_count :minus {restore}",
                ConditionExpression="last_alert_id = :a",
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def get_group(self, group_id: str) -> AlertGroup | None:
        items = self._query(  # the group and its counter, one read
            KeyConditionExpression="pk = :pk AND begins_with(sk, :group)",
            ExpressionAttributeValues={":pk": {"S": f"GROUP#{group_id}"}, ":group": {"S": _GROUP_SK}},
            ConsistentRead=True,
        )
        by_sk = {i["sk"]["S"]: i for i in items}
        return _with_counts(by_sk.get(_GROUP_SK), by_sk.get(_COUNTS_SK))

    def list_groups(self) -> list[AlertGroup]:
        items = self._query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "GROUPS"}},
            ScanIndexForward=False,
        )
        counts = {i["pk"]["S"]: i for i in self._batch_get([item_key(i["pk"]["S"], _COUNTS_SK) for i in items])}
        return [g for g in (_with_counts(i, counts.get(i["pk"]["S"])) for i in items) if g is not None]

    def update_group(
        self, group: AlertGroup, changes: dict[str, Any], *, close_grouping_key: bool = False
    ) -> AlertGroup:
        updated = group.model_copy(update={**changes, "version": group.version + 1})
        data = updated.model_dump(mode="json")
        names: dict[str, str] = {}
        values: dict[str, Any] = {":expected": {"N": str(group.version)}}
        sets, removes = [], []
        for index, field in enumerate([*changes, "version"]):
            names[f"#f{index}"] = field
            if data[field] is None:
                removes.append(f"#f{index}")
            else:
                values[f":v{index}"] = to_attrs({"v": data[field]})["v"]
                sets.append(f"#f{index} = :v{index}")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        update = {
            "Update": {
                "TableName": self._table,
                "Key": item_key(f"GROUP#{group.id}", "GROUP"),
                "UpdateExpression": expression,
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }
        close_key = {
            "Update": {
                "TableName": self._table,
                "Key": item_key(f"GKEY#{group.grouping_key}", "GKEY"),
                "UpdateExpression": "REMOVE open_group_id SET last_resolved_group_id = :g",
                "ConditionExpression": "open_group_id = :g",
                "ExpressionAttributeValues": {":g": {"S": group.id}},
            }
        }
        items = [update, close_key] if close_grouping_key and group.grouping_key else [update]
        # The counter item mirrors what joins must see at the moment they join: whether the group is open,
        # whether its escalation is paused.
        mirror_sets, mirror_removes, mirror_names = [], [], {}
        if close_grouping_key and group.grouping_key:
            mirror_removes.append("#open")
            mirror_names["#open"] = "open"
        if "escalation_pause" in changes:
            (mirror_removes if changes["escalation_pause"] is None else mirror_sets).append(
                "#paused" if changes["escalation_pause"] is None else "#paused = :t"
            )
            mirror_names["#paused"] = "paused"
        if mirror_names:
            expression = ("SET " + ", ".join(mirror_sets) + " " if mirror_sets else "") + (
                "REMOVE " + ", ".join(mirror_removes) if mirror_removes else ""
            )
            counts: dict[str, Any] = {
                "TableName": self._table,
                "Key": item_key(f"GROUP#{group.id}", _COUNTS_SK),
                "UpdateExpression": expression.strip(),
                "ExpressionAttributeNames": mirror_names,
            }
            if mirror_sets:
                counts["ExpressionAttributeValues"] = {":t": {"BOOL": True}}
            items.append({"Update": counts})
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            codes = cancellation_codes(error)
            if codes[:1] == ["ConditionalCheckFailed"]:
                raise GroupChangedError(group.id) from error
            if close_grouping_key and len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                # The key no longer points at this group (a late alert joined an already-resolved group).
                return self.update_group(group, changes)
            raise
        return updated

    def finish_escalation(self, group_id: str, execution_name: str) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=item_key(f"GROUP#{group_id}", "GROUP"),
                UpdateExpression="SET escalation_finished = :t",
                ConditionExpression="escalation.execution_name = :name",
                ExpressionAttributeValues={":t": {"BOOL": True}, ":name": {"S": execution_name}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def delete_group(self, group_id: str) -> None:
        members = self._members(group_id)
        keys = [item_key(m["pk"]["S"], sk) for m in members for sk in ("ALERT", _MEMBER_SK)]
        keys += [
            {"pk": item["pk"], "sk": item["sk"]}
            for item in self._query(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"GROUP#{group_id}"}},
                ProjectionExpression="pk, sk",
            )
        ]
        self._batch_delete(keys)

    def wipe_alerts(self, group_id: str, text: str) -> None:
        wiped = compressed_payload({"message": text})
        for member in self._members(group_id):
            self._ddb.update_item(
                TableName=self._table,
                Key=item_key(member["pk"]["S"], "ALERT"),
                UpdateExpression="SET payload_z = :p REMOVE payload_json",
                ExpressionAttributeValues={":p": wiped},
            )

    def add_timeline(self, entry: TimelineEntry) -> None:
        sort_key = f"LOG#{iso(entry.at)}#{secrets.token_hex(3)}"
        self._ddb.put_item(
            TableName=self._table, Item=model_item(entry, {"pk": f"GROUP#{entry.group_id}", "sk": sort_key})
        )

    def list_timeline(self, group_id: str) -> list[TimelineEntry]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :log)",
            ExpressionAttributeValues={":pk": {"S": f"GROUP#{group_id}"}, ":log": {"S": "LOG#"}},
            ConsistentRead=True,
        )
        return [e for e in (load_model(TimelineEntry, i) for i in items) if e is not None]

    # ------------------------------------------------------------------------------------- resolution notes
    # One partition, like configuration: notes are few (people write them) and listed across groups.
    def put_resolution_note(self, note: ResolutionNote) -> None:
        self._put_config("RESOLUTION_NOTE", note, note.id)

    def get_resolution_note(self, note_id: str) -> ResolutionNote | None:
        return load_model(ResolutionNote, self._get("CFG#RESOLUTION_NOTE", note_id))

    def list_resolution_notes(self, alert_group_id: str | None = None) -> list[ResolutionNote]:
        notes = self._list_config("RESOLUTION_NOTE", ResolutionNote)
        mine = [n for n in notes if alert_group_id in (None, n.alert_group_id)]
        return sorted(mine, key=lambda n: (n.created_at, n.id))

    def delete_resolution_note(self, note_id: str) -> None:
        if possible_key("CFG#RESOLUTION_NOTE", note_id):
            self._ddb.delete_item(TableName=self._table, Key=item_key("CFG#RESOLUTION_NOTE", note_id))

    def claim_delivery(self, group_id: str, key: str, at: datetime, *, group_version: int | None = None) -> bool:
        claim = {
            "TableName": self._table,
            "Item": {**item_key(f"GROUP#{group_id}", f"DELIVERY#{key}"), "claimed_at": {"S": iso(at)}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        if group_version is None:
            return self._conditional_write(self._ddb.put_item, **{k: v for k, v in claim.items() if k != "TableName"})
        # The claim and the group's state in one transaction: a change committed since the caller read the
        # group (an acknowledgement) makes the claim fail, so nothing is sent after it.
        unchanged = {
            "TableName": self._table,
            "Key": item_key(f"GROUP#{group_id}", "GROUP"),
            "ConditionExpression": "version = :expected",
            "ExpressionAttributeValues": {":expected": {"N": str(group_version)}},
        }
        try:
            self._ddb.transact_write_items(TransactItems=[{"Put": claim}, {"ConditionCheck": unchanged}])
        except ClientError as error:
            codes = cancellation_codes(error)
            if codes[:1] == ["ConditionalCheckFailed"]:
                return False
            if codes[1:2] == ["ConditionalCheckFailed"]:
                raise GroupChangedError(group_id) from error
            raise
        return True

    def release_delivery(self, group_id: str, key: str) -> None:
        self._ddb.delete_item(TableName=self._table, Key=item_key(f"GROUP#{group_id}", f"DELIVERY#{key}"))
