"""The Store on one DynamoDB table (single-table design).

Keys (pk / sk):
  CFG#<KIND> / <id>                 configuration: INTEGRATION, ROUTE, CHAIN, STEP, USER, TEAM, SCHEDULE,
                                     APITOKEN (sk = digest: authentication is one consistent GetItem; listing
                                     and revoking by id query this one small partition), SETTINGS (sk = deployment)
  ROTATION#<step id> / ROTATION      round robin of a notify_person_next_each_time step: last_user_id, version
  TOKEN#<integration token> / TOKEN  -> integration_id (a consistent lookup for ingest)
  ALERT#<id> / ALERT                 one received alert, written once by ingest and never updated by route; the
                                     payload is zlib-compressed JSON (payload_z), so a typical alert is < 1 KB
  ALERT#<id> / MEMBER                which group the alert joined (group_id); gsi1 = ALERTS#<group> /
                                     <received_at>#<id>. Put only if absent: an alert joins one group, once
  GROUP#<id> / GROUP                 an alert group; gsi1 = GROUPS / <started_at>#<id>
  GROUP#<id> / GROUP#COUNTS          its alert counter: alerts_count, last_alert_id, `open` (present while the
                                     group is its grouping key's open group) and `paused` (present while a
                                     "notify if X alerts" step paused its escalation). Joining an open group is
                                     one conditional update of this ~100-byte item (see add_alert_to_group)
  GROUP#<id> / LOG#<at>#<n>          its timeline
  GROUP#<id> / DELIVERY#<key>        delivery claims (idempotency of notifications)
  GROUP#<id> / PICK#<key>            the user a round-robin step picked for this group (retries repeat it)
  GKEY#<grouping key> / GKEY         open_group_id (present while a group is open), last_resolved_group_id
  COUNTER / alert_group_number       the per-deployment group number (#N in titles)
  RATE#<key> / RATE                  a fixed-window rate counter (n); expires_at = TTL (epoch seconds)
  HEARTBEAT#<integration> / HEARTBEAT  heartbeat settings and state; hb_shard/hb_due (sparse index "heartbeats")
                                     = when the sweep must look at it (deadline, restore, retry), absent otherwise
  MAINT#<integration> / ACTIVE       the integration's current maintenance; mw_shard/mw_due = its end
  MAINT#<integration> / WINDOW#<id>  a scheduled maintenance window; mw_shard/mw_due = its next start
  REFS#<user or team id> / REFS      epoch: moved by every save that references the item (save_user,
                                     save_schedule, in the same transaction as a check that it exists);
                                     deletes are conditional on it (see Store.delete_user_unreferenced)
  CFG#WEBHOOK / <id>                 an outgoing webhook
  WHNAME#<name> / WHNAME             -> webhook_id (unique names, written in the same transaction)
  WHCLAIM#<webhook>#<event> / CLAIM  delivery attempt claims: attempt, status (TTL 7 days)
  WEBHOOK#<id> / RESP#<response id>  the webhook's delivery log, ids sort by time (TTL 30 days)
  GROUP#<id> / WHRESP#<webhook id>   that webhook's latest response for the group (`responses` in events)
Conditional writes and transactions, never read-then-write, keep one open group per grouping key.

Why alerts and counters are small separate items (measured, see docs/performance.md): a join used
to update the 1.5 KB alert and the 2.5 KB group (both projected into gsi1) in a transaction with a condition
on the grouping key, ~17 write units per alert. Now it is one conditional update of the counter item (1 unit)
and one conditional put of the membership item (1 unit + 1 for its index entry).
"""

from __future__ import annotations

import json
import secrets
import zlib
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel

from oncall.models import (
    Alert,
    AlertGroup,
    ApiToken,
    DeploymentSettings,
    EscalationChain,
    EscalationStep,
    Heartbeat,
    HeartbeatSignal,
    HeartbeatSignalWrite,
    Integration,
    Maintenance,
    MaintenanceWindow,
    OnCallShift,
    ResolutionNote,
    Route,
    Schedule,
    ShiftSwap,
    Team,
    TimelineEntry,
    User,
    Webhook,
    WebhookResponse,
)
from oncall.platform.aws import client
from oncall.platform.clock import iso
from oncall.storage.protocols import (
    AlertAlreadyGroupedError,
    GroupChangedError,
    GroupClosedError,
    GroupJoin,
    GroupKeyPointer,
    GroupKeyTakenError,
    IntegrationTokenTakenError,
    ItemChangedError,
    MissingReferenceError,
    ReferencedSinceError,
    RotationChangedError,
    RotationState,
    StoreConflictError,
    WebhookNameTakenError,
    schedule_user_ids,
)

