"""The objects a container builds once and passes into logic: store, config cache, queue, escalations and
notifier. Handlers ask for them here; tests call `reset()` between AWS fixtures."""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools.utilities import parameters

from oncall import aws, clock
from oncall.action_links import ActionLinks
from oncall.actions import ActionDeps
from oncall.channels import ChannelNotifier, Outbox
from oncall.config_cache import ConfigCache
from oncall.dynamo_store import DynamoStore
from oncall.events import EventSink, NullSink
from oncall.executions import Engine
from oncall.paging import Pager
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


def now_clock() -> clock.Clock:
    return clock.default_clock()


def action_deps() -> ActionDeps:
    return ActionDeps(store=store(), escalations=escalations(), clock=now_clock(), config=config(), events=events())


def _action_link_secret() -> str:
    arn = get_settings().action_link_secret_arn
    # Cached by Powertools for 5 minutes: one Secrets Manager call per container and period.
    return parameters.get_secret(arn, max_age=300) if arn else ""


def action_links() -> ActionLinks | None:
    """None when the deployment has no action-link secret (notifications then carry no links)."""
    if not get_settings().action_link_secret_arn:
        return None
    return ActionLinks(_action_link_secret, now_clock(), get_settings().action_link_ttl_seconds)


def pager() -> Pager:
    return Pager(action_deps(), notifier(), get_settings().public_base_url, action_links())


def engine() -> Engine:
    # Outgoing webhooks and iCal schedules plug in here (Engine.trigger_webhook, Engine.ical).
    return Engine(pager())


def reset() -> None:
    for factory in (store, config, alert_queue, escalations, notifier, events):
        factory.cache_clear()
    get_settings.cache_clear()
    aws.reset_clients()
