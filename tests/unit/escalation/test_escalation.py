"""The escalation step runner, step type by step type, with an injected clock and fakes."""

from datetime import UTC, datetime, time

import pytest

from oncall.dispatch.pipeline import process_alert
from oncall.escalation.personal import PERSONAL
from oncall.escalation.steps import (
    MAX_REPEATS,
    record_failure,
    run_escalation,
    seconds_until_window,
)
from oncall.groups import actions
from oncall.models import SYSTEM, IngestMessage, RotationLayer, Schedule, ScheduleOverride
from oncall.notify.channels import ChannelError
from oncall.storage.protocols import RotationChangedError
from tests import builders


@pytest.fixture
def make_group(store, clock, deps):
    """Fire one alert at a new integration whose chain has `steps`; returns the new group."""

    def make(steps, payload=None):
        chain = builders.chain(store, clock, steps, name=f"chain-{len(store.chains)}")
        integration, _ = builders.integration(store, clock, chain_id=chain.id, name=f"int-{len(store.integrations)}")
        alert = builders.alert(store, clock, integration, payload or builders.am_payload())
        outcome = process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps)
        return store.get_group(outcome.group_id)

    return make


@pytest.fixture
def add_alert(store, clock, deps):
    """Another alert with the same grouping key: it joins `group`."""

    def add(group, payload=None):
        integration = store.get_integration(group.integration_id)
        alert = builders.alert(store, clock, integration, payload or builders.am_payload())
        return process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps)

    return add


@pytest.fixture
def run(pager):
    def run_step(group, step, execution=None, repetition=0, **options):
        name = execution or group.escalation.execution_name
        return run_escalation(group.id, step, name, pager=pager, repetition=repetition, **options)

    return run_step


def _types(store, group):
    return [e.type for e in store.list_timeline(group.id)]


def _personal(escalations):
    return escalations.of_kind(PERSONAL)


# ------------------------------------------------------------------------------------------ runner basics
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
    assert notifier.delivered[0].link == f"http://oncall.test/console/alert_groups/{group.id}"
    assert run(group, 3).done
    assert store.get_group(group.id).escalation_finished


def test_channel_notifications_carry_signed_action_links(make_group, run, notifier, links):
    group = make_group([{"type": "notify_channel", "channel": "outbox://a"}])
    run(group, 0)
    [notification] = notifier.delivered
    assert set(notification.action_links) == {"acknowledge", "resolve", "silence_1h"}
    token = notification.action_links["acknowledge"].removeprefix("http://oncall.test/actions/")
    link = links.verify(token)
    assert (link.group_id, link.action, link.user_id) == (group.id, "acknowledge", None)
    assert notification.surface == "web"


def test_a_repeated_step_notifies_once(make_group, run, notifier):
    group = make_group([{"type": "notify_channel", "channel": "outbox://a"}])
    run(group, 0)
    run(group, 0)  # Step Functions ran the task twice
    assert len(notifier.delivered) == 1


@pytest.mark.parametrize("action", ["acknowledge", "resolve", "silence", "wipe", "attach"])
def test_stops_when_the_group_stopped_escalating(make_group, run, deps, notifier, action):
    group = make_group([{"type": "notify_channel", "channel": "outbox://a"}])
    if action == "silence":
        actions.silence(group.id, SYSTEM, deps, 600)
    elif action == "attach":
        root = make_group([{"type": "wait", "duration": 60}], builders.am_payload(alertname="Root"))
        actions.attach(group.id, root.id, SYSTEM, deps)
    else:
        getattr(actions, action)(group.id, SYSTEM, deps)
    assert run(group, 0).done
    assert notifier.delivered == []


def test_a_stale_execution_does_nothing(make_group, run, notifier):
    group = make_group([{"type": "notify_channel", "channel": "outbox://a"}])
    assert run(group, 0, execution="old-execution").done
    assert notifier.delivered == []