M = TypeVar("M", bound=BaseModel)
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_CLAIM_TTL_SECONDS = 7 * 86400
_RESPONSE_TTL_SECONDS = 30 * 86400
_KEY_ATTRS = ("pk", "sk", "gsi1pk", "gsi1sk", "hb_shard", "hb_due", "mw_shard", "mw_due")
# One partition of each sparse index: the sweep reads it with one Query. (A GSI partition takes ~1000 writes/s;
# beyond that many pings per second, shard by a hash of the integration id and query each shard.)
_HB_SHARD = "HB"
_MW_SHARD = "MW"


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


def _compressed_payload(payload: dict[str, Any]) -> dict[str, Any]:
    return {"B": zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 6)}


def _model_item(model: BaseModel, keys: dict[str, str], **extra: Any) -> dict[str, Any]:
    data = model.model_dump(mode="json")
    binary: dict[str, Any] = {}
    if isinstance(model, Alert):
        binary["payload_z"] = _compressed_payload(data.pop("payload"))
        data.pop("group_id")  # kept on the alert's MEMBER item
    return {**_to_attrs({**data, **extra}), **binary, **{k: {"S": v} for k, v in keys.items()}}


def _load(cls: type[M], item: dict[str, Any] | None) -> M | None:
    if not item:
        return None
    data = _from_attrs(item)
    if "payload_z" in data:
        data["payload"] = json.loads(zlib.decompress(data.pop("payload_z").value))
    elif "payload_json" in data:
        data["payload"] = json.loads(data.pop("payload_json"))
    return cls.model_validate(data)


_GROUP_SK = "GROUP"
_COUNTS_SK = "GROUP#COUNTS"
_MEMBER_SK = "MEMBER"
_COUNTS_ATTRS = ("alerts_count", "last_alert_id")


def _with_member(alert_item: dict[str, Any] | None, member: dict[str, Any] | None) -> Alert | None:
    alert = _load(Alert, alert_item)
    if alert is not None and member:
        alert = alert.model_copy(update={"group_id": member["group_id"]["S"]})
    return alert


def _with_counts(group_item: dict[str, Any] | None, counts: dict[str, Any] | None) -> AlertGroup | None:
    if not group_item:
        return None
    if counts:
        group_item = {**group_item, **{k: v for k, v in counts.items() if k in _COUNTS_ATTRS}}
    return _load(AlertGroup, group_item)


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


# DynamoDB's key limits: a partition key of 1 to 2048 bytes, a sort key of 1 to 1024 bytes.
_MAX_PARTITION_KEY_BYTES = 2048
_MAX_SORT_KEY_BYTES = 1024


