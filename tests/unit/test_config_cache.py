"""The hot paths' configuration cache: a few seconds old at most, but never stale about things that were just
created (a new integration's default route, a new chain's steps)."""

from oncall.config_cache import ConfigCache
from tests import builders


class _Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_cached_for_its_lifetime(store, clock):
    ticker = _Ticker()
    cache = ConfigCache(store, ttl_seconds=5, monotonic=ticker)
    integration, _ = builders.integration(store, clock)
    assert len(cache.routes_of(integration.id)) == 1
    builders.route(store, clock, integration.id, "later")
    assert len(cache.routes_of(integration.id)) == 1  # still the cached list
    ticker.now = 6
    assert len(cache.routes_of(integration.id)) == 2


def test_a_new_integration_is_routed_at_once(store, clock):
    # given a warm cache
    ticker = _Ticker()
    cache = ConfigCache(store, ttl_seconds=5, monotonic=ticker)
    first, _ = builders.integration(store, clock, name="first")
    cache.routes_of(first.id)
    # when an integration is created within the cache's lifetime
    second, default = builders.integration(store, clock, name="second")
    # then its first alert finds its default route without waiting for the cache to expire
    assert [r.id for r in cache.routes_of(second.id)] == [default.id]


def test_a_new_chain_has_its_steps_at_once(store, clock):
    ticker = _Ticker()
    cache = ConfigCache(store, ttl_seconds=5, monotonic=ticker)
    old = builders.chain(store, clock, [{"type": "wait", "duration": 60}], name="old")
    assert len(cache.steps_of(old.id)) == 1
    new = builders.chain(store, clock, [{"type": "wait", "duration": 60}, {"type": "resolve"}], name="new")
    assert [s.type for s in cache.steps_of(new.id)] == ["wait", "resolve"]
