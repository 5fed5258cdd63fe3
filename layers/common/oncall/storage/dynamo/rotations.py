"""The round robin of notify_person_next_each_time steps (see docs/storage.md)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from oncall.storage.dynamo.table import (
    DynamoTable,
    item_key,
)
from oncall.storage.protocols import (
    RotationChangedError,
    RotationState,
)


class DynamoRotations(DynamoTable):
    """ROTATION#<step> and the GROUP#<id> / PICK#<key> items a pick writes with it."""

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
                            "Key": item_key(f"ROTATION#{step_id}", "ROTATION"),
                            "UpdateExpression": "SET last_user_id = :u, version = :v",
                            "ConditionExpression": condition,
                            "ExpressionAttributeValues": values,
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {**item_key(f"GROUP#{group_id}", f"PICK#{key}"), "user_id": {"S": user_id}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise RotationChangedError(step_id) from error
            raise