def _possible_key(pk: str, sk: str) -> bool:
    """Whether an item could have this key (user-supplied ids end up in keys: "", 5 KB, lone surrogates)."""
    try:
        pk_bytes, sk_bytes = len(pk.encode("utf-8")), len(sk.encode("utf-8"))
    except UnicodeEncodeError:
        return False
    return 0 < pk_bytes <= _MAX_PARTITION_KEY_BYTES and 0 < sk_bytes <= _MAX_SORT_KEY_BYTES


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
        if not _possible_key(pk, sk):
            return None  # no item has it, and DynamoDB would refuse the request (a 5xx for a bad id)
        return self._ddb.get_item(TableName=self._table, Key=_key(pk, sk), ConsistentRead=True).get("Item")

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        paginator = self._ddb.get_paginator("query")
        for page in paginator.paginate(TableName=self._table, **kwargs):
            items.extend(page["Items"])
        return items

    def _query_partition(self, pk: str) -> list[dict[str, Any]]:
        if not _possible_key(pk, "-"):
            return []
        return self._query(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": pk}}, ConsistentRead=True
        )

    def _put_config(self, kind: str, model: BaseModel, sort_key: str) -> None:
        self._ddb.put_item(TableName=self._table, Item=_model_item(model, {"pk": f"CFG#{kind}", "sk": sort_key}))

    def _list_config(self, kind: str, cls: type[M]) -> list[M]:
        return [m for m in (_load(cls, i) for i in self._query_partition(f"CFG#{kind}")) if m is not None]

    # ------------------------------------------------------------------------------------- configuration
    def create_integration(self, integration: Integration, default_route: Route) -> None:
        try:
            self._create_integration(integration, default_route)
        except ClientError as error:
            # [integration, token pointer, route]: only the pointer can clash (ids are fresh CSPRNG draws)
            code = error.response["Error"]["Code"]
            if code == "TransactionCanceledException" and _cancellation_codes(error)[1:2] == ["ConditionalCheckFailed"]:
                raise IntegrationTokenTakenError(integration.id) from error
            raise

    def _create_integration(self, integration: Integration, default_route: Route) -> None:
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

    def put_integration(self, integration: Integration) -> None:
        # An update of the model's attributes, not a replacement: attributes other modules keep on the item
        # (index keys, say) survive.
        data = integration.model_dump(mode="json")
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets, removes = [], []
        for index, (field, value) in enumerate(data.items()):
            names[f"#f{index}"] = field
            if value is None:
                removes.append(f"#f{index}")
            else:
                values[f":v{index}"] = _to_attrs({"v": value})["v"]
                sets.append(f"#f{index} = :v{index}")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=_key("CFG#INTEGRATION", integration.id),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise StoreConflictError(integration.id) from error
            raise

    def suspend_templates(self, integration_id: str, until: datetime | None) -> None:
        update = (
            {"UpdateExpression": "REMOVE templates_suspended_until"}
            if until is None
            else {
                "UpdateExpression": "SET templates_suspended_until = :u",
                "ExpressionAttributeValues": {":u": {"S": until.isoformat()}},
            }
        )
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=_key("CFG#INTEGRATION", integration_id),
                ConditionExpression="attribute_exists(pk)",
                **update,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def delete_integration(self, integration_id: str) -> None:
        integration = self.get_integration(integration_id)
        if integration is None:
            return
        # First the integration and its token together (ingest stops at once), then what hangs off it.
        self._ddb.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": self._table, "Key": _key("CFG#INTEGRATION", integration_id)}},
                {"Delete": {"TableName": self._table, "Key": _key(f"TOKEN#{integration.token}", "TOKEN")}},
            ]
        )
        keys = [_key("CFG#ROUTE", r.id) for r in self.list_routes() if r.integration_id == integration_id]
        keys.append(_key(f"HEARTBEAT#{integration_id}", "HEARTBEAT"))
        self._batch_delete(keys)

    def _batch_delete(self, keys: list[dict[str, Any]]) -> None:
        for start in range(0, len(keys), 25):
            pending = {self._table: [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]}
            while pending:
                pending = self._ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def put_route(self, route: Route) -> None:
        self._put_config("ROUTE", route, route.id)

    def write_routes(self, routes: list[Route], delete_ids: tuple[str, ...] = ()) -> None:
        items: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": _model_item(r, {"pk": "CFG#ROUTE", "sk": r.id})}} for r in routes
        ]
        items += [{"Delete": {"TableName": self._table, "Key": _key("CFG#ROUTE", i)}} for i in delete_ids]
        for start in range(0, len(items), 100):  # one transaction for any realistic number of routes (or none)
            self._ddb.transact_write_items(TransactItems=items[start : start + 100])

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

    def delete_chain(self, chain_id: str) -> None:
        # One transaction when it fits (100 items): routes that used the chain lose it only if they still
        # use it (a route changed meanwhile cancels, and we look again), its steps and the chain go. Beyond
        # 100 items the chain goes in the last part, so a failure part-way leaves it there to delete again.
        for _ in range(5):
            routes = [r for r in self.list_routes() if r.escalation_chain_id == chain_id]
            steps = [s for s in self.list_steps() if s.escalation_chain_id == chain_id]
            items: list[dict[str, Any]] = [
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _key("CFG#ROUTE", r.id),
                        "UpdateExpression": "REMOVE escalation_chain_id",
                        "ConditionExpression": "escalation_chain_id = :chain",
                        "ExpressionAttributeValues": {":chain": {"S": chain_id}},
                    }
                }
                for r in routes
            ]
            items += [{"Delete": {"TableName": self._table, "Key": _key("CFG#STEP", s.id)}} for s in steps]
            items.append({"Delete": {"TableName": self._table, "Key": _key("CFG#CHAIN", chain_id)}})
            try:
                for start in range(0, len(items), 100):
                    self._ddb.transact_write_items(TransactItems=items[start : start + 100])
            except ClientError as error:
                if "ConditionalCheckFailed" in _cancellation_codes(error):
                    continue
                raise
            return
        raise StoreConflictError(chain_id)

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

    def _save_referencing(self, kind: str, model: BaseModel, item_id: str, references: list[tuple[str, str]]) -> None:
        """One transaction: put the item, check each referenced (kind, id) exists and move its epoch."""
        impossible = [ref_id for ref_kind, ref_id in references if not _possible_key(f"REFS#{ref_id}", ref_kind)]
        if impossible:  # no item has such an id (and DynamoDB would refuse the whole transaction)
            raise MissingReferenceError(impossible)
        items: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": _model_item(model, {"pk": f"CFG#{kind}", "sk": item_id})}}
        ]
        for ref_kind, ref_id in references:
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": _key(f"CFG#{ref_kind}", ref_id),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            )
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _key(f"REFS#{ref_id}", "REFS"),
                        "UpdateExpression": "ADD epoch :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                }
            )
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            codes = _cancellation_codes(error)
            missing = [
                ref_id
                for n, (_, ref_id) in enumerate(references)
                if codes[1 + 2 * n : 2 + 2 * n] == ["ConditionalCheckFailed"]
            ]
            if missing:
                raise MissingReferenceError(missing) from error
            raise

    def save_user(self, user: User) -> None:
        teams = [("TEAM", t) for t in dict.fromkeys(user.team_ids)]
        self._save_referencing("USER", user, user.id, teams)

    def save_schedule(self, schedule: Schedule) -> None:
        references = [("USER", u) for u in schedule_user_ids(schedule)]
        if schedule.team_id:
            references.append(("TEAM", schedule.team_id))
        self._save_referencing("SCHEDULE", schedule, schedule.id, references)

    def reference_epoch(self, item_id: str) -> int:
        item = self._get(f"REFS#{item_id}", "REFS")
        return int(item["epoch"]["N"]) if item and "epoch" in item else 0

    def _delete_unreferenced(self, kind: str, item_id: str, epoch: int) -> None:
        unchanged: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(epoch)"}
            if epoch == 0
            else {"ConditionExpression": "epoch = :e", "ExpressionAttributeValues": {":e": {"N": str(epoch)}}}
        )
        try:
            self._ddb.transact_write_items(
                TransactItems=[
                    {"Delete": {"TableName": self._table, "Key": _key(f"CFG#{kind}", item_id)}},
                    {"Delete": {"TableName": self._table, "Key": _key(f"REFS#{item_id}", "REFS"), **unchanged}},
                ]
            )
        except ClientError as error:
            if "ConditionalCheckFailed" in _cancellation_codes(error):
                raise ReferencedSinceError(item_id) from error
            raise

    def delete_user_unreferenced(self, user_id: str, epoch: int) -> None:
        self._delete_unreferenced("USER", user_id, epoch)

    def delete_team_unreferenced(self, team_id: str, epoch: int) -> None:
        self._delete_unreferenced("TEAM", team_id, epoch)

    def put_api_token(self, token: ApiToken) -> None:
        self._put_config("APITOKEN", token, token.digest)

    def get_api_token(self, digest: str) -> ApiToken | None:
        return _load(ApiToken, self._get("CFG#APITOKEN", digest))

    def list_api_tokens(self) -> list[ApiToken]:
        return sorted(self._list_config("APITOKEN", ApiToken), key=lambda t: (t.created_at, t.id))

    def delete_api_token(self, token_id: str) -> ApiToken | None:
        for token in self.list_api_tokens():
            if token.id == token_id:
                self._ddb.delete_item(TableName=self._table, Key=_key("CFG#APITOKEN", token.digest))
                return token
        return None

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
        items = {i["sk"]["S"]: i for i in self._query_partition(f"ALERT#{alert_id}")}  # the alert and its MEMBER
        return _with_member(items.get("ALERT"), items.get(_MEMBER_SK))

    def get_alerts(self, alert_ids: list[str]) -> dict[str, Alert]:
        unique = [i for i in dict.fromkeys(alert_ids) if _possible_key(f"ALERT#{i}", "ALERT")]
        keys = [_key(f"ALERT#{i}", sk) for i in unique for sk in ("ALERT", _MEMBER_SK)]
        items = {(i["pk"]["S"], i["sk"]["S"]): i for i in self._batch_get(keys)}
        found = {}
        for alert_id in alert_ids:
            pk = f"ALERT#{alert_id}"
            alert = _with_member(items.get((pk, "ALERT")), items.get((pk, _MEMBER_SK)))
            if alert is not None:
                found[alert_id] = alert
        return found

    def delete_alert(self, alert_id: str) -> None:
        self._ddb.delete_item(TableName=self._table, Key=_key(f"ALERT#{alert_id}", "ALERT"))

    def _members(self, group_id: str) -> list[dict[str, Any]]:
        return self._query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"ALERTS#{group_id}"}},
        )

    def list_alerts(self, group_id: str) -> list[Alert]:
        members = self._members(group_id)  # in gsi1 order: received_at, id
        alerts = {i["pk"]["S"]: i for i in self._batch_get([_key(m["pk"]["S"], "ALERT") for m in members])}
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
            **_key(f"ALERT#{alert.id}", _MEMBER_SK),
            "group_id": {"S": group_id},
            "gsi1pk": {"S": f"ALERTS#{group_id}"},
            "gsi1sk": {"S": f"{iso(alert.received_at)}#{alert.id}"},
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
        group = group.model_copy(update={"alerts_count": 1, "last_alert_id": alert.id})
        counts: dict[str, Any] = {
            **_key(f"GROUP#{group.id}", _COUNTS_SK),
            "alerts_count": {"N": "1"},
            "last_alert_id": {"S": alert.id},
        }
        if group.grouping_key:
            counts["open"] = {"BOOL": True}
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _model_item(
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
        counts_key = _key(f"GROUP#{group_id}", _COUNTS_SK)
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
        counts = {i["pk"]["S"]: i for i in self._batch_get([_key(i["pk"]["S"], _COUNTS_SK) for i in items])}
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
                "Key": _key(f"GROUP#{group.id}", _COUNTS_SK),
                "UpdateExpression": expression.strip(),
                "ExpressionAttributeNames": mirror_names,
            }
            if mirror_sets:
                counts["ExpressionAttributeValues"] = {":t": {"BOOL": True}}
            items.append({"Update": counts})
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            codes = _cancellation_codes(error)
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
                Key=_key(f"GROUP#{group_id}", "GROUP"),
                UpdateExpression="SET escalation_finished = :t",
                ConditionExpression="escalation.execution_name = :name",
                ExpressionAttributeValues={":t": {"BOOL": True}, ":name": {"S": execution_name}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def delete_group(self, group_id: str) -> None:
        members = self._members(group_id)
        keys = [_key(m["pk"]["S"], sk) for m in members for sk in ("ALERT", _MEMBER_SK)]
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
        wiped = _compressed_payload({"message": text})
        for member in self._members(group_id):
            self._ddb.update_item(
                TableName=self._table,
                Key=_key(member["pk"]["S"], "ALERT"),
                UpdateExpression="SET payload_z = :p REMOVE payload_json",
                ExpressionAttributeValues={":p": wiped},
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

    # ------------------------------------------------------------------------------------- on-call shifts
    def put_on_call_shift(self, shift: OnCallShift) -> None:
        self._put_config("ON_CALL_SHIFT", shift, shift.id)

    def get_on_call_shift(self, shift_id: str) -> OnCallShift | None:
        return _load(OnCallShift, self._get("CFG#ON_CALL_SHIFT", shift_id))

    def list_on_call_shifts(self) -> list[OnCallShift]:
        return sorted(self._list_config("ON_CALL_SHIFT", OnCallShift), key=lambda s: (s.created_at, s.id))

    def delete_on_call_shift(self, shift_id: str) -> None:
        if _possible_key("CFG#ON_CALL_SHIFT", shift_id):
            self._ddb.delete_item(TableName=self._table, Key=_key("CFG#ON_CALL_SHIFT", shift_id))

    def put_shift_swap(self, swap: ShiftSwap) -> None:
        self._put_config("SHIFT_SWAP", swap, swap.id)

    def get_shift_swap(self, swap_id: str) -> ShiftSwap | None:
        return _load(ShiftSwap, self._get("CFG#SHIFT_SWAP", swap_id))

    def list_shift_swaps(self) -> list[ShiftSwap]:
        return sorted(self._list_config("SHIFT_SWAP", ShiftSwap), key=lambda s: (s.created_at, s.id))

    def delete_shift_swap(self, swap_id: str) -> None:
        if _possible_key("CFG#SHIFT_SWAP", swap_id):
            self._ddb.delete_item(TableName=self._table, Key=_key("CFG#SHIFT_SWAP", swap_id))

    # ------------------------------------------------------------------------------------- resolution notes
    # One partition, like configuration: notes are few (people write them) and listed across groups.
    def put_resolution_note(self, note: ResolutionNote) -> None:
        self._put_config("RESOLUTION_NOTE", note, note.id)

    def get_resolution_note(self, note_id: str) -> ResolutionNote | None:
        return _load(ResolutionNote, self._get("CFG#RESOLUTION_NOTE", note_id))

    def list_resolution_notes(self, alert_group_id: str | None = None) -> list[ResolutionNote]:
        notes = self._list_config("RESOLUTION_NOTE", ResolutionNote)
        mine = [n for n in notes if alert_group_id in (None, n.alert_group_id)]
        return sorted(mine, key=lambda n: (n.created_at, n.id))

    def delete_resolution_note(self, note_id: str) -> None:
        if _possible_key("CFG#RESOLUTION_NOTE", note_id):
            self._ddb.delete_item(TableName=self._table, Key=_key("CFG#RESOLUTION_NOTE", note_id))

    def claim_delivery(self, group_id: str, key: str, at: datetime, *, group_version: int | None = None) -> bool:
        claim = {
            "TableName": self._table,
            "Item": {**_key(f"GROUP#{group_id}", f"DELIVERY#{key}"), "claimed_at": {"S": iso(at)}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        if group_version is None:
            return self._conditional_write(self._ddb.put_item, **{k: v for k, v in claim.items() if k != "TableName"})
        # The claim and the group's state in one transaction: a change committed since the caller read the
        # group (an acknowledgement) makes the claim fail, so nothing is sent after it.
        unchanged = {
            "TableName": self._table,
            "Key": _key(f"GROUP#{group_id}", "GROUP"),
            "ConditionExpression": "version = :expected",
            "ExpressionAttributeValues": {":expected": {"N": str(group_version)}},
        }
        try:
            self._ddb.transact_write_items(TransactItems=[{"Put": claim}, {"ConditionCheck": unchanged}])
        except ClientError as error:
            codes = _cancellation_codes(error)
            if codes[:1] == ["ConditionalCheckFailed"]:
                return False
            if codes[1:2] == ["ConditionalCheckFailed"]:
                raise GroupChangedError(group_id) from error
            raise
        return True

    def release_delivery(self, group_id: str, key: str) -> None:
        self._ddb.delete_item(TableName=self._table, Key=_key(f"GROUP#{group_id}", f"DELIVERY#{key}"))

    # ------------------------------------------------------------------------------------- webhooks
    def put_webhook(self, webhook: Webhook, *, previous_name: str | None = None) -> None:
        items: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": _model_item(webhook, {"pk": "CFG#WEBHOOK", "sk": webhook.id})}},
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {**_key(f"WHNAME#{webhook.name}", "WHNAME"), "webhook_id": {"S": webhook.id}},
                    "ConditionExpression": "attribute_not_exists(pk) OR webhook_id = :id",
                    "ExpressionAttributeValues": {":id": {"S": webhook.id}},
                }
            },
        ]
        if previous_name and previous_name != webhook.name:
            items.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": _key(f"WHNAME#{previous_name}", "WHNAME"),
                        "ConditionExpression": "attribute_not_exists(pk) OR webhook_id = :id",
                        "ExpressionAttributeValues": {":id": {"S": webhook.id}},
                    }
                }
            )
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            if "ConditionalCheckFailed" in _cancellation_codes(error)[1:2]:
                raise WebhookNameTakenError(webhook.name) from error
            raise

    def get_webhook(self, webhook_id: str) -> Webhook | None:
        return _load(Webhook, self._get("CFG#WEBHOOK", webhook_id))

    def list_webhooks(self) -> list[Webhook]:
        return sorted(self._list_config("WEBHOOK", Webhook), key=lambda w: (w.created_at, w.id))

    def delete_webhook(self, webhook_id: str) -> None:
        webhook = self.get_webhook(webhook_id)
        if webhook is None:
            return
        self._ddb.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": self._table, "Key": _key("CFG#WEBHOOK", webhook_id)}},
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": _key(f"WHNAME#{webhook.name}", "WHNAME"),
                        "ConditionExpression": "attribute_not_exists(pk) OR webhook_id = :id",
                        "ExpressionAttributeValues": {":id": {"S": webhook_id}},
                    }
                },
            ]
        )

    def claim_webhook_attempt(self, webhook_id: str, event_id: str, attempt: int, at: datetime) -> bool:
        key = _key(f"WHCLAIM#{webhook_id}#{event_id}", "CLAIM")
        values = {
            ":n": {"N": str(attempt)},
            ":sending": {"S": "sending"},
            ":at": {"S": iso(at)},
            ":exp": {"N": str(int(at.timestamp()) + _CLAIM_TTL_SECONDS)},
        }
        if attempt == 1:
            condition = "attribute_not_exists(pk)"
        else:
            condition = "attempt = :prev AND (#s = :sending OR #s = :retrying)"
            values.update({":prev": {"N": str(attempt - 1)}, ":retrying": {"S": "retrying"}})
        return self._conditional_write(
            self._ddb.update_item,
            Key=key,
            UpdateExpression="SET attempt = :n, #s = :sending, claimed_at = :at, expires_at = :exp",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values,
        )

    # ------------------------------------------------------------------------------------- rate limits
    def count_within_limit(self, key: str, limit: int, expires_at: datetime) -> bool:
        return self._conditional_write(
            self._ddb.update_item,
            Key=_key(f"RATE#{key}", "RATE"),
            UpdateExpression="ADD n :one SET expires_at = if_not_exists(expires_at, :expires)",
            ConditionExpression="attribute_not_exists(n) OR n < :limit",
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":limit": {"N": str(limit)},
                ":expires": {"N": str(int(expires_at.timestamp()))},
            },
        )

    def settle_webhook_attempt(self, webhook_id: str, event_id: str, attempt: int, outcome: str) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=_key(f"WHCLAIM#{webhook_id}#{event_id}", "CLAIM"),
                UpdateExpression="SET #s = :outcome",
                ConditionExpression="attempt = :n",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":outcome": {"S": outcome}, ":n": {"N": str(attempt)}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def add_webhook_response(self, response: WebhookResponse) -> None:
        expires = {"expires_at": {"N": str(int(response.at.timestamp()) + _RESPONSE_TTL_SECONDS)}}
        self._ddb.put_item(
            TableName=self._table,
            Item={
                **_model_item(response, {"pk": f"WEBHOOK#{response.webhook_id}", "sk": f"RESP#{response.id}"}),
                **expires,
            },
        )
        if response.group_id and response.content is not None:
            self._ddb.put_item(
                TableName=self._table,
                Item={
                    **_key(f"GROUP#{response.group_id}", f"WHRESP#{response.webhook_id}"),
                    "content": {"S": response.content},
                    **expires,
                },
            )

    def list_webhook_responses(self, webhook_id: str, limit: int = 100) -> list[WebhookResponse]:
        out = self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :resp)",
            ExpressionAttributeValues={":pk": {"S": f"WEBHOOK#{webhook_id}"}, ":resp": {"S": "RESP#"}},
            ScanIndexForward=False,
            Limit=limit,
            ConsistentRead=True,
        )
        return [r for r in (_load(WebhookResponse, i) for i in out.get("Items", [])) if r is not None]

    def get_webhook_response(self, webhook_id: str, response_id: str) -> WebhookResponse | None:
        return _load(WebhookResponse, self._get(f"WEBHOOK#{webhook_id}", f"RESP#{response_id}"))

    def latest_webhook_responses(self, group_id: str) -> dict[str, str]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": f"GROUP#{group_id}"}, ":prefix": {"S": "WHRESP#"}},
            ConsistentRead=True,
        )
        return {item["sk"]["S"].removeprefix("WHRESP#"): item["content"]["S"] for item in items}

    # ------------------------------------------------------------------------------------- versioned items
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

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {self._table: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
            while request:
                out = self._ddb.batch_get_item(RequestItems=request)
                items.extend(out.get("Responses", {}).get(self._table, []))
                request = out.get("UnprocessedKeys") or {}
        return items

    # ------------------------------------------------------------------------------------- heartbeats
    @staticmethod
    def _heartbeat_item(heartbeat: Heartbeat) -> dict[str, Any]:
        keys = {"pk": f"HEARTBEAT#{heartbeat.integration_id}", "sk": "HEARTBEAT"}
        if heartbeat.check_at is not None:
            keys.update(hb_shard=_HB_SHARD, hb_due=iso(heartbeat.check_at))
        data = heartbeat.model_dump(mode="json", exclude={"check_at"})
        return {**_to_attrs(data), **{k: {"S": v} for k, v in keys.items()}}

    @staticmethod
    def _load_heartbeat(item: dict[str, Any] | None) -> Heartbeat | None:
        if not item:
            return None
        data = _from_attrs(item)
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
            Key=_key(f"HEARTBEAT#{integration_id}", "HEARTBEAT"),
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
                Key=_key(f"HEARTBEAT#{integration_id}", "HEARTBEAT"),
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
        items = self._batch_get([_key(f"HEARTBEAT#{i}", "HEARTBEAT") for i in dict.fromkeys(integration_ids)])
        loaded = [self._load_heartbeat(item) for item in items]
        return {h.integration_id: h for h in loaded if h is not None}

    def put_heartbeat(self, heartbeat: Heartbeat, *, expected_version: int | None) -> Heartbeat:
        stored = heartbeat.model_copy(update={"version": (expected_version or 0) + 1})
        self._put_versioned(self._heartbeat_item(stored), expected_version)
        return stored

    def clear_heartbeat_pending(self, integration_id: str, alert_id: str, check_at: datetime) -> bool:
        return self._conditional_write(
            self._ddb.update_item,
            Key=_key(f"HEARTBEAT#{integration_id}", "HEARTBEAT"),
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

    # ------------------------------------------------------------------------------------- maintenance
    @staticmethod
    def _maintenance_item(model: Maintenance | MaintenanceWindow) -> dict[str, Any]:
        sort_key = "ACTIVE" if isinstance(model, Maintenance) else f"WINDOW#{model.id}"
        keys = {"pk": f"MAINT#{model.integration_id}", "sk": sort_key}
        if model.check_at is not None:
            keys.update(mw_shard=_MW_SHARD, mw_due=iso(model.check_at))
        data = model.model_dump(mode="json", exclude={"check_at"})
        return {**_to_attrs(data), **{k: {"S": v} for k, v in keys.items()}}

    @staticmethod
    def _load_maintenance(item: dict[str, Any] | None) -> Maintenance | MaintenanceWindow | None:
        if not item:
            return None
        data = _from_attrs(item)
        data["check_at"] = item.get("mw_due", {}).get("S")
        cls = Maintenance if item["sk"]["S"] == "ACTIVE" else MaintenanceWindow
        return cls.model_validate(data)

    def get_maintenance(self, integration_id: str) -> Maintenance | None:
        return self._load_maintenance(self._get(f"MAINT#{integration_id}", "ACTIVE"))

    def get_maintenances(self, integration_ids: list[str]) -> dict[str, Maintenance]:
        items = self._batch_get([_key(f"MAINT#{i}", "ACTIVE") for i in dict.fromkeys(integration_ids)])
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
                Key=_key(f"MAINT#{integration_id}", "ACTIVE"),
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
                TableName=self._table, Key=_key(f"MAINT#{integration_id}", f"WINDOW#{window_id}"), **kwargs
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
