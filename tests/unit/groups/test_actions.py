"""Alert-group actions: preconditions, state precedence, effects on the escalation, cascades."""

import pytest

from oncall.dispatch.pipeline import process_alert
from oncall.escalation import timers
from oncall.groups import actions
from oncall.models import SYSTEM, Actor, ActorKind, IngestMessage
from oncall.platform.errors import ConflictError
from tests import builders

ALICE = Actor(kind=ActorKind.USER, user_id="UALICE", name="alice")
CHAIN = [{"type": "notify_channel", "channel": "outbox://x"}, {"type": "wait", "duration": 300}]


@pytest.fixture
def new_group(store, clock, deps):
    chain = builders.chain(store, clock, CHAIN)
    integration, _ = builders.integration(store, clock, chain_id=chain.id)

    def make(alertname="Disk"):
        alert = builders.alert(store, clock, integration, builders.am_payload(alertname=alertname))
        return process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps).group_id

    return make


def test_acknowledge_stops_escalation_and_records_who(new_group, deps, escalations, store):
    group_id = new_group()
    group = actions.acknowledge(group_id, ALICE, deps)
    assert group.state == "acknowledged" and group.acknowledged_by.user_id == "UALICE"
    assert escalations.stopped == [group_id]
    assert store.list_timeline(group_id)[-1].text == "Acknowledged by alice."


@pytest.mark.parametrize(
    ("setup", "action", "message"),
    [
        (["acknowledge"], "acknowledge", "already acknowledged"),
        (["resolve"], "acknowledge", "resolved"),
        ([], "unacknowledge", "not acknowledged"),
        (["resolve"], "resolve", "already resolved"),
        ([], "unresolve", "not resolved"),
        ([], "unsilence", "not silenced"),
        (["acknowledge"], "silence", "acknowledged"),
    ],
)
def test_preconditions_are_400s_for_people(new_group, deps, setup, action, message):
    group_id = new_group()
    for step in setup:
        getattr(actions, step)(group_id, ALICE, deps)
    call = getattr(actions, action)
    with pytest.raises(ConflictError, match=message):
        if action == "silence":
            call(group_id, ALICE, deps, 60)
        else:
            call(group_id, ALICE, deps)


def test_automatic_actions_skip_instead_of_failing(new_group, deps):
    group_id = new_group()
    actions.resolve(group_id, ALICE, deps)
    assert actions.acknowledge(group_id, SYSTEM, deps, strict=False).state == "resolved"


def test_unacknowledge_restarts_from_step_zero_with_a_new_execution(new_group, deps, escalations, store):
    group_id = new_group()
    actions.acknowledge(group_id, ALICE, deps)
    group = actions.unacknowledge(group_id, ALICE, deps)
    assert group.state == "firing"
    assert group.escalation.execution_name == f"{group_id}-1"
    assert escalations.started[-1] == (f"{group_id}-1", group_id)
    assert not store.get_group(group_id).escalation_finished


def test_resolve_then_unresolve_does_not_reopen_grouping(new_group, deps, store):
    group_id = new_group()
    actions.resolve(group_id, ALICE, deps)
    actions.unresolve(group_id, ALICE, deps)
    assert store.get_group(group_id).state == "firing"
    assert new_group() != group_id  # OnCall quirk kept: the next alert opens a new group


def test_silence_for_a_period_schedules_the_unsilence(new_group, deps, escalations, clock, store):
    group_id = new_group()
    group = actions.silence(group_id, ALICE, deps, 3600)
    assert group.state == "silenced" and escalations.stopped == [group_id]
    [(name, kind, data)] = escalations.timers
    assert kind == "unsilence" and data["until"] == data["fire_at"]
    # when the timer fires at the end of the silence
    clock.advance(hours=1)
    assert timers.run_timer(kind, group_id, 1, data, deps) == (True, 0)
    # then the group is firing again and escalates from step 0
    assert store.get_group(group_id).state == "firing"
    assert escalations.started[-1][0] == f"{group_id}-1"


