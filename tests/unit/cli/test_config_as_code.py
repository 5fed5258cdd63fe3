"""Configuration as code, pure: the file's validation, export, the planner (desired vs current → plan) and
the order the applier calls the API in (against a recording fake)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from oncall_cli.config_apply import Applier
from oncall_cli.config_as_code import (
    MISSING,
    ConfigFileError,
    RouteSpec,
    SeqOp,
    Snapshot,
    StepSpec,
    dump_yaml,
    export_config,
    load_config,
    plan,
    sequence_ops,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SLACK = "slack://T000/B000/XXXXSECRET"
MASKED_SLACK = "slack://****/****"


# ------------------------------------------------------------------------------------------ API-shaped objects
def _route(rid, integration_id, position, chain_id, *, regex=None, labels=None, jinja2=None, default=False):
    routing_type = "labels" if labels else "jinja2" if jinja2 else "regex"
    return {
        "id": rid,
        "integration_id": integration_id,
        "escalation_chain_id": chain_id,
        "routing_type": routing_type,
        "routing_regex": None if labels else (jinja2 or regex),
        "routing_labels": labels or {},
        "position": position,
        "is_the_last_route": default,
    }


def _integration(iid, name, kind="alertmanager", *, chain_id=None, heartbeat=True, templates=None, **options):
    public = {"grouping_key": None, "resolve_signal": None, "acknowledge_signal": None, "source_link": None}
    public |= {"web": {"title": None, "message": None, "image_url": None}, "sms": {"title": None}}
    for name_, value in (templates or {}).items():
        if isinstance(value, dict):
            public[name_] |= value
        else:
            public[name_] = value
    body = {
        "id": iid,
        "name": name,
        "type": kind,
        "team_id": None,
        "description_short": None,
        "default_route": {"id": f"R{iid}", "escalation_chain_id": chain_id},
        "templates": public,
        "heartbeat": {
            "period": 600,
            "grace_period": 60,
            "cron": None,
            "timezone": "UTC",
            "post_only": False,
            "templates": dict.fromkeys(("missing_title", "missing_message", "restored_title", "restored_message")),
            "state": "new",
        }
        if heartbeat
        else None,
        "labels": {},
        "dynamic_labels": {},
        "labels_template": None,
        "allow_source_based_resolving": True,
        "grouping_scope": "route",
        "auto_resolve_minutes": None,
        "rate_limit": None,
    }
    return body | options


def _step(sid, chain_id, position, kind, **fields):
    return {"id": sid, "escalation_chain_id": chain_id, "position": position, "type": kind, **fields}


def _webhook(wid, name, **fields):
    body = {
        "id": wid,
        "name": name,
        "team": None,
        "is_webhook_enabled": True,
        "trigger_type": "escalation",
        "http_method": "POST",
        "url": "https://hooks.example.com/x",
        "headers": None,
        "data": None,
        "forward_all": True,
        "username": None,
        "password": None,
        "authorization_header": None,
        "trigger_template": None,
        "integration_filter": [],
        "preset": None,
        "timeout_seconds": 10,
        "max_retries": 3,
    }
    return body | fields


def deployment() -> Snapshot:
    """A deployment using every kind of resource and reference, as the API would show it."""
    return Snapshot(
        settings={"acknowledge_remind_timeout": 60, "unacknowledge_timeout": 0},
        teams=[{"id": "T1", "name": "SRE", "email": "sre@example.com"}],
        users=[
            {
                "id": "U1",
                "username": "alice",
                "name": "Alice",
                "email": "alice@example.com",
                "phone": None,
                "timezone": "Europe/Paris",
                "teams": ["T1"],
                "contacts": {"push": "outbox://alice", "slack": MASKED_SLACK},
                "default_rules": [{"type": "notify", "contact": "push"}, {"type": "wait", "duration": 300}],
                "important_rules": [{"type": "notify", "contact": "slack"}],
            },
            {
                "id": "U2",
                "username": "bob",
                "name": "",
                "email": None,
                "phone": None,
                "timezone": "UTC",
                "teams": [],
                "contacts": {"push": "outbox://bob"},
                "default_rules": [],
                "important_rules": [],
            },
        ],
        schedules=[
            {
                "id": "S1",
                "name": "Primary",
                "type": "calendar",
                "team_id": "T1",
                "time_zone": "Europe/Paris",
                "on_call_now": ["U1"],
                "layers": [
                    {
                        "frequency": "weekly",
                        "shift_seconds": None,
                        "duration": None,
                        "users": ["U1", "U2"],
                        "start": "2026-03-23T09:00:00",
                    }
                ],
                "overrides": [{"user_id": "U2", "start": "2026-03-31T10:00:00Z", "end": "2026-03-31T12:00:00Z"}],
                "ical_url_primary": None,
            }
        ],
        webhooks=[_webhook("W1", "tickets", password="****************", integration_filter=["C1"], team="T1")],
        chains=[{"id": "F1", "name": "Default", "team_id": "T1"}, {"id": "F2", "name": "Critical", "team_id": None}],
        steps=[
            _step("E1", "F1", 0, "notify_on_call_from_schedule", notify_on_call_from_schedule="S1", important=False),
            _step("E2", "F1", 1, "wait", duration=600),
            _step("E3", "F1", 2, "notify_persons", persons_to_notify=["U1", "U2"], important=True),
            _step("E4", "F1", 3, "trigger_webhook", action_to_trigger="W1"),
            _step("E5", "F1", 4, "repeat_escalation"),
            _step("E6", "F2", 0, "notify_team_members", team_to_notify="T1", important=True),
        ],
        integrations=[
            _integration(
                "C1",
                "Prometheus",
                chain_id="F1",
                templates={"web": {"title": "{{ payload.x }}\n{{ payload.y }}"}, "grouping_key": "{{ payload.k }}"},
                labels={"env": "prod"},
                rate_limit={"alerts": 300, "per_seconds": 300},
            ),
            _integration("C2", "Hooks", "webhook", heartbeat=False),
        ],
        routes=[
            _route("RC1", "C1", 0, "F1", default=True),
            _route("R1", "C1", 0, "F2", labels={"severity": "critical"}),
            _route("R2", "C1", 1, None, regex="db-[0-9]+"),
            _route("RC2", "C2", 0, None, default=True),
        ],
        windows={
            "C1": [
                {
                    "id": "M1",
                    "mode": "maintenance",
                    "start_at": None,
                    "cron": "0 22 * * 6",
                    "timezone": "Europe/Berlin",
                    "duration": 14400,
                    "pause_running_escalations": False,
                }
            ],
            "C2": [],
        },
    )


def exported_file(snapshot: Snapshot) -> str:
    return dump_yaml(export_config(snapshot))


def load(text: str):
    return load_config(text)


def plan_for(text: str, snapshot: Snapshot | None = None, **options):
    return plan(load(text), export_config(snapshot or deployment()), now=NOW, **options)


def summary(result) -> list[tuple[str, str, str]]:
    return [(c.action, c.kind.label, c.name) for c in result.changes]


# ------------------------------------------------------------------------------------------ round trip
def test_an_export_reapplied_plans_nothing_even_with_prune():
    # given the deployment exported to a file
    text = exported_file(deployment())
    # when that file is planned against the same deployment, pruning
    result = plan_for(text, prune=True)
    # then nothing changes, and the masked secrets are not problems
    assert result.problems == []
    assert result.changes == []


def test_the_exported_file_names_things_and_masks_secrets():
    text = exported_file(deployment())
    assert "default_chain: Default" in text and "chain: Critical" in text
    assert "- alice" in text and "schedule: Primary" in text and "webhook: tickets" in text
    assert MASKED_SLACK in text and "password: '****************'" in text
    assert "duration: 10m" in text and "title: |-" in text  # humane durations; templates as blocks
    assert "U1" not in text and "F1" not in text and "C1" not in text


def test_a_file_with_every_section_creates_everything_in_dependency_order():
    # given an empty deployment
    empty = Snapshot(settings={"acknowledge_remind_timeout": 0, "unacknowledge_timeout": 0})
    text = exported_file(deployment()).replace(MASKED_SLACK, SLACK).replace("'****************'", "hunter2")
    # when the full file is planned
    result = plan_for(text, empty)
    # then everything is created, what is named before what names it
    assert result.problems == []
    assert [kind for _, kind, _ in summary(result)] == [
        "settings",
        "team",
        "user",
        "user",
        "schedule",
        "escalation chain",
        "escalation chain",
        "integration",
        "integration",
        "webhook",
    ]
    assert summary(result)[0][0] == "update" and {a for a, _, _ in summary(result)[1:]} == {"create"}


def test_masked_secrets_cannot_create_anything():
    empty = Snapshot()
    result = plan_for(exported_file(deployment()), empty)
    assert "users[0].contacts.slack: a masked value keeps a stored secret, but none is stored" in result.problems[0]
    assert any(p.startswith("webhooks[0].password: a masked value") for p in result.problems)


# ------------------------------------------------------------------------------------------ updates
def test_changed_fields_are_listed_with_their_path():
    text = exported_file(deployment()).replace("env: prod", "env: staging").replace("duration: 10m", "duration: 15m")
    result = plan_for(text)
    assert summary(result) == [("update", "escalation chain", "Default"), ("update", "integration", "Prometheus")]
    chain, integration = result.changes
    assert [(d.path, d.old, d.new) for d in chain.diffs] == [("steps[1].duration", "10m", "15m")]
    assert [(d.path, d.old, d.new) for d in integration.diffs] == [("labels.env", "prod", "staging")]


def test_an_omitted_field_means_its_default():
    # given alice's file entry without her important rules and the integration without its rate limit
    text = exported_file(deployment())
    text = text.replace("  important_rules:\n  - notify: slack\n", "")
    text = text.replace("  rate_limit:\n    alerts: 300\n    per_seconds: 5m\n", "")
    result = plan_for(text)
    diffs = {(c.name, d.path): (d.old, d.new) for c in result.changes for d in c.diffs}
    assert diffs[("alice", "important_rules")] == ([{"notify": "slack"}], [])
    assert diffs[("Prometheus", "rate_limit")] == ({"alerts": 300, "per_seconds": 300}, None)


def test_heartbeat_and_windows_left_out_are_left_alone():
    # given a file whose integration says nothing of its (non-default) heartbeat and its windows
    snapshot = deployment()
    snapshot.integrations[0]["heartbeat"]["period"] = 3600
    text = exported_file(snapshot)
    assert "heartbeat:" in text and "maintenance_windows:" in text
    trimmed = text.split("  heartbeat:")[0] + "- name: Hooks\n  type: webhook\n"
    # when it is planned
    result = plan_for(trimmed, snapshot)
    # then neither the heartbeat nor the windows change
    assert result.changes == [] and result.problems == []
    # but a declared empty list of windows deletes them
    result = plan_for(trimmed.replace("- name: Hooks", "  maintenance_windows: []\n- name: Hooks"), snapshot)
    assert [d.path for d in result.changes[0].diffs] == ["maintenance_windows"]


def test_a_one_off_window_that_has_started_is_not_brought_back():
    text = exported_file(deployment()).replace(
        "  maintenance_windows:\n", "  maintenance_windows:\n  - start_at: 2026-05-01T00:00:00Z\n    duration: 1h\n"
    )
    result = plan_for(text)
    assert result.changes == []
    assert result.notes == ['integration "Prometheus": the one-off window at 2026-05-01T00:00:00Z has started: ignored']


def test_an_integration_cannot_change_type():
    text = exported_file(deployment()).replace("name: Hooks\n  type: webhook", "name: Hooks\n  type: zabbix")
    result = plan_for(text)
    assert result.problems == [
        "integrations[1].type: cannot change from webhook to zabbix (its URL would change): give the new "
        "integration another name, or delete this one"
    ]


# ------------------------------------------------------------------------------------------ renames
def test_a_renamed_integration_is_updated_in_place_and_what_names_it_follows():
    # given the integration renamed in the file, and the webhook filtering on it by its new name
    text = exported_file(deployment())
    text = text.replace("- name: Prometheus\n", "- name: Prometheus prod\n  renamed_from: Prometheus\n")
    text = text.replace("  integration_filter:\n  - Prometheus\n", "  integration_filter:\n  - Prometheus prod\n")
    # when it is planned with prune
    result = plan_for(text, prune=True)
    # then the integration is renamed (not deleted and created: its URL stays), and nothing else changes
    assert summary(result) == [("update", "integration", "Prometheus prod")]
    change = result.changes[0]
    assert change.renamed and change.current_name == "Prometheus"
    assert [(d.path, d.old, d.new) for d in change.diffs] == [("name", "Prometheus", "Prometheus prod")]


def test_renamed_chain_user_and_team_references_follow():
    text = exported_file(deployment())
    text = text.replace("- name: Critical\n", "- name: Urgent\n  renamed_from: Critical\n")
    text = text.replace("chain: Critical", "chain: Urgent")
    text = text.replace("- username: bob\n", "- username: robert\n  renamed_from: bob\n")
    text = text.replace("  - bob\n", "  - robert\n").replace("user: bob", "user: robert")
    result = plan_for(text)
    assert summary(result) == [("update", "user", "robert"), ("update", "escalation chain", "Urgent")]
    assert all([d.path for d in c.diffs] == ["username" if c.kind.label == "user" else "name"] for c in result.changes)


def test_a_rename_already_done_matches_by_the_new_name():
    snapshot = deployment()
    snapshot.chains[1]["name"] = "Urgent"
    text = exported_file(snapshot).replace("- name: Urgent\n", "- name: Urgent\n  renamed_from: Critical\n")
    assert plan_for(text, snapshot).changes == []


def test_renaming_onto_a_declared_name_creates_instead():
    # "renamed_from: Critical" while Critical itself is still declared: both exist afterwards
    text = exported_file(deployment()).replace(
        "escalation_chains:\n", "escalation_chains:\n- name: Urgent\n  renamed_from: Critical\n"
    )
    assert summary(plan_for(text)) == [("create", "escalation chain", "Urgent")]


# ------------------------------------------------------------------------------------------ prune
def test_without_prune_nothing_is_deleted():
    text = "teams: []\nescalation_chains:\n- name: Default\n  team: SRE\n  steps: []\n"
    result = plan_for(text)
    assert [c.action for c in result.changes] == ["update"]  # the steps, not a delete
    assert result.unmanaged == {"team": ["SRE"], "escalation chain": ["Critical"]}


def test_prune_deletes_what_declared_sections_leave_out_most_dependent_first():
    # given a file declaring only teams, webhooks, chains and integrations, all empty
    text = "teams: []\nwebhooks: []\nescalation_chains: []\nintegrations: []\n"
    # when pruning while the users (not declared) still belong to the team
    result = plan_for(text, prune=True)
    # then deletions go integrations, chains, webhooks, teams; users and schedules are not managed
    assert summary(result) == [
        ("delete", "integration", "Hooks"),
        ("delete", "integration", "Prometheus"),
        ("delete", "escalation chain", "Critical"),
        ("delete", "escalation chain", "Default"),
        ("delete", "webhook", "tickets"),
        ("delete", "team", "SRE"),
    ]
    # and deleting a team that undeclared users and schedules still name is refused
    assert 'cannot delete team "SRE": user "alice", which the file does not declare, still uses it' in result.problems
    assert 'cannot delete team "SRE": schedule "Primary", which the file does not declare, still uses it' in (
        result.problems
    )


def test_prune_keeps_what_the_file_renames():
    text = "escalation_chains:\n- name: Urgent\n  renamed_from: Critical\n  steps:\n"
    text += "  - type: notify_team_members\n    team: SRE\n    important: true\n"
    result = plan_for(text, prune=True)
    assert summary(result) == [("update", "escalation chain", "Urgent"), ("delete", "escalation chain", "Default")]
    assert result.problems == [
        'cannot delete escalation chain "Default": integration "Prometheus", which the file does not declare, '
        "still uses it"
    ]


# ------------------------------------------------------------------------------------------ references
def test_unknown_names_are_problems_naming_the_path():
    text = (
        "integrations:\n- name: X\n  type: webhook\n  routes:\n  - regex: a\n    chain: db\n"
        "escalation_chains:\n- name: Y\n  steps:\n  - type: notify_persons\n    persons: [alice, carol]\n"
    )
    result = plan_for(text)
    assert result.problems == [
        'escalation_chains[0].steps[0].persons[1]: no user named "carol"',
        'integrations[0].routes[0].chain: no escalation chain named "db"',
    ]


def test_references_to_existing_resources_the_file_does_not_declare_are_fine():
    result = plan_for("integrations:\n- name: New\n  type: webhook\n  default_chain: Default\n")
    assert result.problems == [] and summary(result) == [("create", "integration", "New")]


def test_a_name_pruned_away_cannot_be_used():
    text = "escalation_chains: []\nintegrations:\n- name: New\n  type: webhook\n  default_chain: Default\n"
    assert 'integrations[0].default_chain: no escalation chain named "Default"' in plan_for(text, prune=True).problems


# ------------------------------------------------------------------------------------------ secrets
def _user_text(slack: str) -> str:
    return (
        "users:\n- username: alice\n  name: Alice\n  email: alice@example.com\n  timezone: Europe/Paris\n"
        f"  teams: [SRE]\n  contacts:\n    push: outbox://alice\n    slack: {slack}\n"
        "  default_rules:\n  - notify: push\n  - wait: 5m\n  important_rules:\n  - notify: slack\n"
    )


def test_a_masked_secret_keeps_what_is_stored():
    assert plan_for(_user_text(MASKED_SLACK)).changes == []


def test_a_real_secret_that_masks_to_what_is_stored_is_unchanged_unless_asked():
    assert plan_for(_user_text(SLACK)).changes == []
    forced = plan_for(_user_text(SLACK), update_secrets=True)
    assert summary(forced) == [("update", "user", "alice")]
    assert [d.path for d in forced.changes[0].diffs] == ["contacts.slack"]
    assert SLACK not in str(forced.to_json())  # plans never show secrets


def test_a_different_secret_is_an_update_shown_masked():
    result = plan_for(_user_text("discord://webhook_id/token"))
    diff = result.changes[0].diffs[0]
    assert (diff.path, diff.secret) == ("contacts.slack", True)
    assert result.changes[0].to_json()["changes"][0] == {
        "path": "contacts.slack",
        "old": MASKED_SLACK,
        "new": "discord://webhook_id/****",
    }


def test_a_masked_value_that_does_not_match_is_a_problem():
    result = plan_for(_user_text("slack://****/****/****"))
    assert result.problems == [
        "users[0].contacts.slack: the masked value does not match what is stored (slack://****/****): write the "
        "real value"
    ]


def test_webhook_credentials():
    base = exported_file(deployment())
    assert plan_for(base.replace("password: '****************'", "password: hunter2")).changes == []
    cleared = plan_for(base.replace("  password: '****************'\n", ""))
    assert [(d.path, d.secret) for d in cleared.changes[0].diffs] == [("password", True)]
    assert cleared.changes[0].to_json()["changes"][0]["old"] == "****************"


# ------------------------------------------------------------------------------------------ ordered lists
R = RouteSpec


def test_inserting_a_route_first_is_one_create():
    current = [R(regex="a"), R(labels={"x": "1"})]
    assert sequence_ops([R(regex="new"), *current], current) == [SeqOp("create", index=0)]


def test_removing_the_first_route_deletes_it_and_moves_nothing():
    current = [R(regex="a"), R(regex="b"), R(regex="c")]
    ops = sequence_ops(current[1:], current)
    assert [(o.action, o.current) for o in ops] == [("delete", 0)]


def test_a_changed_route_is_updated_in_place_and_a_swap_moves_one():
    current = [R(regex="a", chain="A"), R(labels={"s": "1"})]
    ops = sequence_ops([R(regex="a", chain="B"), R(labels={"s": "1"})], current)
    assert [(o.action, o.index, o.current, o.changed, o.move) for o in ops] == [("update", 0, 0, True, False)]
    swapped = sequence_ops([current[1], current[0]], current)
    assert [(o.action, o.index, o.current, o.move) for o in swapped] == [("update", 0, 1, True)]


def test_a_step_changing_type_is_deleted_and_created():
    current = [StepSpec(type="wait", duration=60), StepSpec(type="repeat_escalation")]
    desired = [StepSpec(type="resolve"), StepSpec(type="repeat_escalation")]
    assert [(o.action, o.index, o.current) for o in sequence_ops(desired, current)] == [
        ("delete", None, 0),
        ("create", 0, None),
    ]


def test_route_plans_read_as_edits():
    text = exported_file(deployment()).replace("  - regex: db-[0-9]+\n", "  - regex: db-[0-9]+\n  - jinja2: '1'\n")
    text = text.replace("severity: critical", "severity: page")
    diffs = [(d.path, d.old, d.new) for d in plan_for(text).changes[0].diffs]
    assert diffs == [
        ("routes[0].labels.severity", "critical", "page"),
        ("routes[2]", MISSING, {"jinja2": "1"}),
    ]


# ------------------------------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("integrations:\n- name: A\n  type: webhook\n  colour: red\n", "integrations[0].colour: unknown field"),
        ("integrations:\n- name: A\n", "integrations[0].type: required field missing"),
        ("teams:\n- name: A\n- name: A\n", 'teams[1].name: "A" is declared twice (also [0])'),
        (
            "escalation_chains:\n- name: A\n  steps:\n  - type: notify_persons\n    duration: 5m\n    persons: [a]\n",
            "escalation_chains[0].steps[0].duration: not a field of notify_persons steps (they have: persons, "
            "important)",
        ),
        (
            "escalation_chains:\n- name: A\n  steps:\n  - type: notify_on_call_from_schedule\n",
            "escalation_chains[0].steps[0].schedule: required for notify_on_call_from_schedule steps",
        ),
        (
            "escalation_chains:\n- name: A\n  steps:\n  - type: wait\n    duration: soon\n",
            "escalation_chains[0].steps[0].duration: 'soon' is not a duration (e.g. 90s, 10m, 1h30m, 2d)",
        ),
        (
            "integrations:\n- name: A\n  type: webhook\n  routes:\n  - regex: a\n    labels: {a: b}\n",
            "integrations[0].routes[0]: give exactly one of regex, jinja2 or labels",
        ),
        (
            "integrations:\n- name: A\n  type: webhook\n  templates: {web: {titel: x}}\n",
            "integrations[0].templates.web.titel: unknown template",
        ),
        (
            "users:\n- username: a\n  default_rules:\n  - notify: sms\n",
            'users[0].default_rules[0].contact: no contact named "sms" (contacts: none)',
        ),
        ("schedules:\n- name: A\n  time_zone: Mars/Olympus\n", "schedules[0]: unknown time zone 'Mars/Olympus'"),
        ("teams: [\n", "oncall.yaml:2:1: not valid YAML"),
        ("- a\n", "oncall.yaml: expected a mapping of sections"),
    ],
)
def test_invalid_files_are_explained_with_the_path(text, problem):
    with pytest.raises(ConfigFileError) as raised:
        load_config(text)
    assert any(p.startswith(problem) for p in raised.value.problems), raised.value.problems


def test_shorthands_and_normal_forms():
    config = load_config(
        "users:\n- username: a\n  contacts: {p: outbox://a}\n  default_rules:\n"
        "  - {type: notify, contact: p}\n  - wait: 1h30m\n"
        "escalation_chains:\n- name: A\n  steps:\n  - type: wait\n  - type: notify_if_time_from_to\n"
        "    notify_if_time_from: 9:30\n    notify_if_time_to: '17:00'\n"
        "  - type: notify_persons\n    persons_to_notify: [a, a]\n"
        "integrations:\n- name: I\n  type: webhook\n  labels: {code: 500, paging: true}\n"
        "  templates: {web.title: x, sms: {title: null}, grouping_key: ''}\n"
    )
    assert config.users[0].default_rules[1].duration == 5400
    steps = config.escalation_chains[0].steps
    assert steps[0].duration == 300  # what the API stores for a wait without duration
    assert (steps[1].notify_if_time_from, steps[1].notify_if_time_to) == ("09:30:00Z", "17:00:00Z")
    assert steps[2].persons == ["a"]
    assert config.integrations[0].labels == {"code": "500", "paging": "true"}
    assert config.integrations[0].templates == {"web": {"title": "x"}}


def test_schedule_times_are_normalized_like_the_api():
    config = load_config(
        "schedules:\n- name: A\n  time_zone: Europe/Paris\n  layers:\n"
        "  - {users: [a], start: '2026-03-23T08:00:00Z'}\n"
        "  overrides:\n  - {user: a, start: '2026-03-31T12:00:00', end: '2026-03-31T14:00:00+02:00'}\n"
    )
    schedule = config.schedules[0]
    assert schedule.layers[0].start == datetime(2026, 3, 23, 9, 0)  # local time
    assert schedule.overrides[0].start == datetime(2026, 3, 31, 10, 0, tzinfo=UTC)  # 12:00 in Paris
    assert schedule.overrides[0].end == datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


# ------------------------------------------------------------------------------------------ the applier
class RecordingApi:
    """Answers like the API (an id for every created object) and records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.count = 0

    def request(self, method: str, path: str, json: Any = None, **_: Any) -> dict[str, Any]:
        self.calls.append((method, path, copy.deepcopy(json)))
        self.count += 1
        return {"id": f"new{self.count}", **(json or {})}


