"""Heartbeats: every transition with an injected clock, signals, schedules, alert shapes, exactly-once claims."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError as PydanticValidationError

from oncall.api.heartbeats import present_heartbeat
from oncall.dispatch.grouping import evaluate_signals
from oncall.dispatch.pipeline import process_alert
from oncall.intake.types.catalog import INTEGRATION_TYPES
from oncall.models import Alert, HeartbeatSignal
from oncall.monitoring import heartbeat
from oncall.monitoring.requests import HeartbeatUpdate
from tests import builders

PING, START, FAIL = HeartbeatSignal.PING, HeartbeatSignal.START, HeartbeatSignal.FAIL
NOTIFY = [{"type": "notify_channel", "channel": "outbox://pager"}, {"type": "wait", "duration": 3600}]


@pytest.fixture
def hook(store, clock, deps, queue):
    """A webhook integration whose default route pages, and helpers to signal, sweep and route."""

    class Hook:
        chain = builders.chain(store, clock, NOTIFY)
        integration, route = builders.integration(
            store, clock, kind="webhook", name="Nightly backup", chain_id=chain.id
        )

        def signal(self, kind=PING):
            return heartbeat.receive_signal(self.integration, kind, deps=deps, queue=queue)

        def sweep(self):
            return heartbeat.sweep(deps=deps, queue=queue)

        def state(self):
            return heartbeat.state_of(store.get_heartbeat(self.integration.id), clock.now()).value

        def configure(self, **settings):
            return heartbeat.configure(self.integration.id, settings, store=store)

        def sent(self):
            return [store.get_alert(message.alert_id).payload for message, _ in queue.sent]

        def route_all(self):
            """What route does with the queued alerts: the normal pipeline."""
            outcomes = [process_alert(message, deps=deps) for message, _ in queue.sent]
            queue.sent.clear()
            return outcomes

    return Hook()


# ------------------------------------------------------------------------------------------ transitions
def test_new_heartbeat_is_not_armed_until_its_first_ping(hook, clock):
    assert hook.state() == "new"
    clock.advance(days=3)
    assert hook.sweep().missing == [] and hook.sent() == []
    hook.signal()
    assert hook.state() == "up"


def test_new_up_grace_down_restored(hook, clock, store, escalations):
    # given a ping with the defaults (OnCall's 600 s, plus a 60 s grace)
    hook.signal()
    hb = store.get_heartbeat(hook.integration.id)
    assert hb.expected_at == clock.now() + timedelta(seconds=600)
    assert hb.down_at == clock.now() + timedelta(seconds=660) == hb.check_at
    # when the period passes without a ping: grace, no alert yet
    clock.advance(seconds=601)
    assert hook.state() == "grace"
    assert hook.sweep().missing == [] and hook.sent() == []
    # when the grace period passes: down, exactly one "missing" alert
    clock.advance(seconds=60)
    assert hook.state() == "down"
    assert hook.sweep().missing == [hook.integration.id]
    [missing] = hook.sent()
    assert missing["state"] == "alerting" and missing["is_oncall_heartbeat"] is True
    assert missing["title"] == "Nightly backup: heartbeat missing"
    # and it pages through the integration's own route and chain
    [outcome] = hook.route_all()
    assert outcome.group_created and outcome.escalation_started
    assert escalations.started == [(outcome.group_id, outcome.group_id)]
    # when more sweeps run during the outage: nothing more
    for _ in range(5):
        clock.advance(minutes=1)
        assert hook.sweep().missing == []
    assert hook.sent() == []
    # when pings return: "restored" at once (at ping time), and it resolves the "missing" group
    clock.advance(minutes=30)
    assert hook.signal().sent == "restored"
    assert hook.state() == "up"
    [restored] = hook.sent()
    assert restored["state"] == "ok" and restored["is_oncall_heartbeat_restored"] is True
    assert "after 35 minutes 1 second missing" in restored["message"]
    [outcome_2] = hook.route_all()
    assert outcome_2.group_id == outcome.group_id and outcome_2.resolved
    assert store.get_group(outcome.group_id).state == "resolved"
    # and the next sweep only parks it at its next deadline
    clock.advance(minutes=1)
    assert hook.sweep().restored == []
    assert store.get_heartbeat(hook.integration.id).check_at == clock.now() - timedelta(minutes=1) + timedelta(
        seconds=660
    )


def test_a_second_outage_opens_a_new_group(hook, clock, store):
    hook.signal()
    clock.advance(minutes=12)
    hook.sweep()
    [first] = hook.route_all()
    hook.signal()
    hook.route_all()
    clock.advance(minutes=12)
    assert hook.sweep().missing == [hook.integration.id]
    [second] = hook.route_all()
    assert second.group_created and second.group_id != first.group_id
    assert store.get_heartbeat(hook.integration.id).outages == 2


def test_restore_is_made_by_the_sweep_if_the_ping_time_attempt_fails(hook, clock, queue):
    hook.signal()
    clock.advance(minutes=12)
    hook.sweep()
    queue.sent.clear()
    # when the ping that ends the outage cannot send the alert
    queue.fail = RuntimeError("SQS is down")
    result = hook.signal()
    assert result.sent is None and isinstance(result.error, RuntimeError)
    assert hook.sent() == []
    # then the sweep sends it once the claim's lease has run out (the alert id stays the same)
    queue.fail = None
    assert hook.sweep().restored == []  # lease still running
    clock.advance(seconds=heartbeat.LEASE.total_seconds())
    assert hook.sweep().restored == [hook.integration.id]
    assert [p["state"] for p in hook.sent()] == ["ok"]


def test_reset_disarms_and_a_later_ping_restores(hook, clock, store):
    hook.signal()
    clock.advance(minutes=11)
    hook.sweep()
    hook.route_all()
    # when the heartbeat is reset while down: paused, and nothing more is sent however long it stays quiet
    heartbeat.reset(hook.integration.id, store=store)
    assert hook.state() == "paused"
    clock.advance(days=2)
    assert hook.sweep().missing == [] and hook.sent() == []
    # when it is pinged again: OnCall's memory of the outage produces "restored"
    assert hook.signal().sent == "restored"
    assert hook.state() == "up"


def test_reset_of_a_healthy_heartbeat_never_alerts(hook, clock, store):
    hook.signal()
    heartbeat.reset(hook.integration.id, store=store)
    clock.advance(days=1)
    assert hook.sweep().missing == []
    assert hook.signal().sent is None  # re-armed, nothing to restore
    assert hook.state() == "up" and hook.sent() == []


def test_fail_raises_missing_at_once_and_a_ping_restores(hook, clock):
    hook.signal()
    clock.advance(minutes=2)
    result = hook.signal(FAIL)
    assert result.sent == "missing"
    [payload] = hook.sent()
    assert payload["state"] == "alerting" and "reported a failure at" in payload["message"]
    assert hook.signal(FAIL).sent is None  # one alert per outage
    assert hook.signal().sent == "restored"


def test_a_started_run_must_finish_within_the_grace_period(hook, clock):
    hook.configure(grace_seconds=300)
    hook.signal()
    # given a run that starts and finishes in time: nothing
    clock.advance(minutes=10)
    assert hook.signal(START).sent is None
    clock.advance(minutes=4)
    hook.signal()
    clock.advance(minutes=1)
    assert hook.sweep().missing == []
    # when a run starts and never finishes: missing once the grace period has passed
    hook.signal(START)
    assert hook.state() == "up"
    clock.advance(seconds=299)
    assert hook.sweep().missing == []
    clock.advance(seconds=1)
    assert hook.sweep().missing == [hook.integration.id]
    [payload] = hook.sent()
    assert "did not finish within 5 minutes" in payload["message"]


@pytest.mark.parametrize(
    ("suffix", "kind"),
    [("start", START), ("FAIL", FAIL), ("0", PING), ("1", FAIL), ("255", FAIL), ("256", None), ("log", None)],
)
def test_signal_urls_and_exit_statuses(suffix, kind):
    assert heartbeat.signal_from_path(suffix) == kind


def test_post_only_refuses_get_and_head(hook, store, deps, queue):
    from oncall.platform.errors import UnsupportedMethodError

    hook.configure(post_only=True)
    for method in ("GET", "HEAD"):
        with pytest.raises(UnsupportedMethodError):
            heartbeat.receive_signal(hook.integration, PING, deps=deps, queue=queue, method=method)
    assert hook.state() == "new"  # a link preview does not arm it
    heartbeat.receive_signal(hook.integration, PING, deps=deps, queue=queue, method="POST")
    assert hook.state() == "up"


def test_any_signal_arms_a_new_heartbeat(hook, clock):
    hook.signal(START)
    assert hook.state() == "up"
    clock.advance(seconds=61)
    assert hook.sweep().missing == [hook.integration.id]


def test_two_processes_with_the_same_copy_send_one_alert(hook, clock, store, deps, queue):
    hook.signal()
    clock.advance(minutes=12)
    stale = store.get_heartbeat(hook.integration.id)
    # when two sweeps hold the same copy of a due heartbeat
    sent = [heartbeat.process(stale, deps=deps, queue=queue), heartbeat.process(stale, deps=deps, queue=queue)]
    # then only the one whose conditional claim succeeded sends
    assert sent == ["missing", None]
    assert len(hook.sent()) == 1


# ------------------------------------------------------------------------------------------ schedules
def test_changing_the_period_moves_the_deadline(hook, clock, store):
    hook.signal()
    pinged = clock.now()
    clock.advance(minutes=5)
    hook.configure(period_seconds=3600, grace_seconds=120)
    hb = store.get_heartbeat(hook.integration.id)
    assert hb.expected_at == pinged + timedelta(hours=1)
    assert hb.down_at == hb.check_at == pinged + timedelta(hours=1, minutes=2)
    clock.advance(minutes=20)
    assert hook.sweep().missing == []


def test_cron_schedule_expects_pings_at_the_cron_times(hook, clock, store):
    # given a job that runs at 03:00 Berlin time every day, with 10 minutes' grace
    hook.configure(cron="0 3 * * *", timezone="Europe/Berlin", grace_seconds=600)
    clock.current = datetime(2026, 6, 1, 1, 2, tzinfo=UTC)  # 03:02 in Berlin (CEST)
    hook.signal()
    hb = store.get_heartbeat(hook.integration.id)
    assert hb.expected_at == datetime(2026, 6, 2, 1, 0, tzinfo=UTC)
    clock.current = datetime(2026, 6, 2, 1, 9, tzinfo=UTC)
    assert hook.state() == "grace" and hook.sweep().missing == []
    clock.current = datetime(2026, 6, 2, 1, 10, tzinfo=UTC)
    assert hook.sweep().missing == [hook.integration.id]


@pytest.mark.parametrize(
    ("expression", "after_local", "expected_local"),
    [
        # spring forward (Berlin, 2026-03-29 02:00 -> 03:00): the skipped 02:30 fires at 03:00, as cron does
        ("30 2 * * *", "2026-03-28T23:00", "2026-03-29T03:00+02:00"),
        ("0 * * * *", "2026-03-29T01:30", "2026-03-29T03:00+02:00"),
        # fall back (2026-10-25 03:00 -> 02:00): a fixed-hour job runs once, so 02:30 is expected once
        ("30 2 * * *", "2026-10-25T02:31+02:00", "2026-10-26T02:30+01:00"),
        # a wildcard-hour job keeps its rhythm through the repeated hour
        ("0 * * * *", "2026-10-25T02:00+02:00", "2026-10-25T02:00+01:00"),
        ("*/30 * * * *", "2026-10-25T02:45+02:00", "2026-10-25T02:00+01:00"),
    ],
)
def test_cron_around_daylight_saving_changes(expression, after_local, expected_local):
    from oncall.platform import cron

    berlin = "Europe/Berlin"
    after = datetime.fromisoformat(after_local)
    if after.tzinfo is None:
        from zoneinfo import ZoneInfo

        after = after.replace(tzinfo=ZoneInfo(berlin))
    assert cron.next_after(expression, berlin, after) == datetime.fromisoformat(expected_local)


def test_cron_and_timezone_are_validated():
    from oncall.platform import cron

    assert cron.check_expression("*/5 * * * *") is None
    assert "5 fields" in cron.check_expression("0 0 * * * *")
    assert "5 fields" in cron.check_expression("@daily")
    assert "not a valid" in cron.check_expression("61 * * * *")
    assert cron.check_timezone("Mars/Olympus") is not None and cron.check_timezone("Asia/Kolkata") is None


# ------------------------------------------------------------------------------------------ alerts
def test_custom_templates_use_the_integration_name_and_state(hook, clock, store):
    hook.configure(
        templates={
            "missing_title": "{{ integration_name }} silent since {{ last_ping_at }}",
            "missing_message": "{{ reason }}/{{ state }}",
        }
    )
    hook.signal()
    clock.advance(minutes=11)
    hook.sweep()
    [payload] = hook.sent()
    assert payload["title"].startswith("Nightly backup silent since 2026-11-27 12:00:00 UTC")
    assert payload["message"] == "late/down"
    hook.signal()
    assert hook.sent()[-1]["title"] == "Nightly backup: heartbeat restored"  # default where none is set


def test_a_broken_template_shows_its_error_instead_of_failing(hook, clock):
    hook.configure(templates={"missing_title": "{{ integration_name.nope() }}"})
    hook.signal()
    clock.advance(minutes=11)
    assert hook.sweep().missing == [hook.integration.id]
    assert hook.sent()[0]["title"].startswith("Template")


def _types_with_heartbeats():
    slugs = [slug for slug in INTEGRATION_TYPES if heartbeat.available(_integration(slug, datetime.now(UTC)))]
    assert {"alertmanager", "webhook", "formatted_webhook", "grafana", "zabbix", "elastalert"} <= set(slugs)
    assert "direct_paging" not in slugs and "maintenance" not in slugs
    return sorted(slugs)


def _integration(slug, now):
    from oncall.models import Integration

    return Integration(id="CX", name="X", type=slug, token="t", default_route_id="R", created_at=now)


@pytest.mark.parametrize("slug", _types_with_heartbeats())
def test_missing_and_restored_group_together_and_the_restore_resolves(slug, clock):
    """With each type's default templates: the same grouping key, and only the restore is a resolve signal."""
    integration = _integration(slug, clock.now())
    started = clock.now()

    def signals(restored: bool):
        payload = heartbeat.alert_payload(integration, restored, "t", "m", started, clock.now())
        alert = Alert(id="A", integration_id="CX", payload=payload, received_at=clock.now(), request_id="q")
        return evaluate_signals(integration, alert, {})

    missing, restored = signals(False), signals(True)
    assert missing.distinction is not None and missing.distinction == restored.distinction
    assert (missing.is_resolve, restored.is_resolve) == (False, True)


