"""The store on one DynamoDB table (single-table design), one module per aggregate over the shared helpers in
`table` (keys, item (de)serialisation, conditional writes). docs/storage.md maps every item type.

`DynamoStore` composes the aggregate classes over one table: wiring builds it once per container and hands it
to logic that names, in its annotations, only the narrow protocol(s) of storage/protocols.py it uses.
"""

from __future__ import annotations

from oncall.storage.dynamo.configuration import DynamoConfiguration
from oncall.storage.dynamo.groups import DynamoGroups
from oncall.storage.dynamo.heartbeats import DynamoHeartbeats
from oncall.storage.dynamo.maintenance import DynamoMaintenance
from oncall.storage.dynamo.people import DynamoPeople
from oncall.storage.dynamo.rate_limits import DynamoRateLimits
from oncall.storage.dynamo.rotations import DynamoRotations
from oncall.storage.dynamo.schedules import DynamoSchedules
from oncall.storage.dynamo.webhooks import DynamoWebhooks

__all__ = ["DynamoStore"]


class DynamoStore(
    DynamoConfiguration,
    DynamoPeople,
    DynamoSchedules,
    DynamoRotations,
    DynamoGroups,
    DynamoWebhooks,
    DynamoRateLimits,
    DynamoHeartbeats,
    DynamoMaintenance,
):
    """Every aggregate of the table, for one container (the classes share only `DynamoTable`'s state)."""