def test_a_running_escalation_keeps_its_snapshot(make_group, run, store, notifier):
    group = make_group([{"type": "notify_channel", "channel": "outbox://before"}])
    [step] = store.list_steps()
    store.put_step(step.model_copy(update={"channel": "outbox://after"}))  # the chain is edited meanwhile
    run(group, 0)
    assert [n.channel for n in notifier.delivered] == ["outbox://before"]


def test_a_route_without_a_chain_never_escalates(store, clock, deps, escalations):
    integration, _ = builders.integration(store, clock)
    alert = builders.alert(store, clock, integration, builders.am_payload())
    outcome = process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps)
    group = store.get_group(outcome.group_id)
    assert group.escalation is None and group.escalation_finished
    assert escalations.started == []


def test_channel_failure_is_on_the_timeline_and_escalation_goes_on(make_group, run, store, notifier):
    group = make_group([{"type": "notify_channel", "channel": "slack://x"}])
    notifier.fail = ChannelError("unsupported channel: slack://")
    assert run(group, 0).done
    assert "notification_failed" in _types(store, group)


def test_unexpected_delivery_error_releases_the_claim_for_the_retry(make_group, run, notifier):
    group = make_group([{"type": "notify_channel", "channel": "outbox://a"}])
    notifier.fail = RuntimeError("network down")
    with pytest.raises(RuntimeError):
        run(group, 0)
    notifier.fail = None
    run(group, 0)
    run(group, 0)
    assert len(notifier.delivered) == 1


def test_finishing_an_old_escalation_does_not_finish_a_restarted_one(make_group, run, store, deps):
    group = make_group([{"type": "wait", "duration": 60}])
    actions.acknowledge(group.id, SYSTEM, deps)
    actions.unacknowledge(group.id, SYSTEM, deps)
    run(group, 1, execution=group.escalation.execution_name)  # the old execution reaches its end
    assert not store.get_group(group.id).escalation_finished


def test_record_failure_writes_timeline(make_group, store, clock):
    group = make_group([{"type": "wait", "duration": 60}])
    record_failure(group.id, 0, "RuntimeError", "boom", store=store, clock=clock)
    assert store.list_timeline(group.id)[-1].type == "escalation_failed"


# ------------------------------------------------------------------------------------------ wait, resolve
@pytest.mark.parametrize("duration", [60, 61, 1234, 86400])
def test_wait_takes_any_duration_in_range(make_group, run, duration):
    group = make_group([{"type": "wait", "duration": duration}])
    assert run(group, 0).wait_seconds == duration


def test_wait_without_duration_logs_and_waits_five_minutes(make_group, run, store):
    group = make_group([{"type": "wait", "duration": 60}])
    snapshot = group.escalation.model_copy(
        update={"steps": [group.escalation.steps[0].model_copy(update={"duration": None})]}
    )
    store.groups[group.id] = group.model_copy(update={"escalation": snapshot})
    assert run(group, 0).wait_seconds == 300
    assert "escalation_step_failed" in _types(store, group)


def test_resolve_step(make_group, run, store):
    group = make_group([{"type": "resolve"}, {"type": "notify_channel", "channel": "outbox://never"}])
    assert run(group, 0).done
    assert store.get_group(group.id).resolved_by == "last_step"


# ------------------------------------------------------------------------------------------ people
def test_notify_persons_starts_one_personal_execution_per_user(make_group, run, store, clock, escalations):
    alice, bob = builders.user(store, clock, "alice"), builders.user(store, clock, "bob")
    group = make_group(
        [{"type": "notify_persons", "persons_to_notify": [alice.id, bob.id, alice.id], "important": True}]
    )
    assert run(group, 0).done
    started = _personal(escalations)
    assert [data["user_id"] for _, data in started] == [alice.id, bob.id]
    name, data = started[0]
    assert data == {
        "user_id": alice.id,
        "important": True,
        "step_index": 0,
        "repetition": 0,
        "execution": group.id,
        "generation": 0,
    }
    assert name == f"{group.id}-p0r0-{alice.id}"
    assert "users_paged" in _types(store, group)


