"""One contract, two implementations: the in-memory fake used by unit tests must behave like DynamoStore."""

import pytest

from oncall import wiring
from oncall.models import AlertGroup, DeploymentSettings, EscalationSnapshot, ResolvedBy, TimelineEntry
from oncall.store import (
    AlertAlreadyGroupedError,
    GroupChangedError,
    GroupClosedError,
    GroupKeyTakenError,
    RotationChangedError,
    RotationState,
)
from tests import builders
from tests.fakes import FixedClock, InMemoryStore


@pytest.fixture(params=["memory", "dynamodb"])
def any_store(request):
    if request.param == "memory":
        return InMemoryStore()
    request.getfixturevalue("aws")
    return wiring.store()


def _group(integration, route, alert, key, clock, group_id="IGROUP1"):
    return AlertGroup(
        id=group_id,
        number=1,
        integration_id=integration.id,
        route_id=route.id,
        grouping_key=key,
        title="t",
        started_at=clock.now(),
        first_alert_id=alert.id,
        last_alert_id=alert.id,
    )


def test_config_round_trip(any_store):
    clock = FixedClock()
    chain = builders.chain(any_store, clock, [{"type": "wait", "duration": 120}], name="c")
    integration, route = builders.integration(
        any_store, clock, chain_id=chain.id, templates={"web": {"title": "{{ payload.t }}"}}
    )
    assert any_store.find_integration_by_token(integration.token) == integration
    assert any_store.get_integration(integration.id) == integration
    assert any_store.get_route(route.id) == route
    assert [s.duration for s in any_store.list_steps()] == [120]
    assert any_store.find_integration_by_token("unknown") is None


def test_payload_survives_storage_exactly(any_store):
    clock = FixedClock()
    integration, _ = builders.integration(any_store, clock)
    payload = {"f": 1.5, "i": 10**20, "n": None, "deep": [[[{"e": ""}]]], "u": "é✓", "b": False}
    alert = builders.alert(any_store, clock, integration, payload)
    assert any_store.get_alert(alert.id).payload == payload


