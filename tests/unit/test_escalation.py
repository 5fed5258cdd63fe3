import pytest

from oncall.alert_processing import process_alert
from oncall.channels import ChannelError
from oncall.config_cache import ConfigCache
from oncall.escalation import record_failure, run_escalation
from oncall.models import IngestMessage
from tests import builders


def _group_with_chain(store, clock, escalations, steps):
    chain = builders.chain(store, clock, steps)
    integration, _ = builders.integration(store, clock, chain_id=chain.id)
    alert = builders.alert(store, clock, integration, builders.am_payload())
    outcome = process_alert(
        IngestMessage(alert_id=alert.id, integration_id=integration.id),
        store=store,
        config=ConfigCache(store, 5),
        escalations=escalations,
        clock=clock,
    )
    return store.get_group(outcome.group_id)


def _run(group, step, store, notifier, clock, execution=None):
    return run_escalation(
        group.id,
        step,
        execution or group.escalation.execution_name,
        store=store,
        notifier=notifier,
        clock=clock,
        base_url="http://oncall.test",
    )


def test_runs_instant_steps_until_a_wait(store, clock, escalations, notifier):
    group = _group_with_chain(
        store,
        clock,
        escalations,
        [
            {"type": "notify_channel", "channel": "outbox://a"},
            {"type": "notify_channel", "channel": "outbox://b"},
            {"type": "wait", "duration": 600},
            {"type": "notify_channel", "channel": "outbox://c"},
        ],
    )
    outcome = _run(group, 0, store, notifier, clock)
    assert (outcome.done, outcome.next_step, outcome.wait_seconds) == (False, 3, 600)
    assert [n.channel for n in notifier.delivered] == ["outbox://a", "outbox://b"]
    assert notifier.delivered[0].title == f"#{group.number} DiskFull"
    assert notifier.delivered[0].link == f"http://oncall.test/api/v1/alert_groups/{group.id}"
    last = _run(group, 3, store, notifier, clock)
    assert last.done
    assert store.get_group(group.id).escalation_finished


def test_a_repeated_step_notifies_once(store, clock, escalations, notifier):
    group = _group_with_chain(store, clock, escalations, [{"type": "notify_channel", "channel": "outbox://a"}])
    _run(group, 0, store, notifier, clock)
    _run(group, 0, store, notifier, clock)  # Step Functions ran the task twice
    assert len(notifier.delivered) == 1


def test_stops_when_group_is_resolved(store, clock, escalations, notifier):
    group = _group_with_chain(store, clock, escalations, [{"type": "notify_channel", "channel": "outbox://a"}])
    store.resolve_group(group, "user", clock.now())
    assert _run(group, 0, store, notifier, clock).done
    assert notifier.delivered == []


def test_a_stale_execution_does_nothing(store, clock, escalations, notifier):
    group = _group_with_chain(store, clock, escalations, [{"type": "notify_channel", "channel": "outbox://a"}])
    assert _run(group, 0, store, notifier, clock, execution="old-execution").done
    assert notifier.delivered == []


def test_resolve_step(store, clock, escalations, notifier):
    group = _group_with_chain(store, clock, escalations, [{"type": "resolve"}])
    assert _run(group, 0, store, notifier, clock).done
    assert store.get_group(group.id).resolved_by == "last_step"


def test_channel_failure_is_on_the_timeline_and_escalation_goes_on(store, clock, escalations, notifier):
    group = _group_with_chain(store, clock, escalations, [{"type": "notify_channel", "channel": "slack://x"}])
    notifier.fail = ChannelError("unsupported channel: slack://")
    assert _run(group, 0, store, notifier, clock).done
    assert any(e.type == "notification_failed" for e in store.list_timeline(group.id))


def test_unexpected_delivery_error_releases_the_claim_for_the_retry(store, clock, escalations, notifier):
    group = _group_with_chain(store, clock, escalations, [{"type": "notify_channel", "channel": "outbox://a"}])
    notifier.fail = RuntimeError("network down")
    with pytest.raises(RuntimeError):
        _run(group, 0, store, notifier, clock)
    notifier.fail = None
    _run(group, 0, store, notifier, clock)
    assert len(notifier.delivered) == 1


def test_record_failure_writes_timeline(store, clock, escalations):
    group = _group_with_chain(store, clock, escalations, [{"type": "wait", "duration": 60}])
    record_failure(group.id, 0, "RuntimeError", "boom", store=store, clock=clock)
    assert store.list_timeline(group.id)[-1].type == "escalation_failed"