def test_notify_persons_with_a_deleted_user_logs_and_pages_the_rest(make_group, run, store, clock, escalations):
    alice, bob = builders.user(store, clock, "alice"), builders.user(store, clock, "bob")
    group = make_group([{"type": "notify_persons", "persons_to_notify": [alice.id, bob.id]}])
    store.delete_user(bob.id)
    run(group, 0)
    assert [data["user_id"] for _, data in _personal(escalations)] == [alice.id]
    assert any(bob.id in e.text for e in store.list_timeline(group.id) if e.type == "escalation_step_failed")


def test_round_robin_rotates_across_groups_in_username_order(run, store, clock, deps, escalations):
    carol, alice, bob = (builders.user(store, clock, n) for n in ("carol", "alice", "bob"))
    step = {"type": "notify_person_next_each_time", "persons_to_notify_next_each_time": [carol.id, alice.id, bob.id]}
    chain = builders.chain(store, clock, [step])
    integration, _ = builders.integration(store, clock, chain_id=chain.id)
    for number in range(4):  # four alert groups escalated by the same policy
        alert = builders.alert(store, clock, integration, builders.am_payload(alertname=f"A{number}"))
        group_id = process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps).group_id
        run(store.get_group(group_id), 0)
    assert [data["user_id"] for _, data in _personal(escalations)] == [alice.id, bob.id, carol.id, alice.id]


def test_round_robin_moves_per_policy_and_a_retry_pages_the_same_user(
    make_group, add_alert, run, store, clock, deps, escalations
):
    alice, bob = builders.user(store, clock, "alice"), builders.user(store, clock, "bob")
    group = make_group(
        [{"type": "notify_person_next_each_time", "persons_to_notify_next_each_time": [bob.id, alice.id]}]
    )
    run(group, 0)
    run(group, 0)  # the task ran twice: same pick, same execution name
    assert {data["user_id"] for _, data in _personal(escalations)} == {alice.id}
    # restarts page the next user each time (the rotation persists on the policy)
    for _ in range(3):
        actions.acknowledge(group.id, SYSTEM, deps)
        group = actions.unacknowledge(group.id, SYSTEM, deps)
        run(group, 0)
    users = [data["user_id"] for _, data in _personal(escalations)]
    assert users == [alice.id, alice.id, bob.id, alice.id, bob.id]


def test_round_robin_retries_when_another_escalation_moved_the_rotation(make_group, run, store, clock, escalations):
    alice, bob = builders.user(store, clock, "alice"), builders.user(store, clock, "bob")
    group = make_group(
        [{"type": "notify_person_next_each_time", "persons_to_notify_next_each_time": [alice.id, bob.id]}]
    )
    [step] = group.escalation.steps
    original = store.record_rotation_pick
    raced = []

    def racing(step_id, expected, user_id, group_id, key):
        if not raced:  # another group's escalation takes alice between our read and our write
            raced.append(1)
            original(step_id, expected, user_id, "IOTHER", "other-key")
            raise RotationChangedError(step_id)
        return original(step_id, expected, user_id, group_id, key)

    store.record_rotation_pick = racing
    run(group, 0)
    assert [data["user_id"] for _, data in _personal(escalations)] == [bob.id]
    assert store.get_rotation(step.id).last_user_id == bob.id


def _schedule(store, clock, users, overrides=()):
    schedule = Schedule(
        id="SPRIMARY",
        name="Primary",
        layers=[RotationLayer(users=[u.id for u in users], frequency="daily", start=datetime(2026, 1, 1))],
        overrides=list(overrides),
        created_at=clock.now(),
    )
    store.put_schedule(schedule)
    return schedule


def test_notify_on_call_from_schedule(make_group, run, store, clock, escalations):
    alice = builders.user(store, clock, "alice")
    schedule = _schedule(store, clock, [alice])
    group = make_group([{"type": "notify_on_call_from_schedule", "notify_on_call_from_schedule": schedule.id}])
    run(group, 0)
    assert [data["user_id"] for _, data in _personal(escalations)] == [alice.id]


