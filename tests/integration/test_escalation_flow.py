"""The real state machine (statemachines/escalation.asl.json) executed by moto, driving the real escalate
handler through the Lambda hook, with time scaled 1000x."""

import json

import pytest

from oncall import wiring
from oncall.escalation import task as executions
from oncall.models import RotationLayer, Schedule, Team
from tests.builders import am_payload
from tests.integration.conftest import (
    create_chain,
    create_integration,
    fire,
    ingest_path,
    put_user,
    timeline_types,
)


def test_chain_notifies_waits_notifies_then_succeeds(aws):
    group_id = fire(
        aws,
        [
            {"type": "notify_channel", "channel": "outbox://first"},
            {"type": "wait", "duration": 300},
            {"type": "notify_channel", "channel": "outbox://second"},
        ],
    )
    assert aws.execution_status(group_id) == "SUCCEEDED"
    lines = aws.outbox_lines()
    assert [n["channel"] for n in lines] == ["outbox://first", "outbox://second"]
    assert set(lines[0]["action_links"]) == {"acknowledge", "resolve", "silence_1h"}
    assert lines[0]["action_links"]["acknowledge"].startswith("https://oncall.test/actions/")
    assert timeline_types(aws, group_id) == ["registered", "notified", "notified", "escalation_finished"]


def test_resolve_step_resolves_the_group(aws):
    group_id = fire(aws, [{"type": "wait", "duration": 60}, {"type": "resolve"}])
    assert aws.execution_status(group_id) == "SUCCEEDED"
    assert aws.api("GET", f"alert_groups/{group_id}").body["state"] == "resolved"


def test_a_failing_step_is_retried_then_recorded_with_a_metric(aws, monkeypatch, capsys):
    # given the escalate task keeps failing
    calls = []

    def failing(group_id, *args, **kwargs):
        calls.append(group_id)
        raise RuntimeError("DynamoDB is having a bad day")

    monkeypatch.setattr(executions, "run_escalation", failing)
    group_id = fire(aws, [{"type": "notify_channel", "channel": "outbox://x"}])
    # then Step Functions retried it, recorded the failure on the timeline, and the execution failed
    assert aws.execution_status(group_id, timeout=20) == "FAILED"
    # first try + 2 retries of States.TaskFailed (counted for this group: an execution an earlier test left
    # running in moto's threads, on a loaded machine, reaches the same patched function)
    assert calls.count(group_id) == 3
    timeline = aws.api("GET", f"alert_groups/{group_id}/timeline").body["results"]
    assert timeline[-1]["type"] == "escalation_failed" and "RuntimeError" in timeline[-1]["text"]
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert any("EscalationFailures" in metric for metric in emitted)


def test_a_failing_last_run_is_retried_then_recorded_like_any_other(aws, monkeypatch):
    # given a chain whose run after its only wait is the last (RunLastSteps), and that run keeps failing
    real = executions.run_escalation
    calls = []

    def failing_after_the_wait(group_id, step, *args, **kwargs):
        if step == 0:
            return real(group_id, step, *args, **kwargs)
        calls.append(group_id)
        raise RuntimeError("DynamoDB is having a bad day")

    monkeypatch.setattr(executions, "run_escalation", failing_after_the_wait)
    group_id = fire(aws, [{"type": "wait", "duration": 60}, {"type": "notify_channel", "channel": "outbox://x"}])
    # then the last run was tried 3 times, the failure is on the timeline and the execution failed
    assert aws.execution_status(group_id, timeout=20) == "FAILED"
    assert calls.count(group_id) == 3
    timeline = aws.api("GET", f"alert_groups/{group_id}/timeline").body["results"]
    assert timeline[-1]["type"] == "escalation_failed" and "RuntimeError" in timeline[-1]["text"]
    assert [e["type"] for e in timeline].count("escalation_attempt_failed") == 3


