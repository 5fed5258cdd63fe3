import pytest

from oncall.access.rate_limit import check_ingest_rate
from oncall.platform.errors import RateLimitedError
from oncall.platform.http import error_body, status_for
from oncall.storage.protocols import StoreRequestError
from tests import builders


def test_fixed_window_allows_the_limit_then_429_with_retry_after(store, clock):
    # given 3 alerts per 60 s, 20 s into a window
    integration, _ = builders.integration(store, clock, rate_limit={"alerts": 3, "per_seconds": 60})
    clock.current = clock.current.replace(second=20)
    for _ in range(3):
        check_ingest_rate(integration, store=store, clock=clock)
    with pytest.raises(RateLimitedError) as limited:
        check_ingest_rate(integration, store=store, clock=clock)
    error = limited.value
    assert status_for(error) == 429 and error.headers() == {"Retry-After": "40"}
    assert error_body(error) == {
        "detail": error.detail,
        "limit": {"alerts": 3, "per_seconds": 60},
        "retry_after": 40,
    }
    # and a rejected alert was not counted: the next window starts fresh
    clock.advance(seconds=40)
    check_ingest_rate(integration, store=store, clock=clock)
    assert sorted(store.counters.values()) == [1, 3]


def test_unlimited_by_default_and_never_counted(store, clock):
    integration, _ = builders.integration(store, clock)
    for _ in range(500):
        check_ingest_rate(integration, store=store, clock=clock)
    assert store.counters == {}


def test_limits_are_per_integration(store, clock):
    first, _ = builders.integration(store, clock, name="a", rate_limit={"alerts": 1, "per_seconds": 300})
    second, _ = builders.integration(store, clock, name="b", rate_limit={"alerts": 1, "per_seconds": 300})
    check_ingest_rate(first, store=store, clock=clock)
    check_ingest_rate(second, store=store, clock=clock)
    with pytest.raises(RateLimitedError):
        check_ingest_rate(first, store=store, clock=clock)


def test_an_unavailable_counter_fails_open(store, clock, monkeypatch):
    integration, _ = builders.integration(store, clock, rate_limit={"alerts": 1, "per_seconds": 300})

    def broken(*_args, **_kwargs):
        # what the store raises when DynamoDB throttles the counter's UpdateItem
        raise StoreRequestError(operation="UpdateItem", reason="ProvisionedThroughputExceededException")

    monkeypatch.setattr(store, "count_within_limit", broken)
    for _ in range(3):
        check_ingest_rate(integration, store=store, clock=clock)
