"""Outgoing webhooks: their configuration and unique names, delivery-attempt claims and the response log
(see docs/storage.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from oncall.models import (
    Webhook,
    WebhookResponse,
)
from oncall.platform.clock import iso
from oncall.storage.dynamo.table import (
    DynamoTable,
    cancellation_codes,
    item_key,
    load_model,
    model_item,
)
from oncall.storage.protocols import (
    WebhookNameTakenError,
)

_CLAIM_TTL_SECONDS = 7 * 86400
_RESPONSE_TTL_SECONDS = 30 * 86400


class DynamoWebhooks(DynamoTable):
    """CFG#WEBHOOK, WHNAME#, WHCLAIM#, WEBHOOK# / RESP# and GROUP# / WHRESP# items."""

    def put_webhook(self, webhook: Webhook, *, previous_name: str | None = None) -> None:
        items: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": model_item(webhook, {"pk": "CFG#WEBHOOK", "sk": webhook.id})}},
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {**item_key(f"WHNAME#{webhook.name}", "WHNAME"), "webhook_id": {"S": webhook.id}},
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
                        "Key": item_key(f"WHNAME#{previous_name}", "WHNAME"),
                        "ConditionExpression": "attribute_not_exists(pk) OR webhook_id = :id",
                        "ExpressionAttributeValues": {":id": {"S": webhook.id}},
                    }
                }
            )
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            if "ConditionalCheckFailed" in cancellation_codes(error)[1:2]:
                raise WebhookNameTakenError(webhook.name) from error
            raise

    def get_webhook(self, webhook_id: str) -> Webhook | None:
        return load_model(Webhook, self._get("CFG#WEBHOOK", webhook_id))

    def list_webhooks(self) -> list[Webhook]:
        return sorted(self._list_config("WEBHOOK", Webhook), key=lambda w: (w.created_at, w.id))

    def delete_webhook(self, webhook_id: str) -> None:
        webhook = self.get_webhook(webhook_id)
        if webhook is None:
            return
        self._ddb.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": self._table, "Key": item_key("CFG#WEBHOOK", webhook_id)}},
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": item_key(f"WHNAME#{webhook.name}", "WHNAME"),
                        "ConditionExpression": "attribute_not_exists(pk) OR webhook_id = :id",
                        "ExpressionAttributeValues": {":id": {"S": webhook_id}},
                    }
                },
            ]
        )

    def claim_webhook_attempt(self, webhook_id: str, event_id: str, attempt: int, at: datetime) -> bool:
        key = item_key(f"WHCLAIM#{webhook_id}#{event_id}", "CLAIM")
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

    def settle_webhook_attempt(self, webhook_id: str, event_id: str, attempt: int, outcome: str) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=item_key(f"WHCLAIM#{webhook_id}#{event_id}", "CLAIM"),
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
                **model_item(response, {"pk": f"WEBHOOK#{response.webhook_id}", "sk": f"RESP#{response.id}"}),
                **expires,
            },
        )
        if response.group_id and response.content is not None:
            self._ddb.put_item(
                TableName=self._table,
                Item={
                    **item_key(f"GROUP#{response.group_id}", f"WHRESP#{response.webhook_id}"),
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
        return [r for r in (load_model(WebhookResponse, i) for i in out.get("Items", [])) if r is not None]

    def get_webhook_response(self, webhook_id: str, response_id: str) -> WebhookResponse | None:
        return load_model(WebhookResponse, self._get(f"WEBHOOK#{webhook_id}", f"RESP#{response_id}"))

    def latest_webhook_responses(self, group_id: str) -> dict[str, str]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": f"GROUP#{group_id}"}, ":prefix": {"S": "WHRESP#"}},
            ConsistentRead=True,
        )
        return {item["sk"]["S"].removeprefix("WHRESP#"): item["content"]["S"] for item in items}
