"""`oncall migrate`'s reading (against the OnCall API v1 fake on loopback, sleeps injected) and its mapping
(pure): pages, 429/5xx, bad tokens, every step type, legacy types, tokens, users, shifts, the report."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from oncall_cli.commands.migrate import integration_base
from oncall_cli.config_as_code import Config, IntegrationSpec, UserSpec, check, plan
from oncall_cli.migrate import (
    OnCallV1Source,
    SourceError,
    api_base,
    fit_to_destination,
    map_source,
    token_of,
)
from tests.oncall_v1_fake import AM_TOKEN, LEGACY_AM_TOKEN, LEGACY_GRAFANA_TOKEN, TOKEN, OnCallV1Fake

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def fake():
    with OnCallV1Fake() as server:
        yield server


def _source(fake, token=TOKEN):
    slept: list[float] = []
    return OnCallV1Source(fake.url, token, sleep=slept.append), slept


def _migration(fake):
    source, _ = _source(fake)
    return map_source(source.read(), now=NOW)


# ------------------------------------------------------------------------------------------ reading
def test_every_list_is_read_across_its_pages(fake):
    source, slept = _source(fake)
    data = source.read()
    assert [u["username"] for u in data["users"]] == ["alice", "bob", "carol"]
    assert len(data["escalation_policies"]) == 13
    assert len(data["integrations"]) == 8
    pages = [r for r in fake.requests if r.startswith("GET /api/v1/escalation_policies/")]
    assert len(pages) == 7  # 2 per page
    assert slept == []


def test_a_429_waits_what_ratelimit_reset_says_then_goes_on(fake):
    fake.fault("integrations", 429, {"RateLimit-Reset": "7"})
    source, slept = _source(fake)
    assert len(source.list_all("integrations")) == 8
    assert slept == [7.0]


def test_5xx_answers_are_retried_with_backoff(fake):
    fake.fault("users", 502, times=2)
    source, slept = _source(fake)
    assert len(source.list_all("users")) == 3
    assert slept == [1.0, 2.0]


def test_a_source_that_keeps_failing_is_a_clear_error(fake):
    fake.fault("users", 500, times=10)
    source, _ = _source(fake)
    with pytest.raises(SourceError, match="HTTP 500"):
        source.list_all("users")


def test_a_wrong_source_token_is_a_clear_error_without_retries(fake):
    source, slept = _source(fake, token="wrong")
    with pytest.raises(SourceError, match="refused the token.*--from-token"):
        source.read()
    assert slept == [] and len(fake.requests) == 1


def test_an_unreachable_source_is_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    slept: list[float] = []
    source = OnCallV1Source(f"http://127.0.0.1:{port}", TOKEN, sleep=slept.append, timeout=2)
    with pytest.raises(SourceError, match="Cannot reach the source"):
        source.read()
    assert len(slept) == 5


def test_the_source_url_may_be_the_base_or_the_api_url():
    assert api_base("https://oncall.example.com/") == "https://oncall.example.com/api/v1"
    assert api_base("https://oncall.example.com/api/v1/") == "https://oncall.example.com/api/v1"
    with pytest.raises(SourceError):
        api_base("oncall.example.com")


# ------------------------------------------------------------------------------------------ mapping
def test_each_integration_keeps_the_token_of_its_link_and_legacy_types_map_to_their_twin(fake):
    migration = _migration(fake)
    integrations = {i.name: i for i in migration.config.integrations}
    assert (integrations["Prometheus"].type, integrations["Prometheus"].token) == ("alertmanager", AM_TOKEN)
    assert integrations["Old Prometheus"].token == LEGACY_AM_TOKEN
    assert (integrations["Old Grafana alerting"].type, integrations["Old Grafana alerting"].token) == (
        "grafana_alerting",
        LEGACY_GRAFANA_TOKEN,
    )
    # types with no equivalent are reported, not guessed
    assert set(integrations) == {"Prometheus", "Old Prometheus", "Old Grafana alerting", "Grafana", "Cron jobs"}
    details = {(g.what, g.detail) for g in migration.report.gaps}
    assert any(w == 'integration "Datadog"' and "no equivalent" in d for w, d in details)
    assert any(w == 'integration "Mail"' for w, _ in details)
    assert any(w == 'integration "Direct paging"' for w, _ in details)
    # the heartbeat URL is listed (pingers must change it)
    path, heartbeat = migration.report.urls["Prometheus"]
    assert path == f"/integrations/v1/alertmanager/{AM_TOKEN}/"
    assert heartbeat == f"/integrations/v1/alertmanager/{AM_TOKEN}/heartbeat/"
    assert migration.report.urls["Old Grafana alerting"][1] is None


def test_routes_templates_and_the_default_chain_come_across(fake):
    prometheus = next(i for i in _migration(fake).config.integrations if i.name == "Prometheus")
    assert prometheus.default_chain == "Default" and prometheus.team == "SRE"
    assert [(r.regex, r.jinja2, r.chain) for r in prometheus.routes] == [
        ('"severity": "critical"', None, "Critical"),
        (None, '{{ payload.commonLabels.team == "db" }}', "Every step"),
    ]
    assert prometheus.templates == {
        "grouping_key": "{{ payload.groupKey }}",
        "web": {"title": "{{ payload.commonLabels.alertname }}"},
    }


def test_every_escalation_step_type_is_mapped_or_reported(fake):
    migration = _migration(fake)
    chains = {c.name: c for c in migration.config.escalation_chains}
    every = chains["Every step"].steps
    assert [s.type for s in every] == [
        "notify_team_members",
        "trigger_webhook",
        "notify_if_time_from_to",
        "notify_if_num_alerts_in_window",
        "repeat_escalation",
        "resolve",
    ]
    assert every[0].team == "DB" and every[1].webhook == "Ticket"
    assert (every[2].notify_if_time_from, every[2].notify_if_time_to) == ("09:00:00Z", "18:00:00Z")
    assert (every[3].num_alerts_in_window, every[3].num_minutes_in_window) == (3, 10)
    critical = chains["Critical"].steps
    assert [(s.type, s.persons, s.schedule, s.important) for s in critical] == [
        ("notify_persons", ["alice"], None, False),
        ("wait", None, None, False),
        ("notify_on_call_from_schedule", None, "Primary", True),
    ]
    assert chains["Default"].steps[0].persons == ["alice", "bob"]
    dropped = [g for g in migration.report.gaps if g.what.startswith('escalation chain "Every step"')]
    assert len(dropped) == 3  # Slack user group, whole Slack channel, Grafana Incident
    assert all(g.instead for g in dropped)


def test_notification_rules_map_to_contacts_and_the_rest_is_reported_with_the_nearest_equivalent(fake):
    migration = _migration(fake)
    users = {u.username: u for u in migration.config.users}
    alice = users["alice"]
    assert alice.contacts == {"email": "ses://alice@example.com"}
    assert [(r.type, r.contact) for r in alice.default_rules] == [
        ("notify", "email")
    ]  # the wait before Slack went with it
    assert alice.important_rules == []  # phone calls: no phone numbers in OnCall's API
    assert alice.timezone == "Europe/Berlin" and alice.teams == ["SRE"]
    gaps = {
        (g.what, g.detail.split(" ")[2]): g.instead for g in migration.report.gaps if "notification rule" in g.detail
    }
    assert "slack://" in gaps[('user "alice"', "notify_by_slack")]
    assert "sns-sms://" in gaps[('user "alice"', "notify_by_phone_call")]
    assert "ntfy://" in gaps[('user "bob"', "notify_by_mobile_app")]
    assert "tgram://" in gaps[('user "carol"', "notify_by_telegram")]


def test_shifts_come_across_as_they_are(fake):
    schedules = {s.name: s for s in _migration(fake).config.schedules}
    primary = schedules["Primary"]
    assert primary.time_zone == "Europe/Berlin" and primary.team == "SRE" and primary.layers == []
    rotation, cover = primary.shifts
    assert (rotation.type, rotation.frequency, rotation.time_zone, rotation.week_start) == (
        "rolling_users",
        "weekly",
        "Europe/Berlin",
        "MO",
    )
    assert rotation.rolling_users == [["alice"], ["bob"]] and rotation.start_rotation_from_user_index == 1
    assert rotation.start.isoformat() == "2026-01-05T09:00:00" and rotation.duration == 604800
    assert (cover.type, cover.users, cover.start.isoformat(), cover.duration) == (
        "override",
        ["carol"],
        "2099-01-01T00:00:00",
        86400,
    )
    weekdays, launch = schedules["Business hours"].shifts
    assert (weekdays.type, weekdays.frequency, weekdays.by_day, weekdays.duration, weekdays.users) == (
        "recurrent_event",
        "daily",
        ["MO", "TU", "WE", "TH", "FR"],
        8 * 3600,
        ["bob"],
    )
    assert (launch.type, launch.users) == ("single_event", ["alice", "bob"])
    assert schedules["Legacy calendar"].ical_url == "https://calendar.example/primary.ics"
    assert schedules["Legacy calendar"].shifts == []


def test_webhooks_come_across_without_the_secrets_onCall_masks(fake):
    migration = _migration(fake)
    webhooks = {w.name: w for w in migration.config.webhooks}
    assert webhooks["Ticket"].password is None and webhooks["Ticket"].username == "bot"
    assert webhooks["On resolve"].integration_filter == ["Prometheus"]
    assert webhooks["On resolve"].trigger_type == "resolve" and webhooks["On resolve"].team == "SRE"
    assert any("password" in g.detail for g in migration.report.gaps if g.what == 'outgoing webhook "Ticket"')


def test_the_mapped_configuration_is_valid_and_plans_as_creates_only(fake):
    migration = _migration(fake)
    assert check(migration.config) == []
    result = plan(fit_to_destination(migration, Config()), Config())
    assert result.problems == []
    assert {c.action for c in result.changes} == {"create"}


def test_token_of_reads_the_link():
    assert token_of(f"https://x/integrations/v1/alertmanager/{AM_TOKEN}/") == ("alertmanager", AM_TOKEN)
    assert token_of("https://x/somewhere/else") is None


# ------------------------------------------------------------------------------------------ fitting
def test_users_are_matched_by_email_then_username_and_keep_what_they_have_here(fake):
    migration = _migration(fake)
    here = Config(
        users=[
            UserSpec(username="alice.smith", email="ALICE@example.com", contacts={"pager": "ntfy://alice"}),
            UserSpec(username="bob", email="robert@example.com"),
        ]
    )
    fitted = fit_to_destination(migration, here)
    users = {u.username: u for u in fitted.users}
    assert set(users) == {"alice.smith", "bob", "carol"}
    assert users["alice.smith"].contacts == {"pager": "ntfy://alice", "email": "ses://alice@example.com"}
    assert [s.persons for s in fitted.escalation_chains[0].steps if s.persons] == [["alice.smith"]]


def test_no_create_users_reports_them_and_drops_their_references(fake):
    migration = _migration(fake)
    here = Config(users=[UserSpec(username="alice", email="alice@example.com")])
    fitted = fit_to_destination(migration, here, create_users=False)
    assert [u.username for u in fitted.users] == ["alice"]
    assert migration.report.skipped_users == ["bob", "carol"]
    default = next(c for c in fitted.escalation_chains if c.name == "Default")
    assert default.steps[0].persons == ["alice"]
    primary = next(s for s in fitted.schedules if s.name == "Primary")
    assert [s.rolling_users for s in primary.shifts] == [[["alice"]]]  # carol's override went with her
    assert plan(fitted, here).problems == []


def test_a_source_rename_renames_here_instead_of_duplicating(fake):
    migration = _migration(fake)
    here = Config(
        escalation_chains=[c.model_copy(update={"name": "Crit"}) for c in migration.config.escalation_chains[:1]],
        integrations=[IntegrationSpec(name="Prom (old name)", type="alertmanager", token=AM_TOKEN)],
    )
    # the previous run called them so (the state file, by source id)
    previous = {"escalation_chains": {"FCRITICAL001": "Crit"}, "integrations": {"CAM000000001": "Prom (old name)"}}
    fitted = fit_to_destination(migration, here, previous=previous)
    prometheus = next(i for i in fitted.integrations if i.name == "Prometheus")
    assert prometheus.renamed_from == "Prom (old name)"
    critical = next(c for c in fitted.escalation_chains if c.name == "Critical")
    assert critical.renamed_from == "Crit"
    result = plan(fitted, here)
    assert result.problems == []
    assert {(c.action, c.name) for c in result.changes if c.kind.label != "user"} >= {
        ("update", "Prometheus"),
        ("update", "Critical"),
    }


def test_an_unrelated_integration_here_with_the_token_is_a_clash_not_a_takeover(fake):
    migration = _migration(fake)
    here = Config(integrations=[IntegrationSpec(name="Someone else's", type="alertmanager", token=AM_TOKEN)])
    problems = plan(fit_to_destination(migration, here), here).problems
    assert problems == [
        'integrations[0].token: integration "Someone else\'s" here already has this token (a token is never reassigned)'
    ]


def test_a_token_already_used_here_is_a_plan_problem_before_anything_is_written(fake):
    migration = _migration(fake)
    here = Config(integrations=[IntegrationSpec(name="Something else", type="webhook", token=AM_TOKEN)])
    fitted = fit_to_destination(migration, here)
    fitted.integrations = [i for i in fitted.integrations if i.name != "Prometheus"] + [
        i.model_copy(update={"renamed_from": None}) for i in fitted.integrations if i.name == "Prometheus"
    ]
    here.integrations[0] = here.integrations[0].model_copy(
        update={"name": "Prometheus", "type": "alertmanager", "token": "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2R"}
    )
    problems = plan(fitted, here).problems
    assert any("another token" in p for p in problems)


def test_shifts_round_trip_through_the_export_and_plan_nothing_the_second_time(fake):
    from oncall_cli.config_as_code import Snapshot, export_config

    migration = _migration(fake)
    desired = fit_to_destination(migration, Config())
    primary = next(s for s in desired.schedules if s.name == "Primary")
    # the deployment as the API would show it after the apply: ids for users, shifts by id
    users = [{"id": f"U{n}", "username": u.username} for n, u in enumerate(desired.users)]
    ids = {u["username"]: u["id"] for u in users}
    shifts = [
        {
            **s.model_dump(mode="json", exclude={"users", "rolling_users"}),
            "duration": s.duration,
            "rotation_start": s.start.isoformat(),
            "id": f"O{n}",
            "users": [ids[u] for u in s.users],
            "rolling_users": [[ids[u] for u in g] for g in s.rolling_users] or None,
            "interval": s.interval if s.frequency else None,
        }
        for n, s in enumerate(primary.shifts)
    ]
    snapshot = Snapshot(
        users=users,
        schedules=[{"id": "S1", "name": "Primary", "time_zone": "Europe/Berlin", "shifts": [s["id"] for s in shifts]}],
        shifts=shifts,
    )
    current = export_config(snapshot)
    assert current.schedules[0].shifts == primary.shifts
    again = Config(schedules=[primary.model_copy(update={"team": None})], users=current.users)
    assert plan(again, current).changes == []
    # a shift naming a user who does not exist is a problem before anything is written
    broken = primary.model_copy(deep=True)
    broken.shifts[0].rolling_users = [["nobody"]]
    problems = plan(Config(schedules=[broken.model_copy(update={"team": None})]), current).problems
    assert problems == ['schedules[0].shifts[0].rolling_users[0][0]: no user named "nobody"']


def test_a_token_the_api_would_refuse_is_a_plan_problem_before_anything_is_written(fake):
    migration = _migration(fake)
    fitted = fit_to_destination(migration, Config())
    fitted.integrations[0].token = "short"
    problems = plan(fitted, Config()).problems
    assert problems == ["integrations[0].token: not a token this service accepts (25 to 64 random letters and digits)"]


class _Api:
    """What `integration_base` reads of the destination: its URL and its integrations' links."""

    def __init__(self, links: list[str]) -> None:
        self.url = "https://a1b2c3.execute-api.eu-west-1.amazonaws.com"
        self._links = links

    def list_all(self, path: str) -> list[dict]:
        assert path == "integrations"
        return [{"name": f"i{n}", "link": link} for n, link in enumerate(self._links)]


def test_the_urls_to_give_senders_are_on_the_host_the_api_shows_them_on():
    # given a destination whose integration URLs are on its ingest function's URL (decision 80)
    function_url = "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws"
    api = _Api([None, f"{function_url}/integrations/v1/alertmanager/T0KEN/"])  # a type without a URL first
    # then the migration prints them there, not on the API's host
    assert integration_base(api) == function_url
    # and on the API's host when no integration shows one
    assert integration_base(_Api([])) == "https://a1b2c3.execute-api.eu-west-1.amazonaws.com"