def test_one_open_group_per_key(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1 = builders.alert(any_store, clock, integration, {"n": 1})
    a2 = builders.alert(any_store, clock, integration, {"n": 2})
    any_store.create_group(_group(integration, route, a1, "K", clock), a1)
    with pytest.raises(GroupKeyTakenError):
        any_store.create_group(_group(integration, route, a2, "K", clock, "IGROUP2"), a2)
    assert any_store.get_group("IGROUP2") is None
    assert any_store.get_alert(a2.id).group_id is None
    assert any_store.get_group_key("K").open_group_id == "IGROUP1"


def test_alert_cannot_be_grouped_twice(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1 = builders.alert(any_store, clock, integration, {"n": 1})
    group = _group(integration, route, a1, "K", clock)
    any_store.create_group(group, a1)
    with pytest.raises(AlertAlreadyGroupedError):
        any_store.add_alert_to_group(group, a1, must_be_open=True)
    assert any_store.get_group(group.id).alerts_count == 1


def test_resolve_closes_the_key_once(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1 = builders.alert(any_store, clock, integration, {"n": 1})
    clock.advance(seconds=1)
    a2 = builders.alert(any_store, clock, integration, {"n": 2})
    group = _group(integration, route, a1, "K", clock)
    any_store.create_group(group, a1)
    resolved = any_store.update_group(
        group, {"resolved": True, "resolved_by": ResolvedBy.SOURCE}, close_grouping_key=True
    )
    assert resolved.resolved and resolved.version == 1
    with pytest.raises(GroupChangedError):  # a stale copy cannot overwrite the newer state
        any_store.update_group(group, {"resolved": False})
    assert any_store.get_group_key("K").open_group_id is None
    assert any_store.get_group_key("K").last_resolved_group_id == group.id
    with pytest.raises(GroupClosedError):
        any_store.add_alert_to_group(group, a2, must_be_open=True)
    any_store.add_alert_to_group(group, a2, must_be_open=False)
    stored = any_store.get_group(group.id)
    assert stored.alerts_count == 2 and stored.state == "resolved"
    assert [a.id for a in any_store.list_alerts(group.id)] == [a1.id, a2.id]


def test_deliveries_are_claimed_once(any_store):
    clock = FixedClock()
    assert any_store.claim_delivery("I1", "x#0", clock.now())
    assert not any_store.claim_delivery("I1", "x#0", clock.now())
    any_store.release_delivery("I1", "x#0")
    assert any_store.claim_delivery("I1", "x#0", clock.now())


def test_group_numbers_increase(any_store):
    assert [any_store.next_group_number() for _ in range(3)] == [1, 2, 3]


def test_due_heartbeats(any_store):
    clock = FixedClock()
    any_store.record_heartbeat_ping("C1", clock.now(), clock.now().replace(minute=10))
    assert any_store.list_due_heartbeats(clock.now()) == []
    clock.advance(minutes=11)
    assert [h.integration_id for h in any_store.list_due_heartbeats(clock.now())] == ["C1"]


def test_update_group_keeps_concurrent_alert_appends(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1 = builders.alert(any_store, clock, integration, {"n": 1})
    a2 = builders.alert(any_store, clock, integration, {"n": 2})
    group = _group(integration, route, a1, "K", clock)
    any_store.create_group(group, a1)
    any_store.add_alert_to_group(group, a2, must_be_open=True)  # does not change the version
    any_store.update_group(group, {"acknowledged": True, "silenced_until": None})
    stored = any_store.get_group(group.id)
    assert (stored.alerts_count, stored.acknowledged, stored.version) == (2, True, 1)


def test_finish_escalation_only_for_the_current_execution(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1 = builders.alert(any_store, clock, integration, {"n": 1})
    snapshot = EscalationSnapshot(execution_name="I1-2", chain_id="F1", steps=[], started_at=clock.now())
    group = _group(integration, route, a1, "K", clock).model_copy(update={"escalation": snapshot})
    any_store.create_group(group, a1)
    any_store.finish_escalation(group.id, "I1-1")
    assert not any_store.get_group(group.id).escalation_finished
    any_store.finish_escalation(group.id, "I1-2")
    assert any_store.get_group(group.id).escalation_finished


def test_wipe_and_delete(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1 = builders.alert(any_store, clock, integration, {"secret": "x"})
    group = _group(integration, route, a1, "K", clock)
    any_store.create_group(group, a1)
    any_store.add_timeline(TimelineEntry(group_id=group.id, at=clock.now(), type="t", text="t"))
    any_store.wipe_alerts(group.id, "Wiped")
    assert any_store.get_alert(a1.id).payload == {"message": "Wiped"}
    any_store.delete_group(group.id)
    assert any_store.get_group(group.id) is None and any_store.get_alert(a1.id) is None
    assert any_store.list_timeline(group.id) == []


def test_deployment_settings_round_trip(any_store):
    assert any_store.get_deployment_settings() == DeploymentSettings()
    saved = DeploymentSettings(acknowledge_remind_timeout=60, unacknowledge_timeout=15)
    any_store.put_deployment_settings(saved)
    assert any_store.get_deployment_settings() == saved


def test_steps_can_be_deleted(any_store):
    clock = FixedClock()
    builders.chain(any_store, clock, [{"type": "wait", "duration": 120}, {"type": "resolve"}], name="c")
    wait = next(s for s in any_store.list_steps() if s.type == "wait")
    any_store.delete_step(wait.id)
    assert [s.type for s in any_store.list_steps()] == ["resolve"] and any_store.get_step(wait.id) is None


def test_rotation_moves_only_from_the_state_it_was_read_in(any_store):
    assert any_store.get_rotation("E1") == RotationState()
    any_store.record_rotation_pick("E1", RotationState(), "UALICE", "I1", "x#0#0")
    assert any_store.get_rotation("E1") == RotationState(last_user_id="UALICE", version=1)
    assert any_store.get_rotation_pick("I1", "x#0#0") == "UALICE"
    with pytest.raises(RotationChangedError):  # moved since (a stale read): nothing written
        any_store.record_rotation_pick("E1", RotationState(), "UBOB", "I2", "y#0#0")
    with pytest.raises(RotationChangedError):  # this pick exists already
        any_store.record_rotation_pick("E1", any_store.get_rotation("E1"), "UBOB", "I1", "x#0#0")
    assert any_store.get_rotation_pick("I2", "y#0#0") is None
    any_store.record_rotation_pick("E1", any_store.get_rotation("E1"), "UBOB", "I2", "y#0#0")
    assert any_store.get_rotation("E1") == RotationState(last_user_id="UBOB", version=2)


def test_alert_ids_since(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1 = builders.alert(any_store, clock, integration, {"n": 1})
    group = _group(integration, route, a1, "K", clock)
    any_store.create_group(group, a1)
    clock.advance(minutes=5)
    a2 = builders.alert(any_store, clock, integration, {"n": 2})
    any_store.add_alert_to_group(group, a2, must_be_open=True)
    assert sorted(any_store.alert_ids_since(group.id, a1.received_at)) == sorted([a1.id, a2.id])
    assert any_store.alert_ids_since(group.id, a2.received_at) == [a2.id]
    assert any_store.alert_ids_since("INOPE", a1.received_at) == []


def test_rotation_picks_go_with_the_group(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1 = builders.alert(any_store, clock, integration, {"n": 1})
    group = _group(integration, route, a1, "K", clock)
    any_store.create_group(group, a1)
    any_store.record_rotation_pick("E1", RotationState(), "UALICE", group.id, "k")
    any_store.delete_group(group.id)
    assert any_store.get_rotation_pick(group.id, "k") is None
