"""The objects a container builds once and passes into logic: store, config cache, queue, escalations and
notifier. Handlers ask for them here; tests call `reset()` between AWS fixtures.

Modules are imported inside their factories, so a function pays only for what it uses: ingest (whose cold
start is the hot path) never imports Jinja2, the actions and escalation modules or Powertools' parameters;
channels (Apprise), webhook delivery and iCal load only in the functions that deliver. Each such import says
"on use"; what every function loads anyway is imported at the top.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from oncall.configuration.cache import ConfigCache
from oncall.intake.queue import SqsAlertQueue
from oncall.platform import aws, clock
from oncall.platform.containers import per_container
from oncall.platform.errors import NotFoundError
from oncall.platform.settings import get_settings
from oncall.storage.dynamo import DynamoStore

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    from oncall.access.auth_failures import FailedAuthGuard
    from oncall.escalation.stepfunctions import StepFunctionsEscalations
    from oncall.escalation.task import Engine
    from oncall.groups.action_links import ActionLinks
    from oncall.groups.actions import ActionDeps
    from oncall.groups.events import EventSink
    from oncall.models import Actor, AlertGroup
    from oncall.notify.channels import ChannelNotifier
    from oncall.people.ical import IcalFeeds
    from oncall.platform.netguard import GuardedHttpClient
    from oncall.webhooks.delivery import DeliveryDeps


@per_container
def store() -> DynamoStore:
    return DynamoStore(get_settings().table_name)


@per_container
def auth_failures() -> FailedAuthGuard:
    from oncall.access.auth_failures import FailedAuthGuard  # on use: the api and ingest only

    return FailedAuthGuard()


@per_container
def config() -> ConfigCache:
    return ConfigCache(store(), get_settings().config_cache_seconds)


@per_container
def alert_queue() -> SqsAlertQueue:
    return SqsAlertQueue(get_settings().ingest_queue_url)


@per_container
def escalations() -> StepFunctionsEscalations:
    from oncall.escalation.stepfunctions import StepFunctionsEscalations  # on use: not in ingest's cold start

    return StepFunctionsEscalations(get_settings().escalation_state_machine_arn)


@per_container
def notifier() -> ChannelNotifier:
    from oncall.notify.channels import ChannelNotifier, Outbox  # on use: the functions that deliver

    settings = get_settings()
    return ChannelNotifier(
        Outbox(settings.outbox_path) if settings.outbox_path else None,
        sender=settings.notification_sender,
        allow_private=settings.allow_private_targets,
    )


@per_container
def events() -> EventSink:
    from oncall.groups.events import NullSink, SqsEventSink, is_triggered  # on use: not in ingest's cold start

    queue_url = get_settings().events_queue_url
    if not queue_url:
        return NullSink()
    return SqsEventSink(queue_url, wanted=lambda event: any(is_triggered(w, event) for w in config().webhooks()))


@per_container
def webhook_http() -> GuardedHttpClient:
    from oncall.platform.netguard import GuardedHttpClient  # on use: the functions that send webhooks

    settings = get_settings()
    own = (settings.public_base_url,) if settings.public_base_url else ()
    return GuardedHttpClient(allow_private=settings.allow_private_targets, refused_origins=own)


def delivery_deps(base_url: str | None = None) -> DeliveryDeps:
    """What webhook delivery needs; `base_url` for links in event data (default: PUBLIC_BASE_URL)."""
    # On use: webhook delivery loads only in the functions that deliver or test webhooks.
    from oncall.webhooks.delivery import DeliveryDeps, SqsDeliveryQueue
    from oncall.webhooks.loops import deployment_marker

    settings = get_settings()
    http = webhook_http()
    if base_url and base_url not in http.refused_origins:
        http = replace(http, refused_origins=(*http.refused_origins, base_url))
    return DeliveryDeps(
        store=store(),
        config=config(),
        clock=now_clock(),
        queue=SqsDeliveryQueue(settings.events_queue_url),
        http=http,
        base_url=base_url if base_url is not None else settings.public_base_url,
        retry_base_seconds=settings.webhook_retry_base_seconds,
        hop=deployment_marker(settings.table_name),
    )


@per_container
def ical_feeds() -> IcalFeeds:
    """iCal schedule feeds, cached in this container (users are read when a feed is mapped)."""
    # On use: iCal schedules only in the functions that page or show schedules.
    from oncall.people.ical import IcalFeeds
    from oncall.people.ical_fetch import fetch_feed

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
    from oncall.groups.actions import ActionDeps  # on use: ingest loads actions only for a heartbeat

    return ActionDeps(
        store=store(),
        escalations=escalations(),
        clock=now_clock(),
        config=config(),
        events=events(),
        stop_maintenance=_stop_maintenance,
    )


def _stop_maintenance(incident_id: str, actor: Actor, deps: ActionDeps) -> AlertGroup:
    # Imported on use, as the factories above: most actions never touch a maintenance incident.
    from oncall.monitoring.maintenance import stop_for_incident

    return stop_for_incident(incident_id, actor, deps)


SECRET_MAX_AGE_SECONDS = 300  # a rotated key reaches every warm container within 5 minutes


@per_container
def _secrets() -> SSMProvider:
    from aws_lambda_powertools.utilities.parameters import SSMProvider  # on use: not in any cold start

    return SSMProvider(boto3_client=aws.client("ssm"))


def secret(name: str) -> str:
    """An SSM SecureString parameter's value, decrypted (AWS-managed key aws/ssm) and cached by Powertools for
    5 minutes: one GetParameter per container and period (the provider and its cache belong to the container)."""
    return _secrets().get(name, decrypt=True, max_age=SECRET_MAX_AGE_SECONDS)


def _action_link_secret() -> str:
    name = get_settings().action_link_parameter
    return secret(name) if name else ""


def action_links() -> ActionLinks | None:
    """None when the deployment has no action-link secret (notifications then carry no links)."""
    from oncall.groups.action_links import ActionLinks  # on use: the functions that send or open links

    if not get_settings().action_link_parameter:
        return None
    return ActionLinks(_action_link_secret, now_clock(), get_settings().action_link_ttl_seconds)


def _trigger_escalation_webhook(webhook_id: str, group_id: str, *, deps: ActionDeps) -> None:
    """The escalation step `trigger_webhook`: publish the event for the outgoing-webhooks function. A webhook
    that was deleted since the chain was snapshotted is a step failure on the timeline, not a failed chain."""
    # On use: the escalate task only (webhook configuration is otherwise the api's).
    from oncall.groups import timeline
    from oncall.webhooks.config import trigger_escalation_webhook

    try:
        trigger_escalation_webhook(webhook_id, group_id, deps=deps)
    except NotFoundError as error:
        deps.store.add_timeline(
            timeline.entry(group_id, deps.clock.now(), timeline.STEP_FAILED, f"Webhook not triggered: {error.detail}")
        )


def engine() -> Engine:
    """What the escalate task runs with: delivery (the pager holds back everything in debug maintenance),
    action links, outgoing webhooks and iCal schedules."""
    # On use: the escalate function only.
    from oncall.escalation.task import Engine
    from oncall.notify.paging import Pager

    deps = action_deps()
    pager = Pager(deps, notifier(), get_settings().public_base_url, action_links())
    return Engine(pager, trigger_webhook=_trigger_escalation_webhook, ical=ical_feeds())


def reset() -> None:
    factories = (store, config, alert_queue, escalations, notifier, events, ical_feeds, webhook_http, _secrets)
    for factory in (*factories, auth_failures):
        factory.cache_clear()
    get_settings.cache_clear()
    aws.reset_clients()
