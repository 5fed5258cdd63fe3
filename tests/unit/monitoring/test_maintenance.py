"""Maintenance: start, collection into the incident, expiry, early stop, debug dry runs, pausing running
escalations, scheduled and recurring windows — with an injected clock."""

from datetime import UTC, datetime, timedelta

import pytest

from oncall.dispatch.pipeline import process_alert
from oncall.escalation.steps import run_escalation
from oncall.groups import actions
from oncall.models import SYSTEM, Actor, ActorKind, IngestMessage, MaintenanceMode, ResolvedBy
from oncall.monitoring import maintenance
from oncall.notify.paging import Pager
from oncall.platform.errors import ConflictError, ValidationError
from tests import builders

ALICE = Actor(kind=ActorKind.USER, user_id="UALICE", name="alice")
CHAIN = [{"type": "notify_channel", "channel": "outbox://pager"}, {"type": "wait", "duration": 3600}]
MAINT, DEBUG = MaintenanceMode.MAINTENANCE, MaintenanceMode.DEBUG


@pytest.fixture
def prod(store, clock, deps):
    """An Alertmanager integration that pages, and helpers to fire alerts and run the sweep."""

    class Prod:
        chain = builders.chain(store, clock, CHAIN)
        integration, route = builders.integration(store, clock, name="Prod", chain_id=chain.id)

        def fire(self, alertname="Disk", status="firing"):
            alert = builders.alert(store, clock, self.integration, builders.am_payload(status, alertname))
            return process_alert(IngestMessage(alert_id=alert.id, integration_id=self.integration.id), deps=deps)

        def start(self, mode=MAINT, minutes=60, **options):
            end = clock.now() + timedelta(minutes=minutes)
            return maintenance.start(self.integration.id, mode, end, actor=ALICE, deps=deps, **options)

        def sweep(self):
            return maintenance.sweep(deps=deps)

        def current(self):
            return store.get_maintenance(self.integration.id)

    return Prod()


# ------------------------------------------------------------------------------------------ maintenance mode
def test_start_opens_the_incident_on_the_hidden_integration(prod, store):
    started = prod.start(minutes=90)
    incident = store.get_group(started.incident_id)
    assert incident.title == "Maintenance of Prod for 1 hour 30 minutes"
    assert incident.integration_id == maintenance.HIDDEN_INTEGRATION_ID
    assert store.get_integration(maintenance.HIDDEN_INTEGRATION_ID).type == "maintenance"
    assert incident.escalation is None and incident.maintenance.role == "incident"
    assert "Started by alice" in store.get_alert(incident.first_alert_id).payload["message"]
    with pytest.raises(ConflictError, match="Already on maintenance"):
        prod.start(DEBUG)


def test_new_groups_are_collected_without_escalation_and_resolved_at_expiry(prod, store, clock, escalations):
    # given a group that was escalating before the maintenance
    before = prod.fire("Before")
    started = prod.start(minutes=60)
    # when three new groups are created during the window
    collected = [prod.fire(name) for name in ("A", "B", "C")]
    # then none escalates, each is attached to the incident, and the older group still escalates
    assert all(not o.escalation_started for o in collected)
    assert [name for name, _ in escalations.started] == [before.group_id]
    incident = store.get_group(started.incident_id)
    assert incident.dependent_ids == [o.group_id for o in collected]
    assert all(store.get_group(o.group_id).root_group_id == incident.id for o in collected)
    assert prod.fire("Before").group_id == before.group_id  # alerts for open groups keep going there
    # when the sweep runs before the end: nothing
    clock.advance(minutes=59)
    assert prod.sweep().ended == []
    # when the time is up: the incident and everything it collected is resolved "by stop maintenance"
    clock.advance(minutes=1)
    assert prod.sweep().ended == [prod.integration.id]
    for group_id in [incident.id, *(o.group_id for o in collected)]:
        group = store.get_group(group_id)
        assert group.resolved and group.resolved_by == ResolvedBy.DISABLE_MAINTENANCE
    assert not store.get_group(before.group_id).resolved
    assert prod.current() is None
    # and a second sweep has nothing left to do
    assert prod.sweep().ended == []
    # and after the window groups escalate again
    assert prod.fire("After").escalation_started


def test_stop_early_and_resolving_the_incident_both_end_it(prod, store, deps):
    started = prod.start()
    group = prod.fire("A")
    stopped = maintenance.stop(prod.integration.id, ALICE, deps)
    assert stopped.id == started.id and prod.current() is None
    assert store.get_group(group.group_id).resolved_by == ResolvedBy.DISABLE_MAINTENANCE
    assert maintenance.stop(prod.integration.id, ALICE, deps) is None  # nothing left to stop
    # resolving the incident = stop maintenance
    again = prod.start()
    other = prod.fire("B")
    resolved = actions.resolve(again.incident_id, ALICE, deps)
    assert resolved.resolved and resolved.resolved_by == ResolvedBy.DISABLE_MAINTENANCE
    assert prod.current() is None and store.get_group(other.group_id).resolved
    timeline = [e.text for e in store.list_timeline(again.incident_id)]
    assert "Resolved by stop maintenance." in timeline


