"""Integrations (and their token lookup), routes, escalation chains and steps, the deployment settings: the
configuration the ingest and route paths read (see docs/storage.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from oncall.models import (
    DeploymentSettings,
    EscalationChain,
    EscalationStep,
    Integration,
    Route,
)
from oncall.storage.dynamo.table import (
    DynamoTable,
    cancellation_codes,
    item_key,
    load_model,
    model_item,
    to_attrs,
)
from oncall.storage.protocols import (
    IntegrationTokenTakenError,
    StoreConflictError,
)


class DynamoConfiguration(DynamoTable):
    """Configuration items, all in the CFG#<KIND> partitions but for the TOKEN# lookup."""

    def create_integration(self, integration: Integration, default_route: Route) -> None:
        try:
            self._create_integration(integration, default_route)
        except ClientError as error:
            # [integration, token pointer, route]: only the pointer can clash (ids are fresh CSPRNG draws)
            code = error.response["Error"]["Code"]
            if code == "TransactionCanceledException" and cancellation_codes(error)[1:2] == ["ConditionalCheckFailed"]:
                raise IntegrationTokenTakenError(integration.id) from error
            raise

    def _create_integration(self, integration: Integration, default_route: Route) -> None:
        self._ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": model_item(integration, {"pk": "CFG#INTEGRATION", "sk": integration.id}),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **item_key(f"TOKEN#{integration.token}", "TOKEN"),
                            "integration_id": {"S": integration.id},
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": model_item(default_route, {"pk": "CFG#ROUTE", "sk": default_route.id}),
                    }
                },
            ]
        )

    def get_integration(self, integration_id: str) -> Integration | None:
        return load_model(Integration, self._get("CFG#INTEGRATION", integration_id))

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
                values[f":v{index}"] = to_attrs({"v": value})["v"]
                sets.append(f"#f{index} = :v{index}")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=item_key("CFG#INTEGRATION", integration.id),
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
                Key=item_key("CFG#INTEGRATION", integration_id),
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
                {"Delete": {"TableName": self._table, "Key": item_key("CFG#INTEGRATION", integration_id)}},
                {"Delete": {"TableName": self._table, "Key": item_key(f"TOKEN#{integration.token}", "TOKEN")}},
            ]
        )
        keys = [item_key("CFG#ROUTE", r.id) for r in self.list_routes() if r.integration_id == integration_id]
        keys.append(item_key(f"HEARTBEAT#{integration_id}", "HEARTBEAT"))
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
            {"Put": {"TableName": self._table, "Item": model_item(r, {"pk": "CFG#ROUTE", "sk": r.id})}} for r in routes
        ]
        items += [{"Delete": {"TableName": self._table, "Key": item_key("CFG#ROUTE", i)}} for i in delete_ids]
        for start in range(0, len(items), 100):  # one transaction for any realistic number of routes (or none)
            self._ddb.transact_write_items(TransactItems=items[start : start + 100])

    def get_route(self, route_id: str) -> Route | None:
        return load_model(Route, self._get("CFG#ROUTE", route_id))

    def list_routes(self) -> list[Route]:
        return self._list_config("ROUTE", Route)

    def put_chain(self, chain: EscalationChain) -> None:
        self._put_config("CHAIN", chain, chain.id)

    def get_chain(self, chain_id: str) -> EscalationChain | None:
        return load_model(EscalationChain, self._get("CFG#CHAIN", chain_id))

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
                        "Key": item_key("CFG#ROUTE", r.id),
                        "UpdateExpression": "REMOVE escalation_chain_id",
                        "ConditionExpression": "escalation_chain_id = :chain",
                        "ExpressionAttributeValues": {":chain": {"S": chain_id}},
                    }
                }
                for r in routes
            ]
            items += [{"Delete": {"TableName": self._table, "Key": item_key("CFG#STEP", s.id)}} for s in steps]
            items.append({"Delete": {"TableName": self._table, "Key": item_key("CFG#CHAIN", chain_id)}})
            try:
                for start in range(0, len(items), 100):
                    self._ddb.transact_write_items(TransactItems=items[start : start + 100])
            except ClientError as error:
                if "ConditionalCheckFailed" in cancellation_codes(error):
                    continue
                raise
            return
        raise StoreConflictError(chain_id)

    def put_step(self, step: EscalationStep) -> None:
        self._put_config("STEP", step, step.id)

    def get_step(self, step_id: str) -> EscalationStep | None:
        return load_model(EscalationStep, self._get("CFG#STEP", step_id))

    def list_steps(self) -> list[EscalationStep]:
        return self._list_config("STEP", EscalationStep)

    def delete_step(self, step_id: str) -> None:
        self._delete_config("STEP", step_id)

    def get_deployment_settings(self) -> DeploymentSettings:
        return load_model(DeploymentSettings, self._get("CFG#SETTINGS", "deployment")) or DeploymentSettings()

    def put_deployment_settings(self, settings: DeploymentSettings) -> None:
        self._put_config("SETTINGS", settings, "deployment")
