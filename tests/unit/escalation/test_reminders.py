"""Acknowledge reminders and auto-unacknowledge on every channel, with stale timers doing nothing."""

from datetime import datetime

import pytest

from oncall.dispatch.pipeline import process_alert
from oncall.escalation import timers
from oncall.escalation.reminders import send_ack_reminder
from oncall.escalation.steps import run_escalation
from oncall.groups import actions
from oncall.models import SOURCE, Actor, ActorKind, DeploymentSettings, IngestMessage
from tests import builders

API = Actor(kind=ActorKind.API, name="API token 'ops'")


@pytest.fixture
def settings(store):
    def configure(remind=60, unack=0):
        store.put_deployment_settings(
            DeploymentSettings(acknowledge_remind_timeout=remind, unacknowledge_timeout=unack)
        )

    return configure


@pytest.fixture
def group_id(store, clock, deps, pager):
    chain = builders.chain(
        store, clock, [{"type": "notify_channel", "channel": "outbox://team"}, {"type": "wait", "duration": 600}]
    )
    integration, _ = builders.integration(store, clock, chain_id=chain.id)
    alert = builders.alert(store, clock, integration, builders.am_payload())
    gid = process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps).group_id
    run_escalation(gid, 0, gid, pager=pager)  # notifies outbox://team
    return gid


@pytest.fixture
def alice(store, clock):
    return builders.user(store, clock, "alice", contacts={"push": "outbox://alice"})


def _as(user):
    return Actor(kind=ActorKind.USER, user_id=user.id, name=user.username)


def _fire(escalations, kind, pager, deps, clock):
    """Fire the newest timer of `kind` when it is due (as its execution would)."""
    name, data = escalations.of_kind(kind)[-1]
    clock.current = datetime.fromisoformat(data["fire_at"].replace("Z", "+00:00"))
    if kind == actions.ACK_REMINDER_TIMER:
        send_ack_reminder(name.split("-", 1)[0], data, pager)
    else:
        timers.run_timer(kind, name.split("-", 1)[0], 1, data, deps)
    return data


def test_no_reminders_unless_configured(group_id, deps, escalations, alice):
    actions.acknowledge(group_id, _as(alice), deps)
    assert escalations.timers == []


def test_acknowledging_schedules_a_reminder(group_id, deps, escalations, alice, settings, clock):
    settings(remind=90)
    actions.acknowledge(group_id, _as(alice), deps)
    [(name, data)] = escalations.of_kind(actions.ACK_REMINDER_TIMER)
    assert data["fire_at"] == "2026-11-27T13:30:00.000000Z" and data["count"] == 1
    assert name.startswith(f"{group_id}-ackr-")


@pytest.mark.parametrize("who", ["source", "cascade"])
def test_no_reminders_for_the_source_or_cascaded_groups(group_id, deps, escalations, settings, who, store, clock):
    settings(remind=60)
    if who == "source":
        actions.acknowledge(group_id, SOURCE, deps)
    else:
        actions.acknowledge(group_id, API, deps, remind=False)
    assert escalations.of_kind(actions.ACK_REMINDER_TIMER) == []


def test_the_reminder_goes_to_the_acknowledging_user_and_repeats(
    group_id, deps, escalations, alice, settings, pager, clock, notifier, links, store
):
    settings(remind=60)
    actions.acknowledge(group_id, _as(alice), deps)
    notifier.delivered.clear()
    _fire(escalations, actions.ACK_REMINDER_TIMER, pager, deps, clock)
    [reminder] = notifier.delivered
    assert reminder.channel == "outbox://alice" and reminder.message.startswith("Still working on it?")
    assert set(reminder.action_links) == {"acknowledge_again", "resolve"}
    link = links.verify(reminder.action_links["acknowledge_again"].rsplit("/", 1)[1])
    assert (link.action, link.user_id) == ("acknowledge_again", alice.id)
    assert store.list_timeline(group_id)[-1].type == "ack_reminder_sent"
    # without an unacknowledge timeout the next reminder is an hour later
    name, data = escalations.of_kind(actions.ACK_REMINDER_TIMER)[-1]
    assert data["count"] == 2 and data["fire_at"] == "2026-11-27T14:00:00.000000Z"
    _fire(escalations, actions.ACK_REMINDER_TIMER, pager, deps, clock)
    assert len(notifier.delivered) == 2


