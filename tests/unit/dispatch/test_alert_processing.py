import pytest

from oncall.dispatch.pipeline import AlertMissingError, process_alert
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


def test_redelivery_republishes_the_same_event_and_registers_once(setup, store, events, deps):
    # given an alert that was grouped, but whose "registered" entry and event may have been lost in a crash
    integration, _, process = setup
    outcome, alert = process(builders.am_payload())
    store.timeline.clear()
    # when SQS delivers it again
    process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps)
    process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps)
    # then the timeline says "registered" once, and every delivery published the same event (consumers dedupe)
    assert [e.type for e in store.list_timeline(outcome.group_id)] == ["registered"]
    assert [(e.type.value, e.id) for e in events.events] == [("alert group created", f"EV{alert.id}")] * 3


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


# ---------------------------------------------------- docs/oncall-compatibility.md#grouping: rules, labels
def _processor(store, clock, deps, integration):
    def process(payload, **kw):
        alert = builders.alert(store, clock, integration, payload, **kw)
        return process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps)

    return process


def test_ack_and_resolve_in_one_alert_acknowledges_first(store, clock, deps, events):
    chain = builders.chain(store, clock, CHAIN)
    integration, _ = builders.integration(
        store,
        clock,
        kind="webhook",
        chain_id=chain.id,
        templates={
            "grouping_key": "{{ payload.id }}",
            "acknowledge_signal": "{{ payload.ack }}",
            "resolve_signal": "{{ payload.ok }}",
        },
    )
    process = _processor(store, clock, deps, integration)
    first = process({"id": "1"})
    both = process({"id": "1", "ack": "true", "ok": "true"})
    assert both.acknowledged and both.resolved
    assert [e.type for e in store.list_timeline(first.group_id)] == ["registered", "acknowledged", "resolved"]
    assert [e.type.value for e in events.events][-2:] == ["acknowledge", "resolve"]


def test_acknowledge_signal_unsilences_first(store, clock, deps):
    from oncall.groups import actions
    from oncall.models import Actor, ActorKind

    integration, _ = builders.integration(
        store,
        clock,
        kind="webhook",
        templates={"grouping_key": "{{ payload.id }}", "acknowledge_signal": "{{ payload.ack }}"},
    )
    process = _processor(store, clock, deps, integration)
    first = process({"id": "1"})
    actions.silence(first.group_id, Actor(kind=ActorKind.API, name="t"), deps, 3600)
    process({"id": "1", "ack": "1"})
    group = store.get_group(first.group_id)
    assert group.acknowledged and not group.silenced


def test_resolve_with_no_open_group_joins_the_latest_resolved_group(setup, store):
    _, _, process = setup
    first, _ = process(builders.am_payload())
    process(builders.am_payload("resolved"))
    late, _ = process(builders.am_payload("resolved"))
    assert late.group_id == first.group_id and not late.group_created and not late.resolved
    assert store.get_group(first.group_id).alerts_count == 3
    # while a firing alert after the resolve opens a new group
    refire, _ = process(builders.am_payload())
    assert refire.group_created and refire.group_id != first.group_id


def test_autoresolve_off_never_joins_resolved_groups_either(store, clock, deps):
    integration, _ = builders.integration(store, clock, allow_source_based_resolving=False)
    process = _processor(store, clock, deps, integration)
    orphan = process(builders.am_payload("resolved"))
    assert orphan.group_created and not orphan.resolved
    assert store.get_group(orphan.group_id).state == "firing"


def test_demo_and_ungroupable_alerts_never_group(store, clock, deps):
    integration, _ = builders.integration(store, clock, kind="webhook", templates={"grouping_key": "{{ payload.k }}"})
    process = _processor(store, clock, deps, integration)
    demo = [process({"k": "same"}, is_demo=True) for _ in range(2)]
    empty = [process({}) for _ in range(2)]
    assert all(o.group_created for o in demo + empty)
    assert len({o.group_id for o in demo + empty}) == 4


def test_labels_are_stored_on_the_group_at_creation_and_frozen(store, clock, deps):
    integration, _ = builders.integration(
        store,
        clock,
        labels={"team": "db"},
        dynamic_labels={"severity": "{{ payload.commonLabels.severity }}"},
    )
    process = _processor(store, clock, deps, integration)
    first = process(builders.am_payload())
    process(builders.am_payload(commonLabels={"alertname": "DiskFull", "severity": "warning"}))
    group = store.get_group(first.group_id)
    assert group.labels == {"severity": "critical", "team": "db"} and group.alerts_count == 2


def test_group_keeps_at_most_fifteen_labels(store, clock, deps):
    integration, _ = builders.integration(store, clock, kind="webhook", labels_template="{{ payload.labels | tojson }}")
    process = _processor(store, clock, deps, integration)
    outcome = process({"labels": {f"k{n:02d}": "v" for n in range(20)}})
    assert list(store.get_group(outcome.group_id).labels) == [f"k{n:02d}" for n in range(15)]


def test_labels_route_and_label_aware_templates(store, clock, deps):
    # given a labels route for team=db and grouping/resolve templates that read labels
    integration, default = builders.integration(
        store,
        clock,
        kind="webhook",
        dynamic_labels={"team": "{{ payload.team }}", "state": "{{ payload.state }}"},
        templates={"grouping_key": "{{ labels.team }}", "resolve_signal": "{{ labels.state == 'ok' }}"},
    )
    db = builders.route(store, clock, integration.id, None, routing_type="labels", routing_labels={"team": "db"})
    process = _processor(store, clock, deps, integration)
    firing = process({"team": "db", "state": "alerting"})
    other = process({"team": "web"})
    resolved = process({"team": "db", "state": "ok"})
    assert store.get_group(firing.group_id).route_id == db.id
    assert store.get_group(other.group_id).route_id == default.id
    assert resolved.group_id == firing.group_id and resolved.resolved


def test_route_scope_keeps_differently_routed_resolve_apart_as_oncall_does(store, clock, deps):
    integration, _ = builders.integration(store, clock)
    builders.route(store, clock, integration.id, '"status": "firing"')
    process = _processor(store, clock, deps, integration)
    firing = process(builders.am_payload())
    resolve = process(builders.am_payload("resolved"))
    assert resolve.group_id != firing.group_id
    assert store.get_group(firing.group_id).state == "firing"  # OnCall #4421: stuck


def test_integration_scope_lets_a_differently_routed_resolve_meet_its_group(store, clock, deps):
    integration, _ = builders.integration(store, clock, grouping_scope="integration")
    firing_route = builders.route(store, clock, integration.id, '"status": "firing"')
    process = _processor(store, clock, deps, integration)
    firing = process(builders.am_payload())
    resolve = process(builders.am_payload("resolved"))
    group = store.get_group(firing.group_id)
    assert resolve.group_id == firing.group_id and resolve.resolved
    assert group.state == "resolved" and group.route_id == firing_route.id  # keeps its first alert's route