@pytest.mark.parametrize("action", ["acknowledge", "unacknowledge", "unresolve"])
def test_the_incident_refuses_ack_unack_unresolve(prod, deps, action):
    started = prod.start()
    with pytest.raises(ConflictError, match="maintenance incident"):
        getattr(actions, action)(started.incident_id, ALICE, deps)


def test_the_incident_cannot_be_attached(prod, deps):
    started = prod.start()
    maintenance.stop(prod.integration.id, ALICE, deps)
    other = prod.fire("Other")
    with pytest.raises(ConflictError, match="maintenance incident"):
        actions.attach(started.incident_id, other.group_id, ALICE, deps)


def test_a_group_created_as_the_maintenance_ends_is_resolved_with_it(prod, store, deps, clock):
    started = prod.start()
    # given the incident was resolved between the group's creation and its attachment
    marked = maintenance.mark_new_group(store.get_group(prod.fire("Seed").group_id), deps)
    maintenance.stop(prod.integration.id, SYSTEM, deps)
    late = prod.fire("Late")  # maintenance gone: escalates normally
    assert late.escalation_started
    store.groups[marked.id] = marked.model_copy(update={"root_group_id": None, "resolved": False})
    maintenance.collect(store.get_group(marked.id), deps)
    assert store.get_group(marked.id).resolved_by == ResolvedBy.DISABLE_MAINTENANCE
    assert started.incident_id


# ------------------------------------------------------------------------------------------ debug mode
def test_debug_mode_escalates_as_a_dry_run(prod, store, deps, notifier):
    before = prod.fire("Before")
    prod.start(DEBUG)
    during = prod.fire("During")
    # the group is routed and its escalation starts as usual
    assert during.group_created and during.escalation_started
    pager = Pager(deps, notifier, "https://x")
    for outcome in (during, before):
        group = store.get_group(outcome.group_id)
        run_escalation(group.id, 0, group.escalation.execution_name, pager=pager)
    # nothing leaves, not even about the group created before debug mode; each has a readable dry run
    assert notifier.delivered == []
    for outcome in (during, before):
        kinds = [e.type for e in store.list_timeline(outcome.group_id)]
        assert "notified" not in kinds
        [entry] = [e for e in store.list_timeline(outcome.group_id) if e.type == "would_have_notified"]
        assert entry.text.startswith("Would have notified outbox://pager: #") and "nothing was sent" in entry.text
    # and the end of debug mode resolves nothing
    maintenance.stop(prod.integration.id, ALICE, deps)
    assert not store.get_group(during.group_id).resolved


def _debug_group(store, clock, deps, steps):
    """A group created during debug maintenance of an integration whose chain is `steps`."""
    chain = builders.chain(store, clock, steps)
    integration, _ = builders.integration(store, clock, name="Debugged", chain_id=chain.id)
    maintenance.start(integration.id, DEBUG, clock.now() + timedelta(hours=1), actor=ALICE, deps=deps)
    alert = builders.alert(store, clock, integration, builders.am_payload())
    outcome = process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps)
    return store.get_group(outcome.group_id)


