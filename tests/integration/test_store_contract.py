"""One contract, two implementations: the in-memory fake used by unit tests must behave like DynamoStore."""

from datetime import datetime, timedelta

import pytest

from oncall import wiring
from oncall.models import (
    AlertGroup,
    DeploymentSettings,
    EscalationPause,
    EscalationSnapshot,
    Heartbeat,
    HeartbeatSignal,
    HeartbeatSignalWrite,
    Maintenance,
    MaintenanceMode,
    MaintenanceWindow,
    NotificationRuleStep,
    OnCallShift,
    PendingHeartbeatAlert,
    ResolutionNote,
    ResolvedBy,
    RotationLayer,
    Schedule,
    ScheduleOverride,
    ShiftSwap,
    Team,
    TimelineEntry,
    User,
)
from oncall.storage.protocols import (
    AlertAlreadyGroupedError,
    GroupChangedError,
    GroupClosedError,
    GroupKeyTakenError,
    IntegrationTokenTakenError,
    ItemChangedError,
    MissingReferenceError,
    ReferencedSinceError,
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


def _ping(clock, kind=HeartbeatSignal.PING, seconds=600):
    due = clock.now() + timedelta(seconds=seconds)
    return HeartbeatSignalWrite(kind=kind, at=clock.now(), down_at=due, expected_at=due)


def _user(user_id, username, **fields):
    return User(id=user_id, username=username, created_at=FixedClock().now(), **fields)


def _rotation(*users):
    return Schedule(
        id="SROTA",
        name="rota",
        layers=[RotationLayer(users=list(users), start=datetime(2026, 1, 5, 9))],
        created_at=FixedClock().now(),
    )


def _webhook(name="hook", webhook_id="WH1", clock=None):
    from oncall.models import Webhook

    return Webhook(id=webhook_id, name=name, url="https://example.com/h", created_at=(clock or FixedClock()).now())


# ---------------------------------------------- configuration: integrations, routes, chains, steps, settings
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


def test_put_integration_updates_and_refuses_a_deleted_one(any_store):
    from oncall.models import RateLimit
    from oncall.storage.protocols import StoreConflictError

    clock = FixedClock()
    integration, _ = builders.integration(any_store, clock, description_short="x", labels={"a": "b"})
    changed = integration.model_copy(
        update={"description_short": None, "labels": {}, "rate_limit": RateLimit(alerts=5, per_seconds=60)}
    )
    any_store.put_integration(changed)
    assert any_store.get_integration(integration.id) == changed
    assert any_store.find_integration_by_token(integration.token) == changed
    any_store.delete_integration(integration.id)
    with pytest.raises(StoreConflictError):
        any_store.put_integration(changed)
    assert any_store.get_integration(integration.id) is None


def test_suspend_templates_sets_and_clears_only_that_field_and_ignores_a_deleted_integration(any_store):
    clock = FixedClock()
    integration, _ = builders.integration(any_store, clock, description_short="x")
    until = clock.now() + timedelta(minutes=15)
    any_store.suspend_templates(integration.id, until)
    assert any_store.get_integration(integration.id) == integration.model_copy(
        update={"templates_suspended_until": until}
    )
    any_store.suspend_templates(integration.id, None)
    assert any_store.get_integration(integration.id) == integration
    any_store.delete_integration(integration.id)
    any_store.suspend_templates(integration.id, until)  # nothing happens, nothing is created
    assert any_store.get_integration(integration.id) is None


def test_delete_integration_takes_token_routes_and_heartbeat_only(any_store):
    clock = FixedClock()
    integration, default = builders.integration(any_store, clock)
    extra = builders.route(any_store, clock, integration.id, "x")
    other, other_route = builders.integration(any_store, clock, name="other")
    for owner in (integration, other):
        any_store.put_heartbeat(
            Heartbeat(integration_id=owner.id, enabled=True, check_at=clock.now()), expected_version=None
        )
    any_store.delete_integration(integration.id)
    assert any_store.find_integration_by_token(integration.token) is None
    assert {r.id for r in any_store.list_routes()} == {other_route.id}
    assert [h.integration_id for h in any_store.list_due_heartbeats(clock.now())] == [other.id]
    assert [i.id for i in any_store.list_integrations()] == [other.id]
    assert default.id != extra.id


def test_an_integration_token_is_never_given_twice(any_store):
    # given an integration
    clock = FixedClock()
    first, _ = builders.integration(any_store, clock)
    second, second_route = builders.integration(any_store, clock, name="second")
    any_store.delete_integration(second.id)
    # when another is created with the same token
    clash = second.model_copy(update={"token": first.token})
    with pytest.raises(IntegrationTokenTakenError):
        any_store.create_integration(clash, second_route)
    # then nothing of it was written and the token still leads to the first
    assert any_store.get_integration(clash.id) is None
    assert second_route.id not in {r.id for r in any_store.list_routes()}
    assert any_store.find_integration_by_token(first.token).id == first.id
    # and a deleted integration's token can be given again
    again, _ = builders.integration(any_store, clock, name="third")
    reused = again.model_copy(update={"id": "CREUSED", "token": second.token, "name": "reused"})
    any_store.create_integration(reused, second_route.model_copy(update={"integration_id": "CREUSED"}))
    assert any_store.find_integration_by_token(second.token).id == "CREUSED"


def test_write_routes_puts_and_deletes_together(any_store):
    clock = FixedClock()
    integration, default = builders.integration(any_store, clock)
    a = builders.route(any_store, clock, integration.id, "a")
    b = builders.route(any_store, clock, integration.id, "b")
    any_store.write_routes([b.model_copy(update={"position": 0})], delete_ids=(a.id,))
    assert {r.id: r.position for r in any_store.list_routes()} == {default.id: 0, b.id: 0}
    any_store.write_routes([])


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


def test_deleting_a_chain_deletes_its_steps_and_unlinks_its_routes(any_store):
    clock = FixedClock()
    doomed = builders.chain(any_store, clock, [{"type": "wait", "duration": 120}, {"type": "resolve"}], name="doomed")
    kept = builders.chain(any_store, clock, [{"type": "wait", "duration": 60}], name="kept")
    integration, default_route = builders.integration(any_store, clock, chain_id=doomed.id)
    other = builders.route(any_store, clock, integration.id, "db", escalation_chain_id=kept.id)

    any_store.delete_chain(doomed.id)

    assert any_store.get_chain(doomed.id) is None
    assert [c.id for c in any_store.list_chains()] == [kept.id]
    assert [s.escalation_chain_id for s in any_store.list_steps()] == [kept.id]
    assert any_store.get_route(default_route.id).escalation_chain_id is None
    assert any_store.get_route(other.id).escalation_chain_id == kept.id


# -------------------------------------------------------------- people: users, teams, references, API tokens
def test_people_round_trip(any_store):
    clock = FixedClock()
    any_store.put_team(Team(id="TOPS", name="ops", created_at=clock.now()))
    user = _user(
        "UALICE",
        "alice",
        team_ids=["TOPS"],
        contacts={"sms": "sns-sms://+15551234567"},
        default_rules=[
            NotificationRuleStep(type="notify", contact="sms"),
            NotificationRuleStep(type="wait", duration=300),
        ],
    )
    any_store.save_user(user)
    any_store.put_user(_user("UBOB", "bob"))
    schedule = _rotation("UALICE", "UBOB").model_copy(
        update={
            "team_id": "TOPS",
            "overrides": [ScheduleOverride(user_id="UBOB", start=clock.now(), end=clock.now().replace(hour=13))],
        }
    )
    any_store.save_schedule(schedule)
    assert any_store.get_user("UALICE") == user
    assert any_store.get_schedule("SROTA") == schedule
    assert [u.username for u in any_store.list_users()] == ["alice", "bob"]
    assert [t.id for t in any_store.list_teams()] == ["TOPS"]
    any_store.delete_schedule("SROTA")
    assert any_store.list_schedules() == []


def test_saves_refuse_missing_references_and_write_nothing(any_store):
    any_store.put_user(_user("UALICE", "alice"))
    with pytest.raises(MissingReferenceError) as missing:
        any_store.save_schedule(_rotation("UALICE", "UGONE"))
    assert missing.value.ids == ["UGONE"]
    assert any_store.get_schedule("SROTA") is None
    with pytest.raises(MissingReferenceError) as missing_team:
        any_store.save_user(_user("UBOB", "bob", team_ids=["TGONE"]))
    assert missing_team.value.ids == ["TGONE"] and any_store.get_user("UBOB") is None


@pytest.mark.parametrize("impossible", ["", "x" * 3000, "é" * 1000])
def test_ids_no_item_can_have_are_not_found(any_store, impossible):
    # user input ends up in keys: ids DynamoDB could not even look up are simply not there
    assert any_store.get_integration(impossible) is None
    assert any_store.get_group(impossible) is None and any_store.get_user(impossible) is None
    with pytest.raises(MissingReferenceError) as missing:
        any_store.save_user(_user("UBOB", "bob", team_ids=[impossible]))
    assert missing.value.ids == [impossible] and any_store.get_user("UBOB") is None


def test_delete_fails_when_a_reference_appeared_after_the_check(any_store):
    any_store.put_user(_user("UALICE", "alice"))
    epoch = any_store.reference_epoch("UALICE")
    # a schedule starts naming alice between the reference check and the delete
    any_store.save_schedule(_rotation("UALICE"))
    assert any_store.reference_epoch("UALICE") > epoch
    with pytest.raises(ReferencedSinceError):
        any_store.delete_user_unreferenced("UALICE", epoch)
    assert any_store.get_user("UALICE") is not None
    # removed from the schedule, the user can go (with the current epoch)
    any_store.delete_schedule("SROTA")
    any_store.delete_user_unreferenced("UALICE", any_store.reference_epoch("UALICE"))
    assert any_store.get_user("UALICE") is None


def test_team_delete_is_guarded_the_same_way(any_store):
    clock = FixedClock()
    any_store.put_team(Team(id="TOPS", name="ops", created_at=clock.now()))
    epoch = any_store.reference_epoch("TOPS")
    any_store.save_user(_user("UALICE", "alice", team_ids=["TOPS"]))
    with pytest.raises(ReferencedSinceError):
        any_store.delete_team_unreferenced("TOPS", epoch)
    any_store.delete_team_unreferenced("TOPS", any_store.reference_epoch("TOPS"))
    assert any_store.get_team("TOPS") is None


def test_api_tokens_are_listed_and_revoked_by_id(any_store):
    from oncall.models import ApiToken, ApiTokenRole
    from oncall.platform import ids

    clock = FixedClock()
    first, second = ids.api_token(), ids.api_token()
    for token_id, value, at in (("KONE", first, clock.now()), ("KTWO", second, clock.now() + timedelta(seconds=1))):
        any_store.put_api_token(
            ApiToken(
                id=token_id, name=token_id, role=ApiTokenRole.EDITOR, digest=ids.token_digest(value), created_at=at
            )
        )
    assert [t.id for t in any_store.list_api_tokens()] == ["KONE", "KTWO"]

    revoked = any_store.delete_api_token("KONE")

    assert revoked is not None and revoked.digest == ids.token_digest(first)
    assert any_store.get_api_token(ids.token_digest(first)) is None
    assert any_store.get_api_token(ids.token_digest(second)).id == "KTWO"
    assert [t.id for t in any_store.list_api_tokens()] == ["KTWO"]
    assert any_store.delete_api_token("KONE") is None


# -------------------------------------------------------------------- schedules: on-call shifts, shift swaps
def test_on_call_shifts_round_trip_oldest_first_and_never_with_their_schedule(any_store):
    clock = FixedClock()
    first = OnCallShift(
        id="OFIRST",
        name="weekly",
        type="rolling_users",
        start=datetime(2026, 3, 2, 9),
        duration=604800,
        frequency="weekly",
        by_day=["MO", "TU"],
        rolling_users=[["U1"], ["U2", "U3"]],
        schedule_id="S1",
        created_at=clock.now(),
    )
    clock.advance(minutes=1)
    second = OnCallShift(
        id="OA",
        name="once",
        type="override",
        start=datetime(2026, 3, 2, 9),
        duration=60,
        users=["U1"],
        created_at=clock.now(),
    )
    any_store.put_on_call_shift(second)
    any_store.put_on_call_shift(first)
    assert [s.id for s in any_store.list_on_call_shifts()] == ["OFIRST", "OA"]
    assert any_store.get_on_call_shift("OFIRST") == first
    any_store.delete_on_call_shift("OFIRST")
    any_store.delete_on_call_shift("OFIRST")
    assert any_store.get_on_call_shift("OFIRST") is None
    assert any_store.get_on_call_shift("x" * 5000) is None
    # a schedule read back never carries shifts (they are attached when who is on call is computed)
    schedule = Schedule(id="S1", name="s", created_at=clock.now(), shift_ids=["OA"], on_call_shifts=[second])
    any_store.save_schedule(schedule)
    stored = any_store.get_schedule("S1")
    assert stored.shift_ids == ["OA"] and stored.on_call_shifts == []


def test_shift_swaps_round_trip_oldest_first(any_store):
    clock = FixedClock()
    first = ShiftSwap(
        id="SSRFIRST",
        schedule_id="S1",
        swap_start=clock.now(),
        swap_end=clock.now() + timedelta(hours=8),
        beneficiary="U1",
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    clock.advance(minutes=1)
    second = first.model_copy(update={"id": "SSRA", "created_at": clock.now(), "description": "dentist"})
    any_store.put_shift_swap(second)
    any_store.put_shift_swap(first)
    assert [s.id for s in any_store.list_shift_swaps()] == ["SSRFIRST", "SSRA"]
    taken = second.model_copy(update={"benefactor": "U2"})
    any_store.put_shift_swap(taken)
    assert any_store.get_shift_swap("SSRA") == taken
    any_store.delete_shift_swap("SSRA")
    any_store.delete_shift_swap("SSRA")
    assert any_store.get_shift_swap("SSRA") is None
    assert any_store.get_shift_swap("x" * 5000) is None


# ----------------------------------------------------------------------------------------------- round robin
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


def test_rotation_picks_go_with_the_group(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1 = builders.alert(any_store, clock, integration, {"n": 1})
    group = _group(integration, route, a1, "K", clock)
    any_store.create_group(group, a1)
    any_store.record_rotation_pick("E1", RotationState(), "UALICE", group.id, "k")
    any_store.delete_group(group.id)
    assert any_store.get_rotation_pick(group.id, "k") is None


# ------------ alerts and groups: grouping keys, joins (the hot path), timeline, deliveries, resolution notes
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
        any_store.add_alert_to_group(group.id, a1, must_be_open=True)
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
        any_store.add_alert_to_group(group.id, a2, must_be_open=True)
    any_store.add_alert_to_group(group.id, a2, must_be_open=False)
    stored = any_store.get_group(group.id)
    assert stored.alerts_count == 2 and stored.state == "resolved"
    assert [a.id for a in any_store.list_alerts(group.id)] == [a1.id, a2.id]


def test_deliveries_are_claimed_once(any_store):
    clock = FixedClock()
    assert any_store.claim_delivery("I1", "x#0", clock.now())
    assert not any_store.claim_delivery("I1", "x#0", clock.now())
    any_store.release_delivery("I1", "x#0")
    assert any_store.claim_delivery("I1", "x#0", clock.now())


def test_a_delivery_claimed_on_a_group_version_fails_once_the_group_changed(any_store):
    """Given a group read at version 0, when it is acknowledged (version 1) before the claim, then the claim
    on version 0 fails with GroupChangedError and claims nothing; a claim on the current version succeeds
    once (issue 12 item 5)."""
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1 = builders.alert(any_store, clock, integration, {"n": 1})
    group = _group(integration, route, a1, "K", clock)
    any_store.create_group(group, a1)
    acked = any_store.update_group(group, {"acknowledged": True})
    with pytest.raises(GroupChangedError):
        any_store.claim_delivery(group.id, "x#0", clock.now(), group_version=group.version)
    assert any_store.claim_delivery(group.id, "x#0", clock.now(), group_version=acked.version)
    assert not any_store.claim_delivery(group.id, "x#0", clock.now(), group_version=acked.version)
    with pytest.raises(GroupChangedError):  # no such group: nothing to page about
        any_store.claim_delivery("INOPE", "x#0", clock.now(), group_version=0)


def test_group_numbers_increase(any_store):
    assert [any_store.next_group_number() for _ in range(3)] == [1, 2, 3]


def test_update_group_keeps_concurrent_alert_appends(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1 = builders.alert(any_store, clock, integration, {"n": 1})
    a2 = builders.alert(any_store, clock, integration, {"n": 2})
    group = _group(integration, route, a1, "K", clock)
    any_store.create_group(group, a1)
    any_store.add_alert_to_group(group.id, a2, must_be_open=True)  # does not change the version
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


def test_resolution_notes_round_trip_listed_oldest_first_per_group(any_store):
    clock = FixedClock()
    first = ResolutionNote(id="MFIRST", alert_group_id="IGROUP1", text="restarted", created_at=clock.now())
    clock.advance(minutes=1)
    second = ResolutionNote(id="MA", alert_group_id="IGROUP1", text="root cause", author="U1", created_at=clock.now())
    other = ResolutionNote(id="MOTHER", alert_group_id="IGROUP2", text="x", created_at=clock.now())
    for note in (second, other, first):
        any_store.put_resolution_note(note)
    assert [n.id for n in any_store.list_resolution_notes("IGROUP1")] == ["MFIRST", "MA"]
    assert {n.id for n in any_store.list_resolution_notes()} == {"MFIRST", "MA", "MOTHER"}
    assert any_store.get_resolution_note("MA") == second
    any_store.put_resolution_note(second.model_copy(update={"text": "the real root cause"}))
    assert any_store.get_resolution_note("MA").text == "the real root cause"
    any_store.delete_resolution_note("MA")
    any_store.delete_resolution_note("MA")  # deleting twice is no error
    assert any_store.get_resolution_note("MA") is None
    assert [n.id for n in any_store.list_resolution_notes("IGROUP1")] == ["MFIRST"]
    assert any_store.get_resolution_note("x" * 5000) is None


def test_alert_ids_since(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1 = builders.alert(any_store, clock, integration, {"n": 1})
    group = _group(integration, route, a1, "K", clock)
    any_store.create_group(group, a1)
    clock.advance(minutes=5)
    a2 = builders.alert(any_store, clock, integration, {"n": 2})
    any_store.add_alert_to_group(group.id, a2, must_be_open=True)
    assert sorted(any_store.alert_ids_since(group.id, a1.received_at)) == sorted([a1.id, a2.id])
    assert any_store.alert_ids_since(group.id, a2.received_at) == [a2.id]
    assert any_store.alert_ids_since("INOPE", a1.received_at) == []


def test_alerts_are_read_in_batches(any_store):
    clock = FixedClock()
    integration, _ = builders.integration(any_store, clock)
    stored = [builders.alert(any_store, clock, integration, {"n": n}) for n in range(120)]

    found = any_store.get_alerts([a.id for a in stored] + ["ANOPE", stored[0].id])

    assert len(found) == 120 and found[stored[7].id].payload == {"n": 7}


def test_get_alerts_reads_a_batch_with_their_groups(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1 = builders.alert(any_store, clock, integration, {"n": 1})
    a2 = builders.alert(any_store, clock, integration, {"n": 2})
    any_store.create_group(_group(integration, route, a1, "K", clock), a1)
    found = any_store.get_alerts([a1.id, a2.id, "ANOPE"])
    assert set(found) == {a1.id, a2.id}
    assert found[a1.id].group_id == "IGROUP1" and found[a2.id].group_id is None
    assert found[a2.id].payload == {"n": 2}


def test_get_alerts_reads_settled_alerts_the_same_without_consistency(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1 = builders.alert(any_store, clock, integration, {"n": 1})
    a2 = builders.alert(any_store, clock, integration, {"n": 2})
    any_store.create_group(_group(integration, route, a1, "K", clock), a1)
    ids = [a1.id, a2.id, "ANOPE", a1.id, "nope!"]
    assert any_store.get_alerts(ids, consistent=False) == any_store.get_alerts(ids)
    assert any_store.get_alerts(ids, consistent=False)[a1.id].group_id == "IGROUP1"


def test_joining_tells_whether_the_escalation_is_paused(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1, a2, a3 = (builders.alert(any_store, clock, integration, {"n": n}) for n in range(3))
    group = _group(integration, route, a1, "K", clock)
    any_store.create_group(group, a1)
    assert not any_store.add_alert_to_group(group.id, a2, must_be_open=True).paused
    pause = EscalationPause(step=1, at=clock.now())
    paused = any_store.update_group(any_store.get_group(group.id), {"escalation_pause": pause})
    assert any_store.add_alert_to_group(group.id, a3, must_be_open=True).paused
    any_store.update_group(paused, {"escalation_pause": None})
    a4 = builders.alert(any_store, clock, integration, {"n": 4})
    assert not any_store.add_alert_to_group(group.id, a4, must_be_open=True).paused
    stored = any_store.get_group(group.id)
    assert (stored.alerts_count, stored.last_alert_id) == (4, a4.id)


def test_a_redelivered_alert_leaves_the_count_and_last_alert_as_they_were(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1, a2, a3 = (builders.alert(any_store, clock, integration, {"n": n}) for n in range(3))
    group = _group(integration, route, a1, "K", clock)
    any_store.create_group(group, a1)
    any_store.add_alert_to_group(group.id, a2, must_be_open=True)
    any_store.add_alert_to_group(group.id, a3, must_be_open=True)
    with pytest.raises(AlertAlreadyGroupedError):  # a2 again, after a3
        any_store.add_alert_to_group(group.id, a2, must_be_open=True)
    stored = any_store.get_group(group.id)
    assert (stored.alerts_count, stored.last_alert_id) == (3, a3.id)
    assert sorted(a.id for a in any_store.list_alerts(group.id)) == sorted([a1.id, a2.id, a3.id])


def test_an_alert_cannot_join_a_missing_or_closed_group(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1, a2 = (builders.alert(any_store, clock, integration, {"n": n}) for n in range(2))
    with pytest.raises(GroupClosedError):
        any_store.add_alert_to_group("INOPE", a1, must_be_open=True)
    ungrouped = _group(integration, route, a1, None, clock)  # no grouping key: never open for joins
    any_store.create_group(ungrouped, a1)
    with pytest.raises(GroupClosedError):
        any_store.add_alert_to_group(ungrouped.id, a2, must_be_open=True)
    assert any_store.get_alert(a2.id).group_id is None
    assert any_store.get_group(ungrouped.id).alerts_count == 1


def test_deleting_a_group_deletes_its_alerts_and_their_membership(any_store):
    clock = FixedClock()
    integration, route = builders.integration(any_store, clock)
    a1, a2 = (builders.alert(any_store, clock, integration, {"n": n}) for n in range(2))
    group = _group(integration, route, a1, "K", clock)
    any_store.create_group(group, a1)
    any_store.add_alert_to_group(group.id, a2, must_be_open=True)
    any_store.delete_group(group.id)
    assert any_store.get_alerts([a1.id, a2.id]) == {}
    assert any_store.list_alerts(group.id) == [] and any_store.alert_ids_since(group.id, a1.received_at) == []


# ----------------------------------------------------------------------------------------- outgoing webhooks
def test_webhook_names_are_unique_and_renames_release_the_old_name(any_store):
    from oncall.storage.protocols import WebhookNameTakenError

    any_store.put_webhook(_webhook("alpha", "WH1"))
    with pytest.raises(WebhookNameTakenError):
        any_store.put_webhook(_webhook("alpha", "WH2"))
    assert [w.id for w in any_store.list_webhooks()] == ["WH1"]
    # the same webhook may be written again under its own name, and renamed
    any_store.put_webhook(_webhook("alpha", "WH1").model_copy(update={"url": "https://example.com/2"}))
    any_store.put_webhook(_webhook("beta", "WH1"), previous_name="alpha")
    any_store.put_webhook(_webhook("alpha", "WH2"))
    assert sorted(w.name for w in any_store.list_webhooks()) == ["alpha", "beta"]
    any_store.delete_webhook("WH1")
    assert any_store.get_webhook("WH1") is None
    any_store.put_webhook(_webhook("beta", "WH3"))
    assert any_store.get_webhook("WH3").name == "beta"


def test_webhook_attempts_are_claimed_once_and_in_order(any_store):
    now = FixedClock().now()
    assert any_store.claim_webhook_attempt("WH1", "EV1", 1, now)
    assert not any_store.claim_webhook_attempt("WH1", "EV1", 1, now)  # a redelivered message
    assert not any_store.claim_webhook_attempt("WH1", "EV1", 3, now)  # out of order
    any_store.settle_webhook_attempt("WH1", "EV1", 1, "retrying")
    assert any_store.claim_webhook_attempt("WH1", "EV1", 2, now)
    assert not any_store.claim_webhook_attempt("WH1", "EV1", 2, now)
    any_store.settle_webhook_attempt("WH1", "EV1", 1, "failed")  # stale: attempt 2 exists, ignored
    any_store.settle_webhook_attempt("WH1", "EV1", 2, "delivered")
    assert not any_store.claim_webhook_attempt("WH1", "EV1", 3, now)  # delivered is final
    assert any_store.claim_webhook_attempt("WH1", "EV2", 1, now)  # another event
    assert any_store.claim_webhook_attempt("WH2", "EV1", 1, now)  # another webhook


def test_webhook_responses_newest_first_and_latest_per_group(any_store):
    from datetime import timedelta

    from oncall.models import WebhookResponse
    from oncall.platform import ids

    clock = FixedClock()
    responses = []
    for n in range(3):
        at = clock.now() + timedelta(seconds=n)
        responses.append(
            WebhookResponse(
                id=ids.sortable_id(ids.PREFIX_WEBHOOK_RESPONSE, at),
                webhook_id="WH1",
                event_id="EV1",
                group_id="IG1",
                trigger="resolve",
                attempt=n + 1,
                at=at,
                method="POST",
                request_headers={"Authorization": "****************"},
                status_code=500 if n < 2 else 200,
                content=f"body {n}",
                outcome="retrying" if n < 2 else "delivered",
            )
        )
    for response in (responses[1], responses[0], responses[2]):
        any_store.add_webhook_response(response)
    assert [r.attempt for r in any_store.list_webhook_responses("WH1")] == [3, 2, 1]
    assert [r.attempt for r in any_store.list_webhook_responses("WH1", limit=2)] == [3, 2]
    assert any_store.get_webhook_response("WH1", responses[0].id) == responses[0]
    assert any_store.get_webhook_response("WH1", "WRNONE") is None
    assert any_store.latest_webhook_responses("IG1") == {"WH1": "body 2"}
    assert any_store.latest_webhook_responses("IG2") == {}


# ----------------------------------------------------------------------------------------------- rate limits
def test_count_within_limit_counts_up_to_the_limit_per_key(any_store):
    clock = FixedClock()
    assert [any_store.count_within_limit("C1#0", 2, clock.now()) for _ in range(3)] == [True, True, False]
    assert any_store.count_within_limit("C1#60", 2, clock.now())
    assert any_store.count_within_limit("C2#0", 2, clock.now())


# ------------------------------------------------------------------------------------------------ heartbeats
def test_heartbeat_signals_arm_and_return_the_previous_state(any_store):
    clock = FixedClock()
    assert any_store.record_heartbeat_signal("C1", _ping(clock)) is None
    stored = any_store.get_heartbeat("C1")
    assert (stored.enabled, stored.pings, stored.version, stored.last_signal) == (True, 1, 1, "ping")
    assert stored.check_at == stored.down_at == clock.now() + timedelta(seconds=600)
    assert stored.period_seconds == 600  # settings default until configured
    clock.advance(seconds=30)
    any_store.record_heartbeat_signal("C1", _ping(clock, HeartbeatSignal.START, 60))
    before = any_store.record_heartbeat_signal("C1", _ping(clock))
    assert before.last_start_at == clock.now() and before.version == 2
    after = any_store.get_heartbeat("C1")
    assert after.last_start_at is None and after.pings == 2 and after.version == 3
    any_store.record_heartbeat_signal("C1", _ping(clock, HeartbeatSignal.FAIL, 0))
    assert any_store.get_heartbeat("C1").last_fail_at == clock.now()


def test_due_heartbeats_come_from_their_check_time(any_store):
    clock = FixedClock()
    any_store.record_heartbeat_signal("C1", _ping(clock))
    any_store.record_heartbeat_signal("C2", _ping(clock, seconds=3600))
    assert any_store.list_due_heartbeats(clock.now()) == []
    clock.advance(minutes=11)
    assert [h.integration_id for h in any_store.list_due_heartbeats(clock.now())] == ["C1"]
    any_store.check_heartbeat_now("C2", clock.now())
    assert {h.integration_id for h in any_store.list_due_heartbeats(clock.now())} == {"C1", "C2"}
    parked = any_store.get_heartbeat("C1")
    any_store.put_heartbeat(parked.model_copy(update={"check_at": None}), expected_version=parked.version)
    assert [h.integration_id for h in any_store.list_due_heartbeats(clock.now())] == ["C2"]
    assert set(any_store.get_heartbeats(["C1", "C2", "C3"])) == {"C1", "C2"}


def test_heartbeat_writes_are_versioned(any_store):
    clock = FixedClock()
    created = any_store.put_heartbeat(Heartbeat(integration_id="C1", period_seconds=120), expected_version=None)
    assert created.version == 1
    with pytest.raises(ItemChangedError):
        any_store.put_heartbeat(Heartbeat(integration_id="C1"), expected_version=None)
    any_store.record_heartbeat_signal("C1", _ping(clock))  # a ping bumps the version too
    with pytest.raises(ItemChangedError):
        any_store.put_heartbeat(created, expected_version=created.version)
    current = any_store.get_heartbeat("C1")
    assert current.period_seconds == 120 and current.enabled
    pending = PendingHeartbeatAlert(kind="missing", alert_id="A1", reason="late")
    claimed = any_store.put_heartbeat(current.model_copy(update={"pending": pending}), expected_version=current.version)
    assert any_store.get_heartbeat("C1").pending == pending
    assert not any_store.clear_heartbeat_pending("C1", "A2", clock.now())
    assert any_store.clear_heartbeat_pending("C1", "A1", clock.now())
    cleared = any_store.get_heartbeat("C1")
    assert cleared.pending is None and cleared.check_at == clock.now() and cleared.version == claimed.version + 1


# ----------------------------------------------------------------------------------------------- maintenance
def test_one_maintenance_per_integration_and_due_items(any_store):
    clock = FixedClock()
    now = clock.now()
    active = Maintenance(
        id="MN1",
        integration_id="C1",
        mode=MaintenanceMode.MAINTENANCE,
        started_at=now,
        end_at=now + timedelta(hours=1),
        paused={"I1": "I1-2"},
        check_at=now + timedelta(hours=1),
    )
    stored = any_store.put_maintenance(active, expected_version=None)
    with pytest.raises(ItemChangedError):
        any_store.put_maintenance(active.model_copy(update={"id": "MN2"}), expected_version=None)
    assert any_store.get_maintenance("C1") == stored and stored.version == 1
    window = MaintenanceWindow(
        id="MW1",
        integration_id="C1",
        mode=MaintenanceMode.DEBUG,
        duration_seconds=600,
        cron="0 2 * * *",
        timezone="Europe/Berlin",
        next_start_at=now + timedelta(minutes=30),
        check_at=now + timedelta(minutes=30),
        created_at=now,
    )
    window = any_store.put_maintenance_window(window, expected_version=None)
    assert any_store.list_maintenance_windows("C1") == [window]
    assert any_store.get_maintenance_window("C1", "MW1") == window
    assert any_store.list_due_maintenance(now) == []
    assert [type(m).__name__ for m in any_store.list_due_maintenance(now + timedelta(hours=2))] in (
        ["MaintenanceWindow", "Maintenance"],
        ["Maintenance", "MaintenanceWindow"],
    )
    with pytest.raises(ItemChangedError):
        any_store.delete_maintenance_window("C1", "MW1", expected_version=window.version + 1)
    any_store.delete_maintenance_window("C1", "MW1", expected_version=window.version)
    assert any_store.list_maintenance_windows("C1") == []
    assert set(any_store.get_maintenances(["C1", "C2"])) == {"C1"}
    any_store.delete_maintenance("C1", "MN-other")  # not that maintenance: kept
    assert any_store.get_maintenance("C1") is not None
    any_store.delete_maintenance("C1", "MN1")
    assert any_store.get_maintenance("C1") is None