def test_personal_rules_wait_without_holding_up_the_chain(aws):
    alice = put_user(
        "alice",
        contacts={"push": "outbox://alice-push", "sms": "outbox://alice-sms"},
        rules=[
            {"type": "notify", "contact": "push"},
            {"type": "wait", "duration": 600},
            {"type": "notify", "contact": "sms"},
        ],
    )
    group_id = fire(
        aws,
        [
            {"type": "notify_persons", "persons_to_notify": [alice]},
            {"type": "notify_channel", "channel": "outbox://next"},
        ],
    )
    aws.wait_for(lambda: len(aws.outbox_lines()) == 3)
    channels = [n["channel"] for n in aws.outbox_lines()]
    # the chain's next step did not wait for alice's 10-minute rule wait
    assert channels.index("outbox://next") < channels.index("outbox://alice-sms")
    assert sorted(channels) == ["outbox://alice-push", "outbox://alice-sms", "outbox://next"]
    personal = f"{group_id}-p0r0-{alice}"
    assert aws.execution_status(personal) == "SUCCEEDED"
    assert aws.outbox_lines()[channels.index("outbox://alice-sms")]["user_id"] == alice


def test_a_retried_task_delivers_every_message_exactly_once(aws, monkeypatch):
    bob = put_user("bob", contacts={"a": "outbox://bob-a", "b": "outbox://bob-b"})
    with aws.functions.entered("EscalateFunction"):  # the escalate function's own notifier
        notifier = wiring.notifier()
    original = notifier.deliver
    failed = []

    def flaky(notification):
        if notification.channel == "outbox://bob-b" and not failed:
            failed.append(notification.idempotency_key)
            raise TimeoutError("provider timed out")  # after bob-a was delivered in the same run
        original(notification)

    monkeypatch.setattr(notifier, "deliver", flaky)
    group_id = fire(aws, [{"type": "notify_persons", "persons_to_notify": [bob]}])
    personal = f"{group_id}-p0r0-{bob}"
    assert aws.execution_status(personal) == "SUCCEEDED"
    assert failed and sorted(n["channel"] for n in aws.outbox_lines()) == ["outbox://bob-a", "outbox://bob-b"]
    assert timeline_types(aws, group_id).count("notified") == 2


def test_few_alerts_pause_until_the_next_alert_resumes(aws):
    chain = create_chain(
        aws,
        [
            {"type": "notify_channel", "channel": "outbox://first"},
            {"type": "notify_if_num_alerts_in_window", "num_alerts_in_window": 1, "num_minutes_in_window": 10},
            {"type": "notify_channel", "channel": "outbox://storm"},
        ],
    )
    integration = create_integration(aws, chain_id=chain["id"])
    aws.http("POST", ingest_path(integration), am_payload())
    aws.drain()
    [group] = aws.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body["results"]
    assert aws.execution_status(group["id"]) == "SUCCEEDED"
    assert "escalation_paused" in timeline_types(aws, group["id"])
    assert [n["channel"] for n in aws.outbox_lines()] == ["outbox://first"]
    # a second alert joins the group: the escalation resumes at the paused step and now goes on
    aws.http("POST", ingest_path(integration), am_payload())
    aws.drain()
    assert aws.execution_status(f"{group['id']}-resume1") == "SUCCEEDED"
    assert [n["channel"] for n in aws.outbox_lines()] == ["outbox://first", "outbox://storm"]


def test_repeat_escalation_pages_six_times(aws):
    group_id = fire(aws, [{"type": "notify_channel", "channel": "outbox://again"}, {"type": "repeat_escalation"}])
    assert aws.execution_status(group_id) == "SUCCEEDED"
    assert len(aws.outbox_lines()) == 6


# ------------------------------------------------------------------------------------------ cost
def _people():
    from oncall.platform import ids

    store = wiring.store()
    team = Team(id=ids.public_id(ids.PREFIX_TEAM), name="db", created_at="2026-01-01T00:00:00Z")
    store.put_team(team)
    alice = put_user("alice", team_ids=[team.id])
    schedule = Schedule(
        id="SPRIMARY",
        name="Primary",
        layers=[RotationLayer(users=[alice], frequency="daily", start="2026-01-01T00:00:00")],
        created_at="2026-01-01T00:00:00Z",
    )
    store.put_schedule(schedule)
    return {"alice": alice, "team": team.id, "schedule": schedule.id}