def test_a_stale_unsilence_timer_does_nothing(new_group, deps, escalations, store):
    group_id = new_group()
    actions.silence(group_id, ALICE, deps, 60)
    [(_, _, first_timer)] = escalations.timers
    actions.unsilence(group_id, ALICE, deps)
    actions.silence(group_id, ALICE, deps, -1)  # silenced again, forever
    actions.auto_unsilence(group_id, first_timer, deps)
    assert store.get_group(group_id).state == "silenced"


def test_timer_waits_until_it_is_due(new_group, deps, clock):
    group_id = new_group()
    actions.silence(group_id, ALICE, deps, 90)
    data = {"fire_at": "2026-11-27T12:01:30.000000Z", "until": "x"}
    assert timers.run_timer("unsilence", group_id, 0, data, deps) == (False, 90)


def test_acknowledge_unsilences_first(new_group, deps, store):
    group_id = new_group()
    actions.silence(group_id, ALICE, deps, -1)
    group = actions.acknowledge(group_id, ALICE, deps)
    assert not group.silenced and group.acknowledged
    assert [e.type for e in store.list_timeline(group_id)][-2:] == ["unsilenced", "acknowledged"]


def test_attach_copies_root_state_and_actions_cascade(new_group, deps, store, escalations):
    root_id, child_id = new_group("A"), new_group("B")
    actions.acknowledge(root_id, ALICE, deps)
    child = actions.attach(child_id, root_id, ALICE, deps)
    assert child.root_group_id == root_id and child.acknowledged
    assert store.get_group(root_id).dependent_ids == [child_id]
    with pytest.raises(ConflictError, match="attached"):
        actions.resolve(child_id, ALICE, deps)
    actions.resolve(root_id, ALICE, deps)
    assert store.get_group(child_id).state == "resolved"


def test_attach_rules(new_group, deps):
    a, b, c = new_group("A"), new_group("B"), new_group("C")
    actions.attach(b, a, ALICE, deps)
    with pytest.raises(ConflictError):
        actions.attach(c, b, ALICE, deps)  # b is attached: not a root
    with pytest.raises(ConflictError):
        actions.attach(a, c, ALICE, deps)  # a has dependents
    with pytest.raises(ConflictError):
        actions.attach(a, a, ALICE, deps)


def test_unattach_restarts_escalation(new_group, deps, store, escalations):
    root_id, child_id = new_group("A"), new_group("B")
    actions.attach(child_id, root_id, ALICE, deps)
    child = actions.unattach(child_id, ALICE, deps)
    assert child.root_group_id is None and escalations.started[-1] == (f"{child_id}-1", child_id)
    assert store.get_group(root_id).dependent_ids == []


def test_wipe_resolves_and_forgets_content(new_group, deps, store):
    group_id = new_group()
    group = actions.wipe(group_id, ALICE, deps)
    assert group.resolved_by == "wiped" and group.wiped_at is not None
    assert all(a.payload["message"].startswith("Wiped by alice") for a in store.list_alerts(group_id))
    with pytest.raises(ConflictError):
        actions.unresolve(group_id, ALICE, deps)
    assert new_group() != group_id


def test_delete_removes_everything_and_frees_the_key(new_group, deps, store, events):
    group_id = new_group()
    actions.delete(group_id, ALICE, deps)
    assert store.get_group(group_id) is None
    assert events.events[-1].type == "delete"
    assert new_group() != group_id


def test_concurrent_change_is_retried(new_group, deps, store):
    group_id = new_group()
    original = store.update_group
    calls = []

    def racing_update(group, changes, **kwargs):
        if not calls:  # someone else changes the group between our read and our write
            calls.append(1)
            original(store.get_group(group.id), {"title": "changed elsewhere"})
        return original(group, changes, **kwargs)

    store.update_group = racing_update
    group = actions.acknowledge(group_id, ALICE, deps)
    assert group.acknowledged and store.get_group(group_id).title == "changed elsewhere"