def test_the_applier_creates_what_is_named_before_what_names_it():
    # given the full configuration and an empty deployment
    empty = Snapshot(settings={"acknowledge_remind_timeout": 0, "unacknowledge_timeout": 0})
    text = exported_file(deployment()).replace(MASKED_SLACK, SLACK).replace("'****************'", "hunter2")
    result = plan_for(text, empty)
    api = RecordingApi()
    seen: list[str] = []
    # when it is applied
    applied = Applier(api, empty, lambda change, done, total: seen.append(f"{done}/{total} {change.name}")).apply(
        result
    )
    # then every change is reported once, in order
    assert applied == len(result.changes) == 10 and seen[-1] == "10/10 Critical"
    posts = [path for method, path, _ in api.calls if method == "POST"]
    # and chains exist before the integrations route to them, integrations before the webhook filtering on
    # them, the webhook before the step that triggers it
    assert posts.index("escalation_chains") < posts.index("integrations") < posts.index("webhooks")
    trigger = next(
        i
        for i, (m, p, body) in enumerate(api.calls)
        if p == "escalation_policies" and body["type"] == "trigger_webhook"
    )
    webhook_call = next(i for i, (m, p, _) in enumerate(api.calls) if p == "webhooks")
    assert webhook_call < trigger
    # and bodies carry ids, not names
    webhook_body = api.calls[webhook_call][2]
    integration_id = next(
        f"new{i + 1}"
        for i, (m, p, body) in enumerate(api.calls)
        if p == "integrations" and body["name"] == "Prometheus"
    )
    assert webhook_body["integration_filter"] == [integration_id] and webhook_body["password"] == "hunter2"
    route = next(body for m, p, body in api.calls if p == "routes" and body.get("routing_type") == "labels")
    assert route["position"] == 0 and route["escalation_chain_id"].startswith("new")
    assert ("PUT", f"integrations/{integration_id}/heartbeat") not in [(m, p) for m, p, _ in api.calls]