# State transitions (states entered) per escalation execution, for a chain of just that step; the empty chain
# costs 3 (Task, Choice, Succeed). A wait costs 3 (Task, Choice, Wait) and the chain's last wait is followed by
# the last run, which ends the execution (RunLastSteps: decision 0072), so "wait" costs 4, not 6. Notify steps
# add one personal execution per user (3 + 3 per rule wait).
TRANSITIONS = [
    ("(empty chain)", [], 3, 0),
    ("wait", [{"type": "wait", "duration": 600}], 4, 0),
    (
        "notify, wait, notify",
        [
            {"type": "notify_channel", "channel": "outbox://1"},
            {"type": "wait", "duration": 600},
            {"type": "notify_channel", "channel": "outbox://2"},
        ],
        4,
        0,
    ),
    ("wait, wait", [{"type": "wait", "duration": 600}, {"type": "wait", "duration": 600}], 7, 0),
    ("notify_channel", [{"type": "notify_channel", "channel": "outbox://c"}], 3, 0),
    ("notify_persons", [{"type": "notify_persons", "persons_to_notify": ["{alice}"]}], 3, 3),
    (
        "notify_person_next_each_time",
        [{"type": "notify_person_next_each_time", "persons_to_notify_next_each_time": ["{alice}"]}],
        3,
        3,
    ),
    (
        "notify_on_call_from_schedule",
        [{"type": "notify_on_call_from_schedule", "notify_on_call_from_schedule": "{schedule}"}],
        3,
        3,
    ),
    ("notify_team_members", [{"type": "notify_team_members", "team_to_notify": "{team}"}], 3, 3),
    ("trigger_webhook", [{"type": "trigger_webhook", "action_to_trigger": "WH1"}], 3, 0),
    ("resolve", [{"type": "resolve"}], 3, 0),
    (
        "notify_if_time_from_to (inside)",
        [{"type": "notify_if_time_from_to", "notify_if_time_from": "00:00:00Z", "notify_if_time_to": "00:00:00Z"}],
        3,
        0,
    ),
    (
        "notify_if_num_alerts_in_window (pauses)",
        [{"type": "notify_if_num_alerts_in_window", "num_alerts_in_window": 5, "num_minutes_in_window": 10}],
        3,
        0,
    ),
    ("repeat_escalation", [{"type": "notify_channel", "channel": "outbox://r"}, {"type": "repeat_escalation"}], 3, 0),
]


@pytest.mark.parametrize(("name", "steps", "escalation", "personal"), TRANSITIONS, ids=[t[0] for t in TRANSITIONS])
def test_state_transitions_per_step_type(aws, name, steps, escalation, personal):
    people = _people()
    resolved = json.loads(
        json.dumps(steps)
        .replace('"{alice}"', json.dumps(people["alice"]))
        .replace("{team}", people["team"])
        .replace("{schedule}", people["schedule"])
    )
    group_id = fire(aws, resolved)
    assert aws.execution_status(group_id) == "SUCCEEDED"
    assert aws.transitions(group_id) == escalation
    personal_runs = [n for n in aws.executions() if "-p0r0-" in n]
    for run in personal_runs:
        assert aws.execution_status(run) == "SUCCEEDED"
    assert sum(aws.transitions(run) for run in personal_runs) == personal


def test_a_wait_in_personal_rules_costs_three_transitions(aws):
    carol = put_user(
        "carol",
        rules=[
            {"type": "notify", "contact": "outbox"},
            {"type": "wait", "duration": 300},
            {"type": "notify", "contact": "outbox"},
        ],
    )
    group_id = fire(aws, [{"type": "notify_persons", "persons_to_notify": [carol]}])
    personal = f"{group_id}-p0r0-{carol}"
    assert aws.execution_status(personal) == "SUCCEEDED"
    assert aws.transitions(personal) == 6


