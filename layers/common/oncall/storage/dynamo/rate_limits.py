"""Fixed-window rate counters (ingest, API tokens, console sign-in, failed authentication; see docs/storage.md)."""

from __future__ import annotations

from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError

from oncall.storage.dynamo.table import (
    DynamoTable,
    item_key,
)
from oncall.storage.protocols import store_request_error


class DynamoRateLimits(DynamoTable):
    """RATE#<key> counters, expired by the table TTL."""

    def count_within_limit(self, key: str, limit: int, expires_at: datetime) -> bool:
        try:
            return self._conditional_write(
                self._ddb.update_item,
                Key=item_key(f"RATE#{key}", "RATE"),
                UpdateExpression="ADD n :one SET expires_at = if_not_exists(expires_at, :expires)",
                ConditionExpression="attribute_not_exists(n) OR n < :limit",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":expires": {"N": str(int(expires_at.timestamp()))},
                },
            )
        except (ClientError, BotoCoreError) as error:  # the limiters fail open on this (access/rate_limit.py)
            raise store_request_error(error, "UpdateItem") from error