def test_debug_mode_delivers_nothing_on_any_path(store, clock, deps, notifier, events, escalations):
    """Given a chain that notifies a channel, pages a person (whose rules notify two contacts) and triggers a
    webhook, when a group created during debug maintenance escalates, its personal rules run and an
    acknowledge reminder fires, then nothing is delivered, no webhook event is published, and the timeline
    holds only "would have" entries (issue 12 item 1)."""
    from oncall.escalation.personal import PERSONAL, run_personal
    from oncall.escalation.reminders import send_ack_reminder
    from oncall.groups import timeline
    from oncall.groups.events import GroupEventType
    from oncall.models import DeploymentSettings
    from oncall.webhooks.config import create_webhook
    from oncall.webhooks.requests import WebhookIn

    alice = builders.user(store, clock, "alice", contacts={"push": "outbox://alice", "sms": "outbox://alice-sms"})
    webhook = create_webhook(WebhookIn(name="ticket", url="https://hooks.example.com/x"), store=store, clock=clock)
    group = _debug_group(
        store,
        clock,
        deps,
        [
            {"type": "notify_channel", "channel": "outbox://pager"},
            {"type": "notify_persons", "persons_to_notify": [alice.id]},
            {"type": "trigger_webhook", "action_to_trigger": webhook.id},
        ],
    )
    pager = Pager(deps, notifier, "https://x")
    run_escalation(group.id, 0, group.escalation.execution_name, pager=pager)
    [(_, kind, data)] = [t for t in escalations.timers if t[1] == PERSONAL]
    assert run_personal(group.id, 0, data, pager).done
    # an acknowledgement with reminders on: the reminder is a dry run too
    store.put_deployment_settings(DeploymentSettings(acknowledge_remind_timeout=1))
    actions.acknowledge(group.id, Actor(kind=ActorKind.USER, user_id=alice.id, name="alice"), deps)
    [(_, reminder)] = escalations.of_kind(actions.ACK_REMINDER_TIMER)
    send_ack_reminder(group.id, reminder, pager)

    assert notifier.delivered == []
    assert [e for e in events.events if e.type == GroupEventType.ESCALATION] == []
    entries = store.list_timeline(group.id)
    sent = {timeline.NOTIFIED, timeline.ACK_REMINDER_SENT, "webhook_delivered"}
    assert [e.text for e in entries if e.type in sent] == []
    would = [e.text for e in entries if e.type == timeline.WOULD_HAVE_NOTIFIED]
    assert any(t.startswith("Would have notified outbox://pager") for t in would)
    assert any(t.startswith("Would have notified alice via push") for t in would)
    assert any(t.startswith("Would have notified alice via sms") for t in would)
    assert any(t.startswith("Would have triggered outgoing webhook 'ticket'") for t in would)
    assert any(t.startswith("Would have reminded alice via push") for t in would)
    assert any(t.startswith("Would have reminded alice via sms") for t in would)


def test_a_group_created_in_debug_mode_stays_a_dry_run_after_the_window(store, clock, deps, notifier):
    group = _debug_group(store, clock, deps, [{"type": "notify_channel", "channel": "outbox://pager"}])
    maintenance.stop(group.integration_id, ALICE, deps)
    run_escalation(group.id, 0, group.escalation.execution_name, pager=Pager(deps, notifier, "https://x"))
    assert notifier.delivered == []


# ------------------------------------------------------------------------------------------ pause option
def test_pausing_running_escalations_restarts_them_from_step_zero_at_the_end(prod, store, deps, escalations):
    firing, acked = prod.fire("Firing"), prod.fire("Acked")
    prod.start(pause_running_escalations=True)
    # running escalations stop when the window starts
    assert set(escalations.stopped) == {firing.group_id, acked.group_id}
    assert store.get_group(firing.group_id).escalation_finished
    actions.acknowledge(acked.group_id, ALICE, deps)
    # at the end, the still-firing one restarts from step 0 under a new execution; the acked one does not
    maintenance.stop(prod.integration.id, ALICE, deps)
    restarted = store.get_group(firing.group_id)
    assert restarted.escalation.execution_name == f"{firing.group_id}-1" and not restarted.escalation_finished
    assert (f"{firing.group_id}-1", firing.group_id) in escalations.started
    assert store.get_group(acked.group_id).escalation.execution_name == acked.group_id
    kinds = [e.type for e in store.list_timeline(firing.group_id)]
    assert kinds.count("escalation_paused") == 1 and kinds.count("escalation_resumed") == 1


def test_by_default_running_escalations_keep_running(prod, escalations):
    firing = prod.fire("Firing")
    prod.start()
    assert firing.group_id not in escalations.stopped


# ------------------------------------------------------------------------------------------ windows
def _window(prod, store, clock, **spec):
    fields = {"mode": MAINT, "duration_seconds": 3600, **spec}
    return maintenance.create_window(
        prod.integration.id, maintenance.WindowSpec(**fields), ALICE, store=store, clock=clock
    )


def test_a_scheduled_window_starts_and_ends_by_itself(prod, store, clock):
    window = _window(prod, store, clock, start_at=clock.now() + timedelta(hours=2), duration_seconds=1800)
    assert window.next_start_at == window.check_at == clock.now() + timedelta(hours=2)
    clock.advance(hours=1, minutes=59)
    assert prod.sweep().started == [] and prod.current() is None
    clock.advance(minutes=1, seconds=30)  # the sweep is at most about a minute late
    assert prod.sweep().started == [prod.integration.id]
    current = prod.current()
    assert current.window_id == window.id and current.end_at == window.start_at + timedelta(minutes=30)
    assert store.list_maintenance_windows(prod.integration.id) == []  # a one-off window is used up
    collected = prod.fire("During")
    assert store.get_group(collected.group_id).root_group_id == current.incident_id
    clock.advance(minutes=29)
    assert prod.sweep().ended == []
    clock.advance(minutes=1)
    assert prod.sweep().ended == [prod.integration.id]
    assert store.get_group(collected.group_id).resolved