@pytest.mark.parametrize("step", ["notify_channel", "notify_persons"])
def test_an_ack_committed_between_the_check_and_the_send_stops_the_page(aws, monkeypatch, step):
    """Given an escalation that has read its group (firing) and decided to page, when an acknowledgement is
    committed after that check and before the delivery is claimed, then no notification leaves and the
    timeline has no "notified" entry (issue 12 item 5). The ack is injected inside the real DynamoDB claim."""
    from oncall.groups import actions
    from oncall.models import SYSTEM
    from oncall.storage.dynamo import DynamoStore

    claim = DynamoStore.claim_delivery
    acked: list[str] = []

    def ack_then_claim(self, group_id, key, at, **options):
        if not acked:
            acked.append(group_id)
            actions.acknowledge(group_id, SYSTEM, wiring.action_deps())
        return claim(self, group_id, key, at, **options)

    monkeypatch.setattr(DynamoStore, "claim_delivery", ack_then_claim)
    alice = put_user("alice", contacts={"push": "outbox://alice"})
    steps = {
        "notify_channel": [{"type": "notify_channel", "channel": "outbox://pager"}],
        "notify_persons": [{"type": "notify_persons", "persons_to_notify": [alice]}],
    }[step]
    group_id = fire(aws, steps)
    aws.wait_for(lambda: acked and aws.execution_status(acked[0]) in ("SUCCEEDED", "ABORTED"))
    if step == "notify_persons":
        personal = f"{group_id}-p0r0-{alice}"
        aws.wait_for(lambda: aws.execution_status(personal) in ("SUCCEEDED", "ABORTED"))
    assert acked == [group_id]
    assert aws.api("GET", f"alert_groups/{group_id}").body["state"] == "acknowledged"
    assert aws.outbox_lines() == []
    assert "notified" not in timeline_types(aws, group_id)


def test_state_checks_read_strongly_consistently(aws):
    """DynamoDB reads are eventually consistent unless asked (moto always answers with the latest write, so
    only the request shows it): every GetItem, Query and BatchGetItem on the table during an escalation,
    an acknowledgement and a webhook-free flow asks ConsistentRead, except queries of a secondary index
    (which cannot) (issue 12 item 5). One read is eventually consistent on purpose: route's batch read of the
    alerts it was handed (decision 68: a miss is read again consistently, and the conditional writes decide)."""
    from oncall.platform.aws import client

    calls: list[tuple[str, str, dict]] = []

    def recorder(function: str):
        def record(params, model, **_):
            calls.append((function, model.name, params))

        return record

    # each function reads through its own container's client
    emitters = []
    for name in aws.topology.functions:
        with aws.functions.entered(name):
            emitters.append((client("dynamodb").meta.events, recorder(name)))
    for events, record in emitters:
        for operation in ("GetItem", "Query", "BatchGetItem"):
            events.register(f"provide-client-params.dynamodb.{operation}", record)
    try:
        group_id = fire(aws, [{"type": "notify_channel", "channel": "outbox://x"}, {"type": "wait", "duration": 60}])
        aws.wait_for(aws.outbox_lines)
        assert aws.api("POST", f"alert_groups/{group_id}/acknowledge").status == 200
    finally:
        for events, record in emitters:
            for operation in ("GetItem", "Query", "BatchGetItem"):
                events.unregister(f"provide-client-params.dynamodb.{operation}", record)
    eventual, route_batch_reads = [], []
    for function, name, params in calls:
        if name == "BatchGetItem":
            lax = [f"{function} {name}" for table in params["RequestItems"].values() if not table.get("ConsistentRead")]
            if function.startswith("Route"):
                route_batch_reads += lax
            else:
                eventual += lax
        elif not params.get("IndexName") and not params.get("ConsistentRead"):
            eventual.append(f"{function} {name} {params.get('KeyConditionExpression') or params.get('Key')}")
    assert calls and eventual == []
    assert len(route_batch_reads) == 1  # the one alert's batch, read once