def test_nobody_on_call_is_a_timeline_failure(make_group, run, store, clock, escalations):
    schedule = _schedule(store, clock, [])
    group = make_group(
        [
            {"type": "notify_on_call_from_schedule", "notify_on_call_from_schedule": schedule.id},
            {"type": "notify_channel", "channel": "outbox://next"},
        ]
    )
    run(group, 0)
    assert _personal(escalations) == []
    failures = [e.text for e in store.list_timeline(group.id) if e.type == "escalation_step_failed"]
    assert failures == ["Step 1: nobody is on call in schedule Primary."]
    assert "notified" in _types(store, group)  # the chain went on


def test_schedule_override_and_broken_ical_feed(make_group, run, store, clock, escalations):
    alice, bob = builders.user(store, clock, "alice"), builders.user(store, clock, "bob")
    override = ScheduleOverride(user_id=bob.id, start=clock.now(), end=clock.now().replace(hour=23))
    schedule = _schedule(store, clock, [alice], [override])
    group = make_group([{"type": "notify_on_call_from_schedule", "notify_on_call_from_schedule": schedule.id}])
    run(group, 0)
    assert [data["user_id"] for _, data in _personal(escalations)] == [bob.id]

    store.put_schedule(schedule.model_copy(update={"overrides": [], "ical_url": "https://cal.example/x.ics"}))
    other = make_group(
        [{"type": "notify_on_call_from_schedule", "notify_on_call_from_schedule": schedule.id}],
        builders.am_payload(alertname="Other"),
    )

    def broken(url, at):
        raise OSError("feed unreachable")

    run(other, 0, ical=broken)
    assert any("feed unreachable" in e.text for e in store.list_timeline(other.id))


def test_notify_team_members(make_group, run, store, clock, escalations):
    team = builders.team(store, clock, "db")
    alice = builders.user(store, clock, "alice", team_ids=[team.id])
    builders.user(store, clock, "bob")
    group = make_group([{"type": "notify_team_members", "team_to_notify": team.id}])
    run(group, 0)
    assert [data["user_id"] for _, data in _personal(escalations)] == [alice.id]


# ------------------------------------------------------------------------------------------ webhook
def test_trigger_webhook_by_default_records_the_request(make_group, run, store):
    group = make_group([{"type": "trigger_webhook", "action_to_trigger": "WHABC"}])
    run(group, 0)
    [entry] = [e for e in store.list_timeline(group.id) if e.type == "webhook_triggered"]
    assert entry.text == "Webhook WHABC trigger requested." and entry.details["webhook_id"] == "WHABC"


def test_trigger_webhook_runs_once_and_a_failure_is_retried(make_group, run, deps):
    group = make_group([{"type": "trigger_webhook", "action_to_trigger": "WHABC"}])
    calls = []

    def trigger(webhook_id, group_id, *, deps):
        calls.append((webhook_id, group_id))
        if len(calls) == 1:
            raise RuntimeError("timeout")

    with pytest.raises(RuntimeError):
        run(group, 0, trigger_webhook=trigger)
    run(group, 0, trigger_webhook=trigger)
    run(group, 0, trigger_webhook=trigger)
    assert calls == [("WHABC", group.id)] * 2


# ------------------------------------------------------------------------------------------ time window
@pytest.mark.parametrize(
    ("now", "start", "end", "expected"),
    [
        ("10:00:00", "09:00:00", "17:00:00", 0),
        ("08:00:00", "09:00:00", "17:00:00", 3600),
        ("18:00:00", "09:00:00", "17:00:00", 15 * 3600),
        ("23:30:00", "22:00:00", "06:00:00", 0),  # across midnight
        ("05:59:59", "22:00:00", "06:00:00", 0),
        ("12:00:00", "22:00:00", "06:00:00", 10 * 3600),
        ("12:00:00", "12:00:00", "12:00:00", 0),  # from == to: all day
        ("03:00:00", "12:00:00", "12:00:00", 0),
    ],
)
def test_seconds_until_window(now, start, end, expected):
    moment = datetime.combine(datetime(2026, 11, 27).date(), time.fromisoformat(now), tzinfo=UTC)
    assert seconds_until_window(moment, time.fromisoformat(start), time.fromisoformat(end)) == expected


