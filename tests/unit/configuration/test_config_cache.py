"""The hot paths' configuration cache: kept for a few seconds, but never so stale that a new integration's
alerts fail or a new chain's groups page no one."""

from oncall.configuration.cache import ConfigCache
from tests import builders
from tests.fakes import FixedClock, InMemoryStore


class Reads(InMemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.route_lists = 0
        self.step_lists = 0

    def list_routes(self):
        self.route_lists += 1
        return super().list_routes()

    def list_steps(self):
        self.step_lists += 1
        return super().list_steps()


def test_an_integration_newer_than_the_cached_routes_reads_them_again():
    # given routes cached before a second integration was created
    store, clock = Reads(), FixedClock()
    cache = ConfigCache(store, ttl_seconds=60)
    first, _ = builders.integration(store, clock)
    assert [r.is_default for r in cache.routes_of(first.id)] == [True]
    second, default = builders.integration(store, clock, name="Second")
    # when the second integration's routes are asked for
    routes = cache.routes_of(second.id)
    # then they are found (one more read), and further calls are served from the cache
    assert routes == [default] and store.route_lists == 2
    cache.routes_of(second.id)
    cache.routes_of(first.id)
    assert store.route_lists == 2


def test_an_unknown_integration_reads_the_routes_at_most_once_per_ttl():
    store, clock = Reads(), FixedClock()
    cache = ConfigCache(store, ttl_seconds=60)
    builders.integration(store, clock)
    for _ in range(5):
        assert cache.routes_of("CNOPE") == []
    assert store.route_lists == 2


def test_a_chain_newer_than_the_cached_steps_is_read_again():
    # given steps cached before a new chain got its steps
    store, clock = Reads(), FixedClock()
    cache = ConfigCache(store, ttl_seconds=60)
    old = builders.chain(store, clock, [{"type": "wait", "duration": 60}])
    assert len(cache.steps_of(old.id)) == 1
    new = builders.chain(store, clock, [{"type": "notify_channel", "channel": "outbox://x"}], name="New")
    before_new = store.step_lists
    # then the new chain's steps are there for the first group that snapshots it
    assert [s.type for s in cache.steps_of(new.id)] == ["notify_channel"]
    assert store.step_lists == before_new + 1
    # and an empty chain costs at most one more read per TTL
    for _ in range(3):
        assert cache.steps_of("FEMPTY") == []
    assert store.step_lists == before_new + 2


def test_without_a_ttl_nothing_is_kept():
    store, clock = Reads(), FixedClock()
    cache = ConfigCache(store, ttl_seconds=0)
    integration, _ = builders.integration(store, clock)
    cache.routes_of(integration.id)
    cache.routes_of("CNOPE")
    assert store.route_lists == 2


class _Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_cached_for_its_lifetime():
    # given a cache with a 5 s lifetime and a route list read once
    store, clock, ticker = Reads(), FixedClock(), _Ticker()
    cache = ConfigCache(store, ttl_seconds=5, monotonic=ticker)
    integration, _ = builders.integration(store, clock)
    assert len(cache.routes_of(integration.id)) == 1
    # when a route is added, the cached list is served until it expires
    builders.route(store, clock, integration.id, "later")
    assert len(cache.routes_of(integration.id)) == 1
    ticker.now = 6
    assert len(cache.routes_of(integration.id)) == 2
