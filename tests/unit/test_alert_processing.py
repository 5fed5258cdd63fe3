import pytest

from oncall.alert_processing import AlertMissingError, process_alert
from oncall.models import IngestMessage
from tests import builders

CHAIN = [{"type": "notify_channel", "channel": "outbox://x"}, {"type": "wait", "duration": 300}]


@pytest.fixture
def setup(store, clock, deps):
    chain = builders.chain(store, clock, CHAIN)
    integration, route = builders.integration(store, clock, chain_id=chain.id)

    def process(payload, **kw):
        alert = builders.alert(store, clock, integration, payload, **kw)
        return process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps), alert

    return integration, route, process


def test_new_group_starts_one_escalation_with_a_snapshot(setup, store, escalations):
    _, route, process = setup
    outcome, _ = process(builders.am_payload())
    group = store.get_group(outcome.group_id)
    assert outcome.group_created and outcome.escalation_started
    assert escalations.started == [(group.id, group.id)]
    assert [s.type for s in group.escalation.steps] == ["notify_channel", "wait"]
    assert group.route_id == route.id


def test_second_alert_joins_without_new_escalation(setup, escalations):
    _, _, process = setup
    first, _ = process(builders.am_payload())
    second, _ = process(builders.am_payload())
    assert second.group_id == first.group_id and not second.group_created
    assert len(escalations.started) == 1


def test_resolve_payload_resolves_and_stops(setup, store, escalations):
    _, _, process = setup
    first, _ = process(builders.am_payload())
    resolved, _ = process(builders.am_payload("resolved"))
    assert resolved.resolved and resolved.group_id == first.group_id
    assert store.get_group(first.group_id).state == "resolved"
    assert escalations.stopped == [first.group_id]


def test_orphan_resolve_creates_resolved_group_without_escalation(setup, store, escalations):
    _, _, process = setup
    outcome, _ = process(builders.am_payload("resolved"))
    assert outcome.group_created and outcome.resolved
    assert escalations.started == []


def test_autoresolve_off_keeps_group_firing(setup, store):
    integration, _, process = setup
    store.integrations[integration.id] = integration.model_copy(update={"allow_source_based_resolving": False})
    first, _ = process(builders.am_payload())
    second, _ = process(builders.am_payload("resolved"))
    assert not second.resolved
    assert store.get_group(first.group_id).state == "firing"


def test_redelivery_is_harmless(setup, store, escalations, deps):
    integration, _, process = setup
    outcome, alert = process(builders.am_payload())
    message = IngestMessage(alert_id=alert.id, integration_id=integration.id)
    again = process_alert(message, deps=deps)
    assert again.group_id == outcome.group_id
    assert store.get_group(outcome.group_id).alerts_count == 1
    # starting again is safe: the execution name is the group id, so Step Functions dedupes it
    assert {name for name, _ in escalations.started} == {outcome.group_id}


def test_route_without_chain_never_escalates(store, clock, escalations, deps):
    integration, _ = builders.integration(store, clock)
    alert = builders.alert(store, clock, integration, builders.am_payload())
    outcome = process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps)
    group = store.get_group(outcome.group_id)
    assert group.escalation is None and group.escalation_finished
    assert escalations.started == []


def test_missing_alert_is_an_error_for_the_dlq(deps):
    with pytest.raises(AlertMissingError):
        process_alert(IngestMessage(alert_id="Anope", integration_id="C1"), deps=deps)


def test_events_for_created_and_added(setup, events):
    _, _, process = setup
    first, _ = process(builders.am_payload())
    process(builders.am_payload())
    assert [(e.type.value, e.group_id) for e in events.events] == [
        ("alert group created", first.group_id),
        ("alert added to group", first.group_id),
    ]


def test_acknowledge_signal_acknowledges_before_resolve(store, clock, deps, escalations):
    # given an integration whose acknowledge template matches "ack" payloads
    chain = builders.chain(store, clock, CHAIN)
    integration, _ = builders.integration(
        store,
        clock,
        kind="webhook",
        chain_id=chain.id,
        templates={"grouping_key": "{{ payload.id }}", "acknowledge_signal": "{{ payload.state == 'ack' }}"},
    )

    def process(payload):
        alert = builders.alert(store, clock, integration, payload)
        return process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps)

    first = process({"id": "1", "state": "alerting"})
    acked = process({"id": "1", "state": "ack"})
    group = store.get_group(first.group_id)
    assert acked.acknowledged and group.state == "acknowledged"
    assert group.acknowledged_by.kind == "source"
    assert escalations.stopped == [group.escalation.execution_name]
    # a resolve signal after the ack still resolves (ack never blocks resolve)
    resolved = process({"id": "1", "state": "OK"})
    assert resolved.resolved and store.get_group(first.group_id).state == "resolved"