def test_alertmanager_heartbeat_is_an_alertmanager_group_notification(clock):
    from oncall.models import Integration

    integration = Integration(
        id="CX", name="Prom", type="alertmanager", token="t", default_route_id="R", created_at=clock.now()
    )
    payload = heartbeat.alert_payload(integration, False, "Prom: missing", "m", clock.now(), clock.now())
    assert payload["groupLabels"] == {"alertname": "OnCallHeartBeatMissing"}
    assert payload["groupKey"] == '{}:{alertname="OnCallHeartBeatMissing"}'
    assert (payload["status"], payload["numFiring"], payload["numResolved"]) == ("firing", 1, 0)
    assert payload["alerts"][0]["annotations"]["title"] == "Prom: missing"
    resolved = heartbeat.alert_payload(integration, True, "t", "m", clock.now(), clock.now())
    assert (resolved["status"], resolved["numFiring"], resolved["numResolved"]) == ("resolved", 0, 1)


# ------------------------------------------------------------------------------------------ API shapes
def test_status_in_the_api(hook, clock, store):
    body = present_heartbeat(hook.integration, None, "https://x", clock.now())
    assert body["state"] == "new" and body["link"].endswith(f"/{hook.integration.token}/heartbeat/")
    assert body["start_link"].endswith("/heartbeat/start") and body["period"] == 600
    hook.signal()
    body = present_heartbeat(hook.integration, store.get_heartbeat(hook.integration.id), "https://x", clock.now())
    assert body["state"] == "up" and body["last_ping_at"] == "2026-11-27T12:00:00Z"
    assert body["next_expected_at"] == "2026-11-27T12:10:00Z" and body["missing_at"] == "2026-11-27T12:11:00Z"
    # past the grace period the status says since when it is down, before and after the sweep's alert
    clock.advance(minutes=15)
    hb = store.get_heartbeat(hook.integration.id)
    assert present_heartbeat(hook.integration, hb, "https://x", clock.now())["down_since"] == "2026-11-27T12:11:00Z"
    hook.sweep()
    hook.signal()
    clock.advance(minutes=30)
    hb = store.get_heartbeat(hook.integration.id)
    body = present_heartbeat(hook.integration, hb, "https://x", clock.now())
    assert (body["state"], body["down_since"], body["outages"]) == ("down", "2026-11-27T12:26:00Z", 1)


def test_update_request_validation_names_the_field():
    assert HeartbeatUpdate.model_validate({"period": 3600}).settings() == {"period_seconds": 3600}
    assert HeartbeatUpdate.model_validate({"timeout_seconds": 120}).settings() == {"period_seconds": 120}
    assert HeartbeatUpdate.model_validate({"cron": None}).settings() == {"cron": None}
    for bad, field in [
        ({"period": 59}, "period"),
        ({"period": 366 * 86400}, "period"),
        ({"grace_period": -1}, "grace_period"),
        ({"cron": "every day"}, "cron"),
        ({"timezone": "Nowhere/Else"}, "timezone"),
        ({"templates": {"missing_title": "{{ oops"}}, "templates"),
    ]:
        with pytest.raises(PydanticValidationError) as error:
            HeartbeatUpdate.model_validate(bad)
        assert error.value.errors()[0]["loc"][0] == field
