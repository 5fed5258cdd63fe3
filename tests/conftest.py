"""Shared fixtures. Nothing here or anywhere in the tests may reach a real AWS endpoint: credentials are
fake and every test that touches AWS runs inside moto."""

from __future__ import annotations

import os

import pytest

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_METRICS_NAMESPACE": "ServerlessOnCallTests",
        "POWERTOOLS_SERVICE_NAME": "serverless-oncall",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

from oncall.configuration.cache import ConfigCache  # noqa: E402
from oncall.groups.action_links import ActionLinks  # noqa: E402
from oncall.groups.actions import ActionDeps  # noqa: E402
from oncall.groups.events import MemorySink  # noqa: E402
from oncall.monitoring.maintenance import stop_for_incident  # noqa: E402
from oncall.notify.paging import Pager  # noqa: E402
from oncall.platform.bodies import check_responses  # noqa: E402
from tests.fakes import FakeEscalations, FakeNotifier, FakeQueue, FixedClock, InMemoryStore  # noqa: E402
from tests.shared_loader import share_service_models  # noqa: E402

# Every response body a test builds is checked against its model's types (the functions only order them).
check_responses()
share_service_models()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def queue() -> FakeQueue:
    return FakeQueue()


@pytest.fixture
def escalations() -> FakeEscalations:
    return FakeEscalations()


@pytest.fixture
def notifier() -> FakeNotifier:
    return FakeNotifier()


@pytest.fixture
def events() -> MemorySink:
    return MemorySink()


@pytest.fixture
def deps(store, escalations, clock, events) -> ActionDeps:
    return ActionDeps(
        store=store,
        escalations=escalations,
        clock=clock,
        config=ConfigCache(store, 0),
        events=events,
        stop_maintenance=stop_for_incident,
    )


BASE_URL = "http://oncall.test"
LINK_SECRET = "unit-test-action-link-secret"


@pytest.fixture
def links(clock) -> ActionLinks:
    return ActionLinks(lambda: LINK_SECRET, clock, ttl_seconds=7 * 24 * 3600)


@pytest.fixture
def pager(deps, notifier, links) -> Pager:
    return Pager(deps, notifier, BASE_URL, links)
