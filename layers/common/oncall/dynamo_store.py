"""The Store on one DynamoDB table (single-table design).

Keys (pk / sk):
  CFG#<KIND> / <id>                 configuration: INTEGRATION, ROUTE, CHAIN, STEP, USER, TEAM, SCHEDULE,
                                     APITOKEN (sk = digest), SETTINGS (sk = deployment)
  ROTATION#<step id> / ROTATION      round robin of a notify_person_next_each_time step: last_user_id, version
  TOKEN#<integration token> / TOKEN  -> integration_id (a consistent lookup for ingest)
  ALERT#<id> / ALERT                 one received alert; gsi1 = ALERTS#<group> / <received_at>#<id> once grouped
  GROUP#<id> / GROUP                 an alert group; gsi1 = GROUPS / <started_at>#<id>
  GROUP#<id> / LOG#<at>#<n>          its timeline
  GROUP#<id> / DELIVERY#<key>        delivery claims (idempotency of notifications)
  GROUP#<id> / PICK#<key>            the user a round-robin step picked for this group (retries repeat it)
  GKEY#<grouping key> / GKEY         open_group_id (present while a group is open), last_resolved_group_id
  COUNTER / alert_group_number       the per-deployment group number (#N in titles)
  HEARTBEAT#<integration> / HEARTBEAT  heartbeat state; hb_shard/hb_due (sparse index "heartbeats") while armed
Conditional writes and transactions, never read-then-write, keep one open group per grouping key.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel

from oncall.aws import client
from oncall.clock import iso
from oncall.models import (
    Alert,
    AlertGroup,
    ApiToken,
    DeploymentSettings,
    EscalationChain,
    EscalationStep,
    Heartbeat,
    Integration,
    Route,
    Schedule,
    Team,
    TimelineEntry,
    User,
)
from oncall.store import (
    AlertAlreadyGroupedError,
    GroupChangedError,
    GroupClosedError,
    GroupKeyPointer,
    GroupKeyTakenError,
    RotationChangedError,
    RotationState,
)

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


def _to_attrs(data: dict[str, Any]) -> dict[str, Any]:
    as_decimals = json.loads(json.dumps(data), parse_float=Decimal)
    return {k: _serializer.serialize(v) for k, v in as_decimals.items() if v is not None}


def _from_attrs(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items() if k not in _KEY_ATTRS}


def _model_item(model: BaseModel, keys: dict[str, str], **extra: Any) -> dict[str, Any]:
    data = model.model_dump(mode="json")
    if isinstance(model, Alert):
        data["payload_json"] = json.dumps(data.pop("payload"), separators=(",", ":"))
    return {**_to_attrs({**data, **extra}), **{k: {"S": v} for k, v in keys.items()}}


def _load(cls: type[M], item: dict[str, Any] | None) -> M | None:
    if not item:
        return None
    data = _from_attrs(item)
    if "payload_json" in data:
        data["payload"] = json.loads(data.pop("payload_json"))
    return cls.model_validate(data)


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _cancellation_codes(error: ClientError) -> list[str]:
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


class DynamoStore:
    def __init__(self, table_name: str) -> None:
        self._table = table_name

    @property
    def _ddb(self) -> Any:
        return client("dynamodb")

    # ------------------------------------------------------------------------------------- helpers
    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        return self._ddb.get_item(TableName=self._table, Key=_key(pk, sk), ConsistentRead=True).get("Item")

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        paginator = self._ddb.get_paginator("query")
        for page in paginator.paginate(TableName=self._table, **kwargs):
            items.extend(page["Items"])
        return items

    def _query_partition(self, pk: str) -> list[dict[str, Any]]:
        return self._query(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": pk}}, ConsistentRead=True
        )

    def _put_config(self, kind: str, model: BaseModel, sort_key: str) -> None:
        self._ddb.put_item(TableName=self._table, Item=_model_item(model, {"pk": f"CFG#{kind}", "sk": sort_key}))

    def _list_config(self, kind: str, cls: type[M]) -> list[M]:
        return [m for m in (_load(cls, i) for i in self._query_partition(f"CFG#{kind}")) if m is not None]

    # ------------------------------------------------------------------------------------- configuration
    def create_integration(self, integration: Integration, default_route: Route) -> None:
        self._ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": _model_item(integration, {"pk": "CFG#INTEGRATION", "sk": integration.id}),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **_key(f"TOKEN#{integration.token}", "TOKEN"),
                            "integration_id": {"S": integration.id},
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": _model_item(default_route, {"pk": "CFG#ROUTE", "sk": default_route.id}),
                    }
                },
            ]
        )

    def get_integration(self, integration_id: str) -> Integration | None:
        return _load(Integration, self._get("CFG#INTEGRATION", integration_id))

    def find_integration_by_token(self, token: str) -> Integration | None:
        pointer = self._get(f"TOKEN#{token}", "TOKEN")
        return self.get_integration(pointer["integration_id"]["S"]) if pointer else None

    def list_integrations(self) -> list[Integration]:
        return sorted(self._list_config("INTEGRATION", Integration), key=lambda i: (i.created_at, i.id))

    def put_route(self, route: Route) -> None:
        self._put_config("ROUTE", route, route.id)

    def get_route(self, route_id: str) -> Route | None:
        return _load(Route, self._get("CFG#ROUTE", route_id))

    def list_routes(self) -> list[Route]:
        return self._list_config("ROUTE", Route)

    def put_chain(self, chain: EscalationChain) -> None:
        self._put_config("CHAIN", chain, chain.id)

    def get_chain(self, chain_id: str) -> EscalationChain | None:
        return _load(EscalationChain, self._get("CFG#CHAIN", chain_id))

    def list_chains(self) -> list[EscalationChain]:
        return sorted(self._list_config("CHAIN", EscalationChain), key=lambda c: (c.created_at, c.id))

    def put_step(self, step: EscalationStep) -> None:
        self._put_config("STEP", step, step.id)

    def get_step(self, step_id: str) -> EscalationStep | None:
        return _load(EscalationStep, self._get("CFG#STEP", step_id))

    def list_steps(self) -> list[EscalationStep]:
        return self._list_config("STEP", EscalationStep)

    def delete_step(self, step_id: str) -> None:
        self._delete_config("STEP", step_id)

    def _delete_config(self, kind: str, sort_key: str) -> None:
        self._ddb.delete_item(TableName=self._table, Key=_key(f"CFG#{kind}", sort_key))

    def put_user(self, user: User) -> None:
        self._put_config("USER", user, user.id)

    def get_user(self, user_id: str) -> User | None:
        return _load(User, self._get("CFG#USER", user_id))

    def list_users(self) -> list[User]:
        return sorted(self._list_config("USER", User), key=lambda u: (u.username, u.id))

    def delete_user(self, user_id: str) -> None:
        self._delete_config("USER", user_id)

    def put_team(self, team: Team) -> None:
        self._put_config("TEAM", team, team.id)

    def get_team(self, team_id: str) -> Team | None:
        return _load(Team, self._get("CFG#TEAM", team_id))

    def list_teams(self) -> list[Team]:
        return sorted(self._list_config("TEAM", Team), key=lambda t: (t.name, t.id))

    def delete_team(self, team_id: str) -> None:
        self._delete_config("TEAM", team_id)

    def put_schedule(self, schedule: Schedule) -> None:
        self._put_config("SCHEDULE", schedule, schedule.id)

    def get_schedule(self, schedule_id: str) -> Schedule | None:
        return _load(Schedule, self._get("CFG#SCHEDULE", schedule_id))

    def list_schedules(self) -> list[Schedule]:
        return sorted(self._list_config("SCHEDULE", Schedule), key=lambda s: (s.name, s.id))

    def delete_schedule(self, schedule_id: str) -> None:
        self._delete_config("SCHEDULE", schedule_id)

    def put_api_token(self, token: ApiToken) -> None:
        self._put_config("APITOKEN", token, token.digest)

    def get_api_token(self, digest: str) -> ApiToken | None:
        return _load(ApiToken, self._get("CFG#APITOKEN", digest))

    def get_deployment_settings(self) -> DeploymentSettings:
        return _load(DeploymentSettings, self._get("CFG#SETTINGS", "deployment")) or DeploymentSettings()

    def put_deployment_settings(self, settings: DeploymentSettings) -> None:
        self._put_config("SETTINGS", settings, "deployment")

    # ------------------------------------------------------------------------------------- round robin
    def get_rotation(self, step_id: str) -> RotationState:
        item = self._get(f"ROTATION#{step_id}", "ROTATION")
        if not item:
            return RotationState()
        return RotationState(
            last_user_id=item.get("last_user_id", {}).get("S"), version=int(item.get("version", {}).get("N", "0"))
        )

    def get_rotation_pick(self, group_id: str, key: str) -> str | None:
        item = self._get(f"GROUP#{group_id}", f"PICK#{key}")
        return item["user_id"]["S"] if item else None

    def record_rotation_pick(
        self, step_id: str, expected: RotationState, user_id: str, group_id: str, key: str
    ) -> None:
        condition = "attribute_not_exists(pk)" if expected.version == 0 else "version = :expected"
        values: dict[str, Any] = {":u": {"S": user_id}, ":v": {"N": str(expected.version + 1)}}
        if expected.version:
            values[":expected"] = {"N": str(expected.version)}
        try:
            self._ddb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _key(f"ROTATION#{step_id}", "ROTATION"),
                            "UpdateExpression": "SET last_user_id = :u, version = :v",
                            "ConditionExpression": condition,
                            "ExpressionAttributeValues": values,
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {**_key(f"GROUP#{group_id}", f"PICK#{key}"), "user_id": {"S": user_id}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise RotationChangedError(step_id) from error
            raise

    # ------------------------------------------------------------------------------------- alerts
    def put_alert(self, alert: Alert) -> None:
        self._ddb.put_item(
            TableName=self._table,
            Item=_model_item(alert, {"pk": f"ALERT#{alert.id}", "sk": "ALERT"}),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get_alert(self, alert_id: str) -> Alert | None:
        return _load(Alert, self._get(f"ALERT#{alert_id}", "ALERT"))

    def delete_alert(self, alert_id: str) -> None:
        self._ddb.delete_item(TableName=self._table, Key=_key(f"ALERT#{alert_id}", "ALERT"))

    def list_alerts(self, group_id: str) -> list[Alert]:
        items = self._query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"ALERTS#{group_id}"}},
        )
        return [a for a in (_load(Alert, i) for i in items) if a is not None]

    def alert_ids_since(self, group_id: str, since: datetime) -> list[str]:
        items = self._query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk AND gsi1sk >= :since",
            ExpressionAttributeValues={":pk": {"S": f"ALERTS#{group_id}"}, ":since": {"S": iso(since)}},
            ProjectionExpression="gsi1sk",
        )
        return [item["gsi1sk"]["S"].rsplit("#", 1)[1] for item in items]

    def _assign_alert(self, alert: Alert, group_id: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": _key(f"ALERT#{alert.id}", "ALERT"),
                "UpdateExpression": "SET group_id = :g, gsi1pk = :gpk, gsi1sk = :gsk",
                "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(group_id)",
                "ExpressionAttributeValues": {
                    ":g": {"S": group_id},
                    ":gpk": {"S": f"ALERTS#{group_id}"},
                    ":gsk": {"S": f"{iso(alert.received_at)}#{alert.id}"},
                },
            }
        }

    # ------------------------------------------------------------------------------------- groups
    def next_group_number(self) -> int:
        out = self._ddb.update_item(
            TableName=self._table,
            Key=_key("COUNTER", "alert_group_number"),
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
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _model_item(
                        group,
                        {
                            "pk": f"GROUP#{group.id}",
                            "sk": "GROUP",
                            "gsi1pk": "GROUPS",
                            "gsi1sk": f"{iso(group.started_at)}#{group.id}",
                        },
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            self._assign_alert(alert, group.id),
        ]
        if group.grouping_key:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _key(f"GKEY#{group.grouping_key}", "GKEY"),
                        "UpdateExpression": "SET open_group_id = :g",
                        "ConditionExpression": "attribute_not_exists(open_group_id)",
                        "ExpressionAttributeValues": {":g": {"S": group.id}},
                    }
                }
            )
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            codes = _cancellation_codes(error)
            # A redelivered alert may also find its own group holding the key: report the redelivery.
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise AlertAlreadyGroupedError(alert.id) from error
            if len(codes) > 2 and codes[2] == "ConditionalCheckFailed":
                raise GroupKeyTakenError(group.grouping_key) from error
            raise

    def add_alert_to_group(self, group: AlertGroup, alert: Alert, *, must_be_open: bool) -> None:
        items: list[dict[str, Any]] = [
            self._assign_alert(alert, group.id),
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _key(f"GROUP#{group.id}", "GROUP"),
                    "UpdateExpression": "ADD alerts_count :one SET last_alert_id = :a",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":a": {"S": alert.id}},
                }
            },
        ]
        if must_be_open:
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": _key(f"GKEY#{group.grouping_key}", "GKEY"),
                        "ConditionExpression": "open_group_id = :g",
                        "ExpressionAttributeValues": {":g": {"S": group.id}},
                    }
                }
            )
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            codes = _cancellation_codes(error)
            if codes and codes[0] == "ConditionalCheckFailed":
                raise AlertAlreadyGroupedError(alert.id) from error
            if len(codes) > 2 and codes[2] == "ConditionalCheckFailed":
                raise GroupClosedError(group.id) from error
            raise

    def get_group(self, group_id: str) -> AlertGroup | None:
        return _load(AlertGroup, self._get(f"GROUP#{group_id}", "GROUP"))

    def list_groups(self) -> list[AlertGroup]:
        items = self._query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "GROUPS"}},
            ScanIndexForward=False,
        )
        return [g for g in (_load(AlertGroup, i) for i in items) if g is not None]

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
                values[f":v{index}"] = _to_attrs({"v": data[field]})["v"]
                sets.append(f"#f{index} = :v{index}")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        update = {
            "Update": {
                "TableName": self._table,
                "Key": _key(f"GROUP#{group.id}", "GROUP"),
                "UpdateExpression": expression,
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }
        close_key = {
            "Update": {
                "TableName": self._table,
                "Key": _key(f"GKEY#{group.grouping_key}", "GKEY"),
                "UpdateExpression": "REMOVE open_group_id SET last_resolved_group_id = :g",
                "ConditionExpression": "open_group_id = :g",
                "ExpressionAttributeValues": {":g": {"S": group.id}},
            }
        }
        items = [update, close_key] if close_grouping_key and group.grouping_key else [update]
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            codes = _cancellation_codes(error)
            if codes[:1] == ["ConditionalCheckFailed"]:
                raise GroupChangedError(group.id) from error
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                # The key no longer points at this group (a late alert joined an already-resolved group).
                return self.update_group(group, changes)
            raise
        return updated

    def finish_escalation(self, group_id: str, execution_name: str) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=_key(f"GROUP#{group_id}", "GROUP"),
                UpdateExpression="SET escalation_finished = :t",
                ConditionExpression="escalation.execution_name = :name",
                ExpressionAttributeValues={":t": {"BOOL": True}, ":name": {"S": execution_name}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def delete_group(self, group_id: str) -> None:
        keys = [_key(f"ALERT#{a.id}", "ALERT") for a in self.list_alerts(group_id)]
        keys += [
            {"pk": item["pk"], "sk": item["sk"]}
            for item in self._query(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"GROUP#{group_id}"}},
                ProjectionExpression="pk, sk",
            )
        ]
        for start in range(0, len(keys), 25):
            pending = {self._table: [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]}
            while pending:
                pending = self._ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def wipe_alerts(self, group_id: str, text: str) -> None:
        wiped = json.dumps({"message": text})
        for alert in self.list_alerts(group_id):
            self._ddb.update_item(
                TableName=self._table,
                Key=_key(f"ALERT#{alert.id}", "ALERT"),
                UpdateExpression="SET payload_json = :p",
                ExpressionAttributeValues={":p": {"S": wiped}},
            )

    # ------------------------------------------------------------------------------------- timeline
    def add_timeline(self, entry: TimelineEntry) -> None:
        sort_key = f"LOG#{iso(entry.at)}#{secrets.token_hex(3)}"
        self._ddb.put_item(
            TableName=self._table, Item=_model_item(entry, {"pk": f"GROUP#{entry.group_id}", "sk": sort_key})
        )

    def list_timeline(self, group_id: str) -> list[TimelineEntry]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :log)",
            ExpressionAttributeValues={":pk": {"S": f"GROUP#{group_id}"}, ":log": {"S": "LOG#"}},
            ConsistentRead=True,
        )
        return [e for e in (_load(TimelineEntry, i) for i in items) if e is not None]

    def claim_delivery(self, group_id: str, key: str, at: datetime) -> bool:
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item={**_key(f"GROUP#{group_id}", f"DELIVERY#{key}"), "claimed_at": {"S": iso(at)}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release_delivery(self, group_id: str, key: str) -> None:
        self._ddb.delete_item(TableName=self._table, Key=_key(f"GROUP#{group_id}", f"DELIVERY#{key}"))

    # ------------------------------------------------------------------------------------- heartbeats
    def record_heartbeat_ping(self, integration_id: str, at: datetime, due_at: datetime) -> None:
        self._ddb.update_item(
            TableName=self._table,
            Key=_key(f"HEARTBEAT#{integration_id}", "HEARTBEAT"),
            UpdateExpression="SET integration_id = :i, last_ping_at = :at, due_at = :due, "
            "hb_shard = :shard, hb_due = :due",
            ExpressionAttributeValues={
                ":i": {"S": integration_id},
                ":at": {"S": iso(at)},
                ":due": {"S": iso(due_at)},
                ":shard": {"S": "HB"},
            },
        )

    def list_due_heartbeats(self, now: datetime) -> list[Heartbeat]:
        items = self._query(
            IndexName="heartbeats",
            KeyConditionExpression="hb_shard = :shard AND hb_due <= :now",
            ExpressionAttributeValues={":shard": {"S": "HB"}, ":now": {"S": iso(now)}},
        )
        return [h for h in (_load(Heartbeat, i) for i in items) if h is not None]