def test_time_window_delays_rather_than_stops(make_group, run, store, clock, notifier):
    clock.current = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    group = make_group(
        [
            {"type": "notify_if_time_from_to", "notify_if_time_from": "09:00:00Z", "notify_if_time_to": "17:00:00Z"},
            {"type": "notify_channel", "channel": "outbox://office-hours"},
        ]
    )
    outcome = run(group, 0)
    assert (outcome.done, outcome.next_step, outcome.wait_seconds) == (False, 1, 13 * 3600)
    assert notifier.delivered == [] and "time_window_wait" in _types(store, group)
    clock.current = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert run(group, 1).done
    assert [n.channel for n in notifier.delivered] == ["outbox://office-hours"]


def test_inside_the_time_window_the_chain_goes_straight_on(make_group, run, clock, notifier):
    clock.current = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
    group = make_group(
        [
            {"type": "notify_if_time_from_to", "notify_if_time_from": "22:00:00Z", "notify_if_time_to": "06:00:00Z"},
            {"type": "notify_channel", "channel": "outbox://night"},
        ]
    )
    assert run(group, 0).done
    assert len(notifier.delivered) == 1


# ------------------------------------------------------------------------------------------ X alerts in Y minutes
PAUSING_CHAIN = [
    {"type": "notify_channel", "channel": "outbox://first"},
    {"type": "notify_if_num_alerts_in_window", "num_alerts_in_window": 2, "num_minutes_in_window": 10},
    {"type": "notify_channel", "channel": "outbox://storm"},
]


def test_few_alerts_pause_and_the_next_alert_resumes_from_that_step(
    make_group, add_alert, run, store, clock, notifier, escalations
):
    group = make_group(PAUSING_CHAIN)
    outcome = run(group, 0)
    # then the execution ends paused, the step kept on the group
    assert (outcome.done, outcome.paused, outcome.next_step) == (True, True, 1)
    paused = store.get_group(group.id)
    assert paused.escalation_pause.step == 1 and paused.escalation_finished
    assert [n.channel for n in notifier.delivered] == ["outbox://first"]
    # when a second alert arrives (2 alerts, not more than X=2): the step re-evaluates and pauses again
    clock.advance(minutes=1)
    assert add_alert(group).escalation_started
    name = f"{group.id}-resume1"
    assert escalations.started[-1] == (name, group.id) and escalations.positions[name] == (1, 0)
    assert run(store.get_group(group.id), 1, execution=name).paused
    # when a third arrives within the window: the escalation goes on from step 1
    clock.advance(minutes=1)
    add_alert(group)
    name = f"{group.id}-resume2"
    assert run(store.get_group(group.id), 1, execution=name).done
    assert [n.channel for n in notifier.delivered] == ["outbox://first", "outbox://storm"]
    assert _types(store, group).count("escalation_resumed") == 2


def test_alerts_outside_the_window_do_not_count(make_group, add_alert, run, store, clock, notifier):
    group = make_group(PAUSING_CHAIN)
    run(group, 0)
    for resume in (1, 2):  # two more alerts, 30 minutes apart: never more than 2 within 10 minutes
        clock.advance(minutes=30)
        add_alert(group)
        assert run(store.get_group(group.id), 1, execution=f"{group.id}-resume{resume}").paused
    assert [n.channel for n in notifier.delivered] == ["outbox://first"]


def test_enough_alerts_before_the_step_continue_without_pausing(make_group, add_alert, run, store, notifier):
    group = make_group(PAUSING_CHAIN)
    add_alert(group)
    add_alert(group)
    assert not run(store.get_group(group.id), 0).paused
    assert [n.channel for n in notifier.delivered] == ["outbox://first", "outbox://storm"]


