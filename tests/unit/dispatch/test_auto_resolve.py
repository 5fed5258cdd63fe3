from datetime import timedelta

import pytest

from oncall.dispatch import auto_resolve
from oncall.dispatch.pipeline import process_alert
from oncall.escalation.timers import run_timer
from oncall.models import IngestMessage
from oncall.platform.clock import iso
from tests import builders

CHAIN = [{"type": "notify_channel", "channel": "outbox://x"}, {"type": "wait", "duration": 3600}]


@pytest.fixture
def pipeline(store, clock, deps):
    chain = builders.chain(store, clock, CHAIN)
    integration, _ = builders.integration(store, clock, chain_id=chain.id, auto_resolve_minutes=30)

    def process(payload):
        alert = builders.alert(store, clock, integration, payload)
        return process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps), alert

    return integration, process


def _fire(timer, deps):
    name, kind, data = timer
    group_id = name.split("-", 1)[0]
    return run_timer(kind, group_id, 1, data, deps)


def test_each_alert_schedules_a_timer_named_after_it(pipeline, escalations, clock):
    _, process = pipeline
    first, a1 = process(builders.am_payload())
    clock.advance(minutes=5)
    second, a2 = process(builders.am_payload())
    assert first.auto_resolve_scheduled and second.auto_resolve_scheduled
    assert [(name, kind) for name, kind, _ in escalations.timers] == [
        (f"{first.group_id}-auto-resolve-{a1.id}", "auto_resolve"),
        (f"{first.group_id}-auto-resolve-{a2.id}", "auto_resolve"),
    ]
    assert escalations.timers[1][2] == {"fire_at": iso(a2.received_at + timedelta(minutes=30)), "last_alert_id": a2.id}


def test_timer_waits_until_fire_at_then_resolves_by_timeout(pipeline, escalations, store, clock, deps):
    _, process = pipeline
    outcome, _ = process(builders.am_payload())
    name, kind, data = escalations.timers[0]
    # step 0 waits the whole delay
    assert run_timer(kind, outcome.group_id, 0, data, deps) == (False, 30 * 60)
    clock.advance(minutes=30)
    assert run_timer(kind, outcome.group_id, 0, data, deps) == (True, 0)
    group = store.get_group(outcome.group_id)
    assert group.state == "resolved" and group.resolved_by == "timeout"
    assert escalations.stopped == [outcome.group_id]  # the escalation stops like any resolve
    assert store.list_timeline(group.id)[-1].text.startswith("Resolved automatically")


def test_a_newer_alert_defers_the_resolve_to_its_own_timer(pipeline, escalations, store, clock, deps):
    _, process = pipeline
    outcome, _ = process(builders.am_payload())
    clock.advance(minutes=20)
    process(builders.am_payload())
    clock.advance(minutes=10)
    _fire(escalations.timers[0], deps)  # the first alert's timer: a newer alert arrived since
    assert store.get_group(outcome.group_id).state == "firing"
    clock.advance(minutes=20)
    _fire(escalations.timers[1], deps)
    assert store.get_group(outcome.group_id).state == "resolved"


def test_acknowledged_groups_resolve_too_and_resolved_ones_are_left_alone(pipeline, escalations, store, deps):
    from oncall.groups import actions
    from oncall.models import Actor, ActorKind

    _, process = pipeline
    outcome, _ = process(builders.am_payload())
    actions.acknowledge(outcome.group_id, Actor(kind=ActorKind.API, name="t"), deps)
    _fire(escalations.timers[0], deps)
    group = store.get_group(outcome.group_id)
    assert group.state == "resolved" and group.resolved_by == "timeout"
    version = group.version
    _fire(escalations.timers[0], deps)  # a duplicate delivery of the timer changes nothing
    assert store.get_group(outcome.group_id).version == version


def test_no_timer_for_an_alert_that_resolves_or_joins_a_resolved_group(pipeline, escalations):
    _, process = pipeline
    process(builders.am_payload())
    resolving, _ = process(builders.am_payload("resolved"))
    late, _ = process(builders.am_payload("resolved"))
    assert not resolving.auto_resolve_scheduled and not late.auto_resolve_scheduled
    assert len(escalations.timers) == 1


def test_turning_the_option_off_disarms_pending_timers(pipeline, escalations, store, deps):
    integration, process = pipeline
    outcome, _ = process(builders.am_payload())
    store.integrations[integration.id] = integration.model_copy(update={"auto_resolve_minutes": None})
    _fire(escalations.timers[0], deps)
    assert store.get_group(outcome.group_id).state == "firing"


def test_off_by_default(store, clock, deps, escalations):
    integration, _ = builders.integration(store, clock)
    alert = builders.alert(store, clock, integration, builders.am_payload())
    outcome = process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps)
    assert not outcome.auto_resolve_scheduled and escalations.timers == []
    assert auto_resolve.timer_name("I1", "A1") == "I1-auto-resolve-A1"
