"""The store fake: one in-memory class per aggregate, composed like storage.dynamo.DynamoStore (the contract suite
in tests/integration/test_store_contract.py runs against both)."""

from __future__ import annotations

from tests.fakes.store.configuration import FakeConfiguration
from tests.fakes.store.groups import FakeGroups
from tests.fakes.store.heartbeats import FakeHeartbeats
from tests.fakes.store.maintenance import FakeMaintenance
from tests.fakes.store.people import FakePeople
from tests.fakes.store.rate_limits import FakeRateLimits
from tests.fakes.store.rotations import FakeRotations
from tests.fakes.store.schedules import FakeSchedules
from tests.fakes.store.webhooks import FakeWebhooks


class InMemoryStore(
    FakeConfiguration,
    FakePeople,
    FakeSchedules,
    FakeRotations,
    FakeGroups,
    FakeWebhooks,
    FakeRateLimits,
    FakeHeartbeats,
    FakeMaintenance,
):
    """Every aggregate of the store, in memory."""