def test_a_reminder_fired_twice_reminds_once(group_id, deps, escalations, alice, settings, pager, clock, notifier):
    settings(remind=60)
    actions.acknowledge(group_id, _as(alice), deps)
    notifier.delivered.clear()
    name, data = escalations.of_kind(actions.ACK_REMINDER_TIMER)[-1]
    clock.advance(hours=1)
    send_ack_reminder(group_id, data, pager)
    send_ack_reminder(group_id, data, pager)  # the task ran twice
    assert len(notifier.delivered) == 1


def test_nobody_confirms_so_the_group_is_unacknowledged_and_escalates_again(
    group_id, deps, escalations, alice, settings, pager, clock, store
):
    settings(remind=60, unack=15)
    actions.acknowledge(group_id, _as(alice), deps)
    _fire(escalations, actions.ACK_REMINDER_TIMER, pager, deps, clock)
    [(name, data)] = escalations.of_kind(actions.AUTO_UNACK_TIMER)
    assert data["fire_at"] == "2026-11-27T13:15:00.000000Z"
    _fire(escalations, actions.AUTO_UNACK_TIMER, pager, deps, clock)
    group = store.get_group(group_id)
    assert group.state == "firing" and group.escalation.execution_name == f"{group_id}-1"
    assert escalations.started[-1] == (f"{group_id}-1", group_id)
    assert store.list_timeline(group_id)[-1].type == "auto_unacknowledged"


def test_acknowledging_again_makes_pending_timers_stale(
    group_id, deps, escalations, alice, settings, pager, clock, store, notifier
):
    settings(remind=60, unack=15)
    actions.acknowledge(group_id, _as(alice), deps)
    _fire(escalations, actions.ACK_REMINDER_TIMER, pager, deps, clock)
    [(_, unack)] = escalations.of_kind(actions.AUTO_UNACK_TIMER)
    clock.advance(minutes=5)
    actions.confirm_acknowledgement(group_id, _as(alice), deps)
    # the old auto-unacknowledge fires: nothing happens
    actions.auto_unacknowledge(group_id, unack, deps)
    assert store.get_group(group_id).state == "acknowledged"
    # and the next reminder comes a full period after the confirmation
    _, data = escalations.of_kind(actions.ACK_REMINDER_TIMER)[-1]
    assert data["fire_at"] == "2026-11-27T14:05:00.000000Z"


@pytest.mark.parametrize("change", ["unacknowledge", "resolve", "reacknowledge"])
def test_stale_reminders_do_nothing(
    group_id, deps, escalations, alice, settings, pager, clock, notifier, store, change
):
    settings(remind=60, unack=15)
    actions.acknowledge(group_id, _as(alice), deps)
    _, data = escalations.of_kind(actions.ACK_REMINDER_TIMER)[-1]
    clock.advance(minutes=1)
    if change == "reacknowledge":
        actions.unacknowledge(group_id, _as(alice), deps)
        actions.acknowledge(group_id, _as(alice), deps)
    else:
        getattr(actions, change)(group_id, _as(alice), deps)
    notifier.delivered.clear()
    timers_before = len(escalations.timers)
    send_ack_reminder(group_id, data, pager)
    actions.auto_unacknowledge(group_id, data, deps)
    assert notifier.delivered == [] and len(escalations.timers) == timers_before


def test_acknowledged_by_a_token_reminds_whoever_was_notified_last(
    group_id, deps, escalations, settings, pager, clock, notifier
):
    settings(remind=30)
    actions.acknowledge(group_id, API, deps)
    notifier.delivered.clear()
    _fire(escalations, actions.ACK_REMINDER_TIMER, pager, deps, clock)
    assert [n.channel for n in notifier.delivered] == ["outbox://team"]
    assert notifier.delivered[0].user_id is None


def test_reminders_are_not_renewed_for_old_groups(group_id, deps, escalations, alice, settings, clock):
    settings(remind=60)
    clock.advance(days=15)
    actions.acknowledge(group_id, _as(alice), deps)
    assert escalations.of_kind(actions.ACK_REMINDER_TIMER) == []
