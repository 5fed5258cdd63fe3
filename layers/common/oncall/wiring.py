"""The objects a container builds once and passes into logic: store, config cache, queue, escalations and
notifier. Handlers ask for them here; tests call `reset()` between AWS fixtures."""

from __future__ import annotations

from functools import cache, partial

from oncall import aws, clock
from oncall.actions import ActionDeps
from oncall.channels import ChannelNotifier, Outbox
from oncall.config_cache import ConfigCache
from oncall.dynamo_store import DynamoStore
from oncall.events import EventSink, NullSink
from oncall.ical import IcalFeeds
from oncall.ical_fetch import fetch_feed
from oncall.queue import SqsAlertQueue
from oncall.settings import get_settings
from oncall.workflows import StepFunctionsEscalations


@cache
def store() -> DynamoStore:
    return DynamoStore(get_settings().table_name)


@cache
def config() -> ConfigCache:
    return ConfigCache(store(), get_settings().config_cache_seconds)


@cache
def alert_queue() -> SqsAlertQueue:
    return SqsAlertQueue(get_settings().ingest_queue_url)


@cache
def escalations() -> StepFunctionsEscalations:
    return StepFunctionsEscalations(get_settings().escalation_state_machine_arn)


@cache
def notifier() -> ChannelNotifier:
    outbox_path = get_settings().outbox_path
    return ChannelNotifier(Outbox(outbox_path) if outbox_path else None)


@cache
def events() -> EventSink:
    return NullSink()


@cache
def ical_feeds() -> IcalFeeds:
    """iCal schedule feeds, cached in this container (users are read when a feed is mapped)."""
    settings = get_settings()
    fetch = partial(
        fetch_feed,
        timeout=settings.ical_timeout_seconds,
        max_bytes=settings.ical_max_bytes,
        allow_http=settings.ical_allow_http,
        allow_private=settings.ical_allow_private,
    )
    return IcalFeeds(store().list_users, fetch=fetch, ttl_seconds=settings.ical_cache_seconds)


def now_clock() -> clock.Clock:
    return clock.default_clock()


def action_deps() -> ActionDeps:
    return ActionDeps(store=store(), escalations=escalations(), clock=now_clock(), config=config(), events=events())


def reset() -> None:
    for factory in (store, config, alert_queue, escalations, notifier, events, ical_feeds):
        factory.cache_clear()
    get_settings.cache_clear()
    aws.reset_clients()