def test_a_recurring_window_follows_its_cron_in_its_time_zone(prod, store, clock):
    # every Saturday 22:00 Berlin time, for 2 hours
    clock.current = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    window = _window(prod, store, clock, cron="0 22 * * 6", timezone="Europe/Berlin", duration_seconds=7200)
    assert window.next_start_at == datetime(2026, 10, 24, 20, 0, tzinfo=UTC)  # CEST
    clock.current = window.next_start_at
    assert prod.sweep().started == [prod.integration.id]
    nxt = store.get_maintenance_window(prod.integration.id, window.id)
    assert nxt.next_start_at == datetime(2026, 10, 31, 21, 0, tzinfo=UTC)  # CET after the change
    assert nxt.claim is None
    clock.current = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert prod.sweep().ended == [prod.integration.id]
    clock.current = datetime(2026, 10, 31, 21, 0, 30, tzinfo=UTC)
    assert prod.sweep().started == [prod.integration.id]
    assert prod.current().end_at == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)


def test_a_recurring_window_created_inside_an_occurrence_starts_now(prod, store, clock):
    clock.current = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)
    window = _window(prod, store, clock, cron="0 1 * * *", duration_seconds=7200)
    assert window.next_start_at == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    assert prod.sweep().started == [prod.integration.id]
    assert prod.current().end_at == datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def test_a_missed_occurrence_is_skipped_to_the_next(prod, store, clock):
    window = _window(prod, store, clock, cron="0 * * * *", duration_seconds=600)
    clock.current = window.next_start_at + timedelta(minutes=15)  # the sweep was down for the whole window
    assert prod.sweep().skipped == [prod.integration.id] and prod.current() is None
    assert store.get_maintenance_window(prod.integration.id, window.id).next_start_at == window.next_start_at + (
        timedelta(hours=1)
    )


def test_an_occurrence_during_another_maintenance_is_skipped(prod, store, clock):
    window = _window(prod, store, clock, start_at=clock.now() + timedelta(minutes=10), duration_seconds=600)
    prod.start(DEBUG, minutes=60)
    clock.advance(minutes=10)
    assert prod.sweep().skipped == [prod.integration.id]
    assert prod.current().mode == DEBUG
    assert store.get_maintenance_window(prod.integration.id, window.id) is None


def test_two_sweeps_with_the_same_due_window_start_it_once(prod, store, clock, deps):
    _window(prod, store, clock, start_at=clock.now(), duration_seconds=600)
    [due] = store.list_due_maintenance(clock.now())
    outcomes = [maintenance.start_window(due, deps), maintenance.start_window(due, deps)]
    assert outcomes == ["started", "busy"]
    assert len([g for g in store.list_groups() if g.maintenance and g.maintenance.role == "incident"]) == 1


def test_a_crashed_window_start_is_retried_with_the_same_ids(prod, store, clock, deps, monkeypatch):
    window = _window(prod, store, clock, start_at=clock.now(), duration_seconds=600)

    def crash(*args, **kwargs):
        raise RuntimeError("Lambda timed out")

    monkeypatch.setattr(maintenance, "start", crash)
    assert prod.sweep().failed == [prod.integration.id]
    claimed = store.get_maintenance_window(prod.integration.id, window.id)
    assert claimed.claim is not None and claimed.check_at == clock.now() + maintenance.LEASE
    monkeypatch.undo()
    assert prod.sweep().started == []  # the lease is still running
    clock.advance(minutes=2)
    assert prod.sweep().started == [prod.integration.id]
    assert prod.current().id == claimed.claim.maintenance_id


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"duration_seconds": 59, "start_at": datetime(2030, 1, 1, tzinfo=UTC)}, "duration"),
        ({"duration_seconds": 31 * 86400, "start_at": datetime(2030, 1, 1, tzinfo=UTC)}, "duration"),
        ({"cron": "0 1 * * *", "start_at": datetime(2030, 1, 1, tzinfo=UTC)}, "start_at"),
        ({}, "start_at"),
        ({"cron": "0 25 * * *"}, "cron"),
        ({"cron": "0 1 * * *", "timezone": "Moon/Base"}, "timezone"),
        ({"start_at": datetime(2020, 1, 1, tzinfo=UTC)}, "start_at"),
    ],
)
def test_window_validation_names_the_field(prod, store, clock, spec, field):
    with pytest.raises(ValidationError) as error:
        _window(prod, store, clock, **spec)
    assert field in error.value.fields


def test_durations_from_a_minute_to_thirty_days(clock):
    maintenance.check_end(clock.now(), clock.now() + timedelta(seconds=60), "duration")
    maintenance.check_end(clock.now(), clock.now() + timedelta(days=30), "duration")
    for bad in (timedelta(seconds=59), timedelta(days=30, seconds=1), timedelta(seconds=-5)):
        with pytest.raises(ValidationError):
            maintenance.check_end(clock.now(), clock.now() + bad, "duration")
