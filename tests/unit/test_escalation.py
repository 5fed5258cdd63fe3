import pytest

from oncall.alert_processing import process_alert
from oncall.channels import ChannelError
from oncall.escalation import record_failure, run_escalation
from oncall.models import IngestMessage
from tests import builders


@pytest.fixture
def make_group(store, clock, deps):
    def make(steps):
        chain = builders.chain(store, clock, steps)
        integration, _ = builders.integration(store, clock, chain_id=chain.id)
        alert = builders.alert(store, clock, integration, builders.am_payload())
        outcome = process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps)
        return store.get_group(outcome.group_id)

    return make


@pytest.fixture
def run(deps, notifier):
    def run_step(group, step, execution=None):
        name = execution or group.escalation.execution_name
        return run_escalation(group.id, step, name, deps=deps, notifier=notifier, base_url="http://oncall.test")

    return run_step


def test_runs_instant_steps_until_a_wait(make_group, run, store, notifier):
    group = make_group(
        [
            {"type": "notify_channel", "channel": "outbox://a"},
            {"type": "notify_channel", "channel": "outbox://b"},
            {"type": "wait", "duration": 600},
            {"type": "notify_channel", "channel": "outbox://c"},
        ]
    )
    outcome = run(group, 0)
    assert (outcome.done, outcome.next_step, outcome.wait_seconds) == (False, 3, 600)
    assert [n.channel for n in notifier.delivered] == ["outbox://a", "outbox://b"]
    assert notifier.delivered[0].title == f"#{group.number} DiskFull"
    assert notifier.delivered[0].link == f"http://oncall.test/api/v1/alert_groups/{group.id}"
    assert run(group, 3).done
    assert store.get_group(group.id).escalation_finished


def test_a_repeated_step_notifies_once(make_group, run, notifier):
    group = make_group([{"type": "notify_channel", "channel": "outbox://a"}])
    run(group, 0)
    run(group, 0)  # Step Functions ran the task twice
    assert len(notifier.delivered) == 1


def test_stops_when_group_is_resolved(make_group, run, deps, notifier):
    from oncall import actions
    from oncall.models import SYSTEM

    group = make_group([{"type": "notify_channel", "channel": "outbox://a"}])
    actions.resolve(group.id, SYSTEM, deps)
    assert run(group, 0).done
    assert notifier.delivered == []


def test_a_stale_execution_does_nothing(make_group, run, notifier):
    group = make_group([{"type": "notify_channel", "channel": "outbox://a"}])
    assert run(group, 0, execution="old-execution").done
    assert notifier.delivered == []


def test_resolve_step(make_group, run, store):
    group = make_group([{"type": "resolve"}])
    assert run(group, 0).done
    assert store.get_group(group.id).resolved_by == "last_step"


def test_channel_failure_is_on_the_timeline_and_escalation_goes_on(make_group, run, store, notifier):
    group = make_group([{"type": "notify_channel", "channel": "slack://x"}])
    notifier.fail = ChannelError("unsupported channel: slack://")
    assert run(group, 0).done
    assert any(e.type == "notification_failed" for e in store.list_timeline(group.id))


def test_unexpected_delivery_error_releases_the_claim_for_the_retry(make_group, run, notifier):
    group = make_group([{"type": "notify_channel", "channel": "outbox://a"}])
    notifier.fail = RuntimeError("network down")
    with pytest.raises(RuntimeError):
        run(group, 0)
    notifier.fail = None
    run(group, 0)
    assert len(notifier.delivered) == 1


def test_finishing_an_old_escalation_does_not_finish_a_restarted_one(make_group, run, store, deps):
    from oncall import actions
    from oncall.models import SYSTEM

    group = make_group([{"type": "wait", "duration": 60}])
    actions.acknowledge(group.id, SYSTEM, deps)
    actions.unacknowledge(group.id, SYSTEM, deps)
    run(group, 1, execution=group.escalation.execution_name)  # the old execution reaches its end
    assert not store.get_group(group.id).escalation_finished


def test_record_failure_writes_timeline(make_group, store, clock):
    group = make_group([{"type": "wait", "duration": 60}])
    record_failure(group.id, 0, "RuntimeError", "boom", store=store, clock=clock)
    assert store.list_timeline(group.id)[-1].type == "escalation_failed"
