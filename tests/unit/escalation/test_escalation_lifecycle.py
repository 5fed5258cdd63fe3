"""When escalations stop and restart (docs/oncall-compatibility.md#escalation-lifecycle):
ack/resolve/silence/attach/wipe stop the running
execution; unack/unresolve/unsilence/unattach start a new one from step 0 with a fresh snapshot."""

import pytest

from oncall.configuration.changes import create_step
from oncall.configuration.requests import StepCreate
from oncall.dispatch.pipeline import process_alert
from oncall.groups import actions
from oncall.models import SYSTEM, IngestMessage
from tests import builders

CHAIN = [{"type": "notify_channel", "channel": "outbox://x"}, {"type": "wait", "duration": 300}]


@pytest.fixture
def fire(store, clock, deps):
    chain = builders.chain(store, clock, CHAIN)
    integration, _ = builders.integration(store, clock, chain_id=chain.id)

    def make(alertname="Disk"):
        alert = builders.alert(store, clock, integration, builders.am_payload(alertname=alertname))
        return process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps).group_id

    make.chain = chain
    return make


def _stop(action, group_id, deps, fire):
    if action == "silence":
        actions.silence(group_id, SYSTEM, deps, 3600)
    elif action == "attach":
        actions.attach(group_id, fire("Root"), SYSTEM, deps)
    else:
        getattr(actions, action)(group_id, SYSTEM, deps)


@pytest.mark.parametrize("action", ["acknowledge", "resolve", "silence", "attach", "wipe"])
def test_stopping_actions_stop_the_running_execution(fire, deps, escalations, store, action):
    group_id = fire()
    assert escalations.started == [(group_id, group_id)] and escalations.positions[group_id] == (0, 0)
    _stop(action, group_id, deps, fire)
    assert escalations.stopped == [group_id]


@pytest.mark.parametrize(
    ("stop", "restart"),
    [
        ("acknowledge", "unacknowledge"),
        ("resolve", "unresolve"),
        ("silence", "unsilence"),
        ("attach", "unattach"),
    ],
)
def test_restarting_actions_start_from_step_zero_with_a_fresh_snapshot(
    fire, deps, escalations, store, clock, stop, restart
):
    group_id = fire()
    _stop(stop, group_id, deps, fire)
    # the chain is edited while the group is stopped: the restart takes the chain as it is now
    added = StepCreate(escalation_chain_id=fire.chain.id, type="notify_channel", channel="outbox://added")
    create_step(added, store=store, clock=clock)
    getattr(actions, restart)(group_id, SYSTEM, deps)
    group = store.get_group(group_id)
    assert group.escalation.execution_name == f"{group_id}-1"
    assert escalations.started[-1] == (f"{group_id}-1", group_id)
    assert escalations.positions[f"{group_id}-1"] == (0, 0)
    assert [s.channel for s in group.escalation.steps if s.channel] == ["outbox://x", "outbox://added"]
    assert not group.escalation_finished


def test_the_previous_execution_is_stopped_again_on_restart_only_if_it_ran(fire, deps, escalations):
    group_id = fire()
    actions.acknowledge(group_id, SYSTEM, deps)
    actions.unacknowledge(group_id, SYSTEM, deps)
    actions.resolve(group_id, SYSTEM, deps)
    assert escalations.stopped[-1] == f"{group_id}-1"