def test_the_applier_updates_lists_through_positions_and_resets_unset_templates():
    snapshot = deployment()
    text = exported_file(snapshot).replace("    grouping_key: '{{ payload.k }}'\n", "")
    text = text.replace("  routes:\n", "  routes:\n  - regex: first\n")
    result = plan_for(text, snapshot)
    api = RecordingApi()
    Applier(api, snapshot).apply(result)
    methods = [(m, p) for m, p, _ in api.calls]
    assert methods == [("PATCH", "integrations/C1"), ("POST", "routes")]
    patch = api.calls[0][2]
    assert patch["templates"]["grouping_key"] is None and patch["templates"]["web"]["title"].startswith("{{")
    assert api.calls[1][2] == {
        "integration_id": "C1",
        "escalation_chain_id": None,
        "position": 0,
        "routing_type": "regex",
        "routing_regex": "first",
    }


def _masked_webhook_and_channel_deployment() -> Snapshot:
    """The deployment as the API shows it since issue 13: webhook URL and header values, channels masked."""
    snapshot = deployment()
    snapshot.webhooks[0].update(url="https://hooks.example.com/****", headers='{"X-Token": "****"}')
    snapshot.steps.append(_step("E7", "F2", 1, "notify_channel", channel="slack://****/****", important=False))
    return snapshot


def test_real_webhook_urls_headers_and_channels_that_mask_to_what_is_stored_are_unchanged():
    # given a file written with the real values
    config = export_config(_masked_webhook_and_channel_deployment())
    config.webhooks[0].url = "https://hooks.example.com/T0AB12CD34/secret"
    config.webhooks[0].headers = '{"X-Token": "tok-123456"}'
    config.escalation_chains[1].steps[1].channel = "slack://T0AB12CD3/B0CD34EF5/abcdEFGH1234"
    # when it is planned against the deployment (which shows them masked)
    result = plan(config, export_config(_masked_webhook_and_channel_deployment()), now=NOW)
    # then nothing changes
    assert result.problems == [] and result.changes == []
