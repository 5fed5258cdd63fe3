"""In-memory stand-ins for the AWS-backed interfaces, for unit tests. The store fake follows the same
contract as DynamoStore (tests/integration/test_store_contract.py runs one suite against both), split by
aggregate the same way."""

from tests.fakes.aws import FakeEscalations, FakeNotifier, FakeQueue, FixedClock
from tests.fakes.store import InMemoryStore

__all__ = ["FakeEscalations", "FakeNotifier", "FakeQueue", "FixedClock", "InMemoryStore"]
