"""The last run of an execution (decision 0072): a run that returns a wait says whether the run after it is the
execution's last, so the state machine can end there without a Choice and a Succeed. It may say so only when
nothing after the wait can ask for another one; a last run that would wait anyway fails loudly."""

from datetime import timedelta

import pytest

from oncall.dispatch.pipeline import process_alert
from oncall.escalation.personal import PERSONAL
from oncall.escalation.steps import MAX_REPEATS, may_wait, run_escalation
from oncall.escalation.task import Engine, LastRunWouldWaitError, TaskRequest, advance
from oncall.groups import actions, timeline
from oncall.models import IngestMessage, StepType
from oncall.platform.clock import iso
from tests import builders

NOTIFY = {"type": "notify_channel", "channel": "outbox://a"}
WAIT = {"type": "wait", "duration": 600}
WINDOW = {"type": "notify_if_time_from_to", "notify_if_time_from": "00:00:00Z", "notify_if_time_to": "00:00:00Z"}
REPEAT = {"type": "repeat_escalation"}
RESOLVE = {"type": "resolve"}
PAUSE = {"type": "notify_if_num_alerts_in_window", "num_alerts_in_window": 5, "num_minutes_in_window": 10}


@pytest.fixture
def make_group(store, clock, deps):
    def make(steps):
        chain = builders.chain(store, clock, steps, name=f"chain-{len(store.chains)}")
        integration, _ = builders.integration(store, clock, chain_id=chain.id, name=f"int-{len(store.integrations)}")
        alert = builders.alert(store, clock, integration, builders.am_payload())
        outcome = process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps)
        return store.get_group(outcome.group_id)

    return make


def _request(group, step=0, *, last=False, kind="escalation", data=None, attempt=0, execution=None):
    state = {"group_id": group.id, "kind": kind, "step": step, "data": data or {}}
    name = execution or group.escalation.execution_name
    return TaskRequest.model_validate({"state": state, "execution": name, "attempt": attempt, "last": last})


@pytest.mark.parametrize(
    ("after_the_wait", "repetition", "waits"),
    [
        ([], 0, False),
        ([NOTIFY], 0, False),
        ([NOTIFY, RESOLVE], 0, False),
        ([PAUSE, NOTIFY], 0, False),  # a pause ends the execution: never a wait
        ([NOTIFY, WAIT, NOTIFY], 0, True),
        ([WINDOW, NOTIFY], 0, True),  # outside the window it waits
        ([NOTIFY, REPEAT], 0, True),  # jumps back to a chain that waits
        ([NOTIFY, REPEAT], MAX_REPEATS - 1, True),
        ([NOTIFY, REPEAT], MAX_REPEATS, False),  # the last repetition: the repeat does nothing
    ],
)
def test_may_wait_looks_at_every_step_after_the_wait(make_group, store, after_the_wait, repetition, waits):
    group = make_group([NOTIFY, WAIT, *after_the_wait])
    assert may_wait(group.escalation.steps, 2, repetition) is waits
    assert [s.type for s in group.escalation.steps][:2] == [StepType.NOTIFY_CHANNEL, StepType.WAIT]


def test_the_run_before_the_chains_last_wait_says_the_next_run_is_the_last(make_group, pager, notifier):
    group = make_group([NOTIFY, WAIT, NOTIFY, WAIT, NOTIFY])
    name = group.escalation.execution_name
    first = run_escalation(group.id, 0, name, pager=pager)
    assert (first.done, first.next_step, first.wait_seconds, first.last_wait) == (False, 2, 600, False)
    second = run_escalation(group.id, first.next_step, name, pager=pager)
    assert (second.done, second.next_step, second.wait_seconds, second.last_wait) == (False, 4, 600, True)
    third = run_escalation(group.id, second.next_step, name, pager=pager)
    assert third.done and not third.last_wait
    assert len(notifier.delivered) == 3


def test_a_repeat_after_the_wait_keeps_every_run_in_the_loop(make_group, pager):
    group = make_group([NOTIFY, WAIT, REPEAT])
    outcome = run_escalation(group.id, 0, group.escalation.execution_name, pager=pager)
    assert (outcome.wait_seconds, outcome.last_wait) == (600, False)
    final = run_escalation(group.id, 0, group.escalation.execution_name, pager=pager, repetition=MAX_REPEATS)
    assert (final.wait_seconds, final.last_wait) == (600, True)


def test_the_task_output_carries_last_wait_and_never_inherits_it(make_group, pager):
    group = make_group([NOTIFY, WAIT, NOTIFY])
    engine = Engine(pager=pager)
    first = advance(_request(group), engine).state
    assert (first["done"], first["step"], first["wait_seconds"], first["last_wait"]) == (False, 2, 600, True)
    # the input of the last run is that output, last_wait included: the output of the last run is done
    last = advance(TaskRequest(state=first, execution=group.escalation.execution_name, last=True), engine).state
    assert last["done"] and last["last_wait"] is False


def test_a_last_run_that_would_wait_fails_and_the_timeline_says_so(make_group, pager, store):
    # given a run marked last that meets a wait anyway (the steps it was told about were not the steps it ran)
    group = make_group([NOTIFY, WAIT, NOTIFY])
    # then it raises for the state machine's Retry and Catch, instead of ending the execution with steps left
    with pytest.raises(LastRunWouldWaitError, match="the last run asks to wait 600 s before step 3"):
        advance(_request(group, 0, last=True), Engine(pager=pager))
    [entry] = [e for e in store.list_timeline(group.id) if e.type == timeline.ESCALATION_ATTEMPT_FAILED]
    assert "LastRunWouldWaitError" in entry.text


def test_a_timer_that_waits_makes_its_firing_run_the_last(make_group, pager, deps, clock):
    group = make_group([NOTIFY])
    data = {"fire_at": iso(clock.now() + timedelta(seconds=90)), "until": iso(clock.now() + timedelta(seconds=90))}
    engine = Engine(pager=pager)
    waiting = advance(_request(group, kind=actions.UNSILENCE_TIMER, data=data, execution="t"), engine).state
    assert (waiting["done"], waiting["step"], waiting["wait_seconds"], waiting["last_wait"]) == (False, 1, 90, True)
    clock.current = clock.now() + timedelta(seconds=90)
    fired = advance(TaskRequest(state=waiting, execution="t", last=True), engine).state
    assert fired["done"] and not fired["last_wait"]


def test_an_ack_reminder_that_waits_makes_its_firing_run_the_last(make_group, pager, clock):
    group = make_group([NOTIFY])
    data = {"fire_at": iso(clock.now() + timedelta(seconds=30))}
    waiting = advance(_request(group, kind=actions.ACK_REMINDER_TIMER, data=data, execution="r"), Engine(pager=pager))
    assert (waiting.state["wait_seconds"], waiting.state["last_wait"]) == (30, True)


def test_personal_rules_never_count_on_a_last_run(make_group, pager, store, clock):
    # given a user whose rules wait between two notifications (rules are read live: they may change)
    user = builders.user(
        store,
        clock,
        "carol",
        contacts={"push": "outbox://carol"},
        rules=[
            {"type": "notify", "contact": "push"},
            {"type": "wait", "duration": 300},
            {"type": "notify", "contact": "push"},
        ],
    )
    group = make_group([NOTIFY])
    data = {"user_id": user.id, "execution": group.escalation.execution_name, "step_index": 0, "repetition": 0}
    outcome = advance(_request(group, kind=PERSONAL, data=data, execution="p"), Engine(pager=pager)).state
    assert (outcome["done"], outcome["wait_seconds"], outcome["last_wait"]) == (False, 300, False)