def test_a_paused_group_that_is_acknowledged_does_not_resume(make_group, add_alert, run, store, deps, escalations):
    group = make_group(PAUSING_CHAIN)
    run(group, 0)
    actions.acknowledge(group.id, SYSTEM, deps)
    before = list(escalations.started)
    assert not add_alert(group).escalation_started
    assert escalations.started == before


def test_an_alert_that_arrives_while_pausing_resumes_it(make_group, run, store, clock, deps, escalations):
    group = make_group(PAUSING_CHAIN)
    original = store.update_group

    def alert_arrives_first(target, changes, **kwargs):
        if "escalation_pause" in changes and changes["escalation_pause"] is not None:
            integration = store.get_integration(group.integration_id)
            alert = builders.alert(store, clock, integration, builders.am_payload())
            store.add_alert_to_group(group.id, alert, must_be_open=True)
        return original(target, changes, **kwargs)

    store.update_group = alert_arrives_first
    run(group, 0)
    store.update_group = original
    assert escalations.started[-1] == (f"{group.id}-resume1", group.id)


def test_restart_clears_a_pause(make_group, run, store, deps):
    group = make_group(PAUSING_CHAIN)
    run(group, 0)
    actions.acknowledge(group.id, SYSTEM, deps)
    restarted = actions.unacknowledge(group.id, SYSTEM, deps)
    assert restarted.escalation_pause is None and not restarted.escalation_finished


# ------------------------------------------------------------------------------------------ repeat
def test_repeat_escalation_runs_the_chain_at_most_six_times(make_group, run, store, notifier):
    group = make_group([{"type": "notify_channel", "channel": "outbox://a"}, {"type": "repeat_escalation"}])
    outcome = run(group, 0)
    assert outcome.done and outcome.repetition == MAX_REPEATS
    assert len(notifier.delivered) == MAX_REPEATS + 1
    assert len({n.idempotency_key for n in notifier.delivered}) == MAX_REPEATS + 1
    assert _types(store, group).count("escalation_repeated") == MAX_REPEATS


def test_repeat_after_a_wait_carries_the_repetition_in_the_state(make_group, run, notifier):
    group = make_group(
        [
            {"type": "notify_channel", "channel": "outbox://a"},
            {"type": "wait", "duration": 300},
            {"type": "repeat_escalation"},
        ]
    )
    first = run(group, 0)
    assert (first.next_step, first.repetition) == (2, 0)
    second = run(group, 2, repetition=first.repetition)
    assert (second.done, second.next_step, second.repetition, second.wait_seconds) == (False, 2, 1, 300)
    assert len(notifier.delivered) == 2
    last = run(group, 2, repetition=MAX_REPEATS)
    assert last.done and len(notifier.delivered) == 2


@pytest.mark.parametrize(
    ("change", "delivered"),
    [
        ({"acknowledged": True}, False),  # acknowledged after the check: nothing leaves
        ({"resolved": True}, False),
        ({"silenced": True}, False),
        ({"title": "renamed"}, True),  # changed but still firing: paged on the fresh read
    ],
)
def test_a_change_committed_between_the_check_and_the_claim_is_seen_before_sending(
    store, make_group, run, notifier, monkeypatch, change, delivered
):
    """Given a step that read its group (firing) and decided to page, when the group changes before the
    delivery is claimed, then the claim fails on the group's version, the group is read again, and the page
    goes out only if the group is still one to page about (issue 12 item 5)."""
    group = make_group([{"type": "notify_channel", "channel": "outbox://pager"}])
    claim = store.claim_delivery
    changed: list[str] = []

    def change_then_claim(group_id, key, at, **options):
        if not changed:
            changed.append(group_id)
            store.update_group(store.get_group(group_id), change)
        return claim(group_id, key, at, **options)

    monkeypatch.setattr(store, "claim_delivery", change_then_claim)
    run(group, 0)
    assert changed == [group.id]
    assert bool(notifier.delivered) is delivered
    assert ("notified" in _types(store, group)) is delivered
