"""Outgoing webhooks: configuration rules, trigger matching, the trigger-template rule, the event data,
rendering with JSON escaping, and the delivery semantics (claims, retries with backoff, final failures)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from oncall.api.webhooks import present_webhook
from oncall.configuration.cache import ConfigCache
from oncall.groups.events import GroupEvent, GroupEventType
from oncall.models import SYSTEM, Actor, ActorKind, User, Webhook, WebhookTrigger
from oncall.platform.errors import NotFoundError, ValidationError
from oncall.platform.netguard import BlockedTargetError, HttpResult, TransportError
from oncall.webhooks import config as webhooks
from oncall.webhooks.delivery import (
    DeliveryDeps,
    DeliveryMessage,
    Outcome,
    backoff_seconds,
    deliver,
    event_data,
    fan_out,
    is_triggered,
    json_escaped,
    load_subjects,
    prepare_request,
    trigger_template_allows,
)
from oncall.webhooks.requests import SECRET_MASK, WebhookIn, WebhookPatch
from tests import builders

# ------------------------------------------------------------------------------------------ helpers


@dataclass
class ScriptedHttp:
    """Answers from a script of HttpResult or exceptions, and records every request."""

    script: list = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)

    def request(self, method, url, *, headers, body, timeout):
        self.requests.append({"method": method, "url": url, "headers": headers, "body": body, "timeout": timeout})
        answer = self.script.pop(0) if self.script else HttpResult(200, {}, b'{"ok": true}', url)
        if isinstance(answer, Exception):
            raise answer
        return answer


@dataclass
class FakeDeliveryQueue:
    sent: list[tuple[DeliveryMessage, int]] = field(default_factory=list)

    def send(self, message, delay_seconds=0):
        self.sent.append((message, delay_seconds))


def ok(status=200, body=b'{"ok": true}'):
    return HttpResult(status, {}, body, "https://hooks.example.com/x")


@pytest.fixture
def http():
    return ScriptedHttp()


@pytest.fixture
def jobs():
    return FakeDeliveryQueue()


@pytest.fixture
def dd(store, clock, http, jobs) -> DeliveryDeps:
    return DeliveryDeps(
        store=store,
        config=ConfigCache(store, 0),
        clock=clock,
        queue=jobs,
        http=http,
        base_url="https://oncall.test",
        retry_base_seconds=10,
    )


@pytest.fixture
def group_setup(store, clock, deps):
    """An integration with one open alert group of two alerts."""
    from oncall.dispatch.pipeline import process_alert
    from oncall.models import IngestMessage

    integration, _ = builders.integration(store, clock, name="Prometheus prod")
    first = builders.alert(store, clock, integration, builders.am_payload(alertname='Disk "full"\nnow'))
    process_alert(IngestMessage(alert_id=first.id, integration_id=integration.id), deps=deps)
    second = builders.alert(store, clock, integration, {**builders.am_payload(alertname='Disk "full"\nnow'), "n": 2})
    process_alert(IngestMessage(alert_id=second.id, integration_id=integration.id), deps=deps)
    group = store.get_group(store.get_alert(first.id).group_id)
    return integration, group, first, second


def make_webhook(store, clock, **fields) -> Webhook:
    body = {"name": fields.pop("name", "hook"), "url": fields.pop("url", "https://hooks.example.com/x"), **fields}
    return webhooks.create_webhook(WebhookIn(**body), store=store, clock=clock)


def event_of(group, kind=GroupEventType.ACKNOWLEDGED, clock=None, **fields) -> GroupEvent:
    return GroupEvent(
        type=kind,
        group_id=group.id,
        integration_id=group.integration_id,
        at=clock.now() if clock else group.started_at,
        **fields,
    )


# ------------------------------------------------------------------------------------------ configuration
def test_create_masks_secrets_on_read_and_patch_with_the_mask_keeps_them(store, clock):
    webhook = make_webhook(store, clock, password="p4ss", authorization_header="Bearer s3cret", username="bot")
    shown = present_webhook(webhook)
    assert shown["password"] == SECRET_MASK and shown["authorization_header"] == SECRET_MASK
    assert shown["id"].startswith("WH") and shown["trigger_type"] == "escalation" and shown["forward_all"] is True
    # when the read shape is sent back with a change (masks included)
    patch = WebhookPatch(**{**shown, "name": "renamed"})
    updated = webhooks.update_webhook(webhook.id, patch, replace=False, store=store)
    # then the stored secrets are untouched
    assert (updated.name, updated.password, updated.authorization_header) == ("renamed", "p4ss", "Bearer s3cret")
    # and a new value replaces them
    changed = webhooks.update_webhook(webhook.id, WebhookPatch(password="new"), replace=False, store=store)
    assert changed.password == "new" and changed.authorization_header == "Bearer s3cret"


def test_put_replaces_the_whole_webhook(store, clock):
    webhook = make_webhook(store, clock, data='{"a": 1}', forward_all=False, trigger_type="resolve")
    replaced = webhooks.update_webhook(
        webhook.id, WebhookIn(name="hook", url="https://hooks.example.com/y"), replace=True, store=store
    )
    assert (replaced.url, replaced.data, replaced.forward_all, replaced.trigger_type) == (
        "https://hooks.example.com/y",
        None,
        True,
        WebhookTrigger.ESCALATION,
    )


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"url": "{{ broken"}, "url"),
        ({"data": "{% if %}"}, "data"),
        ({"headers": "{{ x | nosuchfilter }}"}, "headers"),
        ({"trigger_template": "{{"}, "trigger_template"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"integration_filter": ["CNOSUCH"]}, "integration_filter"),
        ({"team": "TNOSUCH"}, "team"),
    ],
)
def test_invalid_configuration_names_the_field(store, clock, fields, bad_field):
    with pytest.raises(ValidationError) as raised:
        make_webhook(store, clock, **fields)
    assert bad_field in raised.value.fields


def test_names_are_unique(store, clock):
    make_webhook(store, clock, name="same")
    with pytest.raises(ValidationError) as raised:
        make_webhook(store, clock, name="same")
    assert "name" in raised.value.fields


def test_simple_webhook_preset_is_post_forward_all_escalation(store, clock):
    webhook = make_webhook(store, clock, preset="simple_webhook", http_method="GET", trigger_type="resolve")
    assert (webhook.http_method, webhook.forward_all, webhook.trigger_type) == ("POST", True, "escalation")


# ------------------------------------------------------------------------------------------ matching
STATUS_EVENTS = [
    GroupEventType.ACKNOWLEDGED,
    GroupEventType.UNACKNOWLEDGED,
    GroupEventType.RESOLVED,
    GroupEventType.UNRESOLVED,
    GroupEventType.SILENCED,
    GroupEventType.UNSILENCED,
]


@pytest.mark.parametrize("kind", list(GroupEventType))
def test_status_change_fires_for_the_six_status_actions_only(store, clock, kind):
    webhook = make_webhook(store, clock, trigger_type="status change")
    event = GroupEvent(type=kind, group_id="I1", integration_id="C1", at=clock.now())
    assert is_triggered(webhook, event) == (kind in STATUS_EVENTS)


@pytest.mark.parametrize(
    ("trigger", "kind"),
    [
        ("alert group created", GroupEventType.CREATED),
        ("alert added to group", GroupEventType.ALERT_ADDED),
        ("acknowledge", GroupEventType.ACKNOWLEDGED),
        ("resolve", GroupEventType.RESOLVED),
        ("silence", GroupEventType.SILENCED),
        ("unsilence", GroupEventType.UNSILENCED),
        ("unresolve", GroupEventType.UNRESOLVED),
        ("unacknowledge", GroupEventType.UNACKNOWLEDGED),
    ],
)
def test_each_trigger_fires_for_its_event_and_no_other(store, clock, trigger, kind):
    webhook = make_webhook(store, clock, trigger_type=trigger)
    for other in GroupEventType:
        event = GroupEvent(type=other, group_id="I1", integration_id="C1", at=clock.now())
        assert is_triggered(webhook, event) == (other == kind), other


def test_integration_filter_and_disabled_webhooks(store, clock):
    integration, _ = builders.integration(store, clock, name="a")
    webhook = make_webhook(store, clock, trigger_type="resolve", integration_filter=[integration.id])
    mine = GroupEvent(type=GroupEventType.RESOLVED, group_id="I1", integration_id=integration.id, at=clock.now())
    other = mine.model_copy(update={"integration_id": "COTHER"})
    assert is_triggered(webhook, mine) and not is_triggered(webhook, other)
    assert not is_triggered(webhook.model_copy(update={"is_webhook_enabled": False}), mine)


def test_an_escalation_event_fires_only_the_webhook_it_names(store, clock):
    chosen = make_webhook(store, clock, name="chosen")
    bystander = make_webhook(store, clock, name="bystander")
    event = GroupEvent(
        type=GroupEventType.ESCALATION,
        group_id="I1",
        integration_id="C1",
        at=clock.now(),
        data={"webhook_id": chosen.id},
    )
    assert is_triggered(chosen, event) and not is_triggered(bystander, event)


@pytest.mark.parametrize(
    ("output", "runs"),
    [("true", True), ("True", True), ("TRUE", True), ("1", True), (" true", False), ("true\n", False)]
    + [("ok", False), ("yes", False), ("", False), ("false", False), ("0", False)],
)
def test_trigger_template_runs_only_on_exactly_true_or_1(store, clock, output, runs):
    webhook = make_webhook(store, clock, trigger_template="{{ out }}")
    assert trigger_template_allows(webhook, {"out": output}) is runs


def test_trigger_template_errors_do_not_run_and_no_template_runs(store, clock):
    assert not trigger_template_allows(make_webhook(store, clock, name="a", trigger_template="{{ 1/0 }}"), {})
    assert trigger_template_allows(make_webhook(store, clock, name="b"), {})


# ------------------------------------------------------------------------------------------ event data
def test_event_data_follows_oncall_with_our_latest_alert(store, clock, deps, group_setup):
    integration, group, first, second = group_setup
    user = User(id="UALICE", username="alice", email="alice@example.com", created_at=clock.now())
    store.put_user(user)
    from oncall.groups import actions

    actor = Actor(kind=ActorKind.USER, user_id=user.id, name="alice")
    acked = actions.acknowledge(group.id, actor, deps)
    webhook = make_webhook(store, clock)
    other = make_webhook(store, clock, name="other")
    store.group_webhook_responses[group.id] = {other.id: '{"ticket": "OPS-1"}', webhook.id: "mine"}
    event = event_of(acked, actor=actor, clock=clock)
    data = event_data(event, webhook, load_subjects(event, store), base_url="https://oncall.test", now=clock.now())
    assert data["event"] == {"type": "acknowledge", "time": "2026-11-27T12:00:00Z"}
    assert data["user"] == {"id": "UALICE", "username": "alice", "email": "alice@example.com"}
    assert data["alert_group_id"] == group.id
    assert data["alert_group"]["state"] == "acknowledged" and data["alert_group"]["alerts_count"] == 2
    assert data["alert_payload"] == first.payload  # OnCall: the first alert
    assert data["latest_alert_payload"] == second.payload  # ours: the latest
    assert data["integration"] == {
        "id": integration.id,
        "type": "alertmanager",
        "name": "Prometheus prod",
        "team": None,
    }
    assert data["alert_group_acknowledged_by"]["username"] == "alice"
    assert data["responses"] == {other.id: {"ticket": "OPS-1"}}  # other webhooks' latest, parsed
    assert data["webhook"] == {"id": webhook.id, "name": "hook"}
    json.dumps(data)  # JSON-compatible throughout


def test_silence_events_carry_until(store, clock, deps, group_setup):
    from oncall.groups import actions

    _, group, _, _ = group_setup
    silenced = actions.silence(group.id, Actor(kind=ActorKind.API, name="t"), deps, 3600)
    webhook = make_webhook(store, clock)
    event = event_of(silenced, GroupEventType.SILENCED, clock=clock)
    data = event_data(event, webhook, load_subjects(event, store), base_url="", now=clock.now())
    assert data["event"] == {"type": "silence", "time": "2026-11-27T12:00:00Z", "until": "2026-11-27T13:00:00Z"}
    assert data["user"] is None  # an API token without a person


# ------------------------------------------------------------------------------------------ rendering
NASTY = 'Disk "full"\nnow \\ {braces}'


def test_json_escaping_keeps_templated_json_bodies_valid(store, clock):
    webhook = make_webhook(
        store,
        clock,
        forward_all=False,
        data='{"title": "{{ alert_payload.title }}", "n": {{ alert_payload.n }}}',
        headers='{"X-Title": "{{ alert_payload.title }}"}',
    )
    one_line = NASTY.replace("\n", " ")
    request = prepare_request(webhook, {"alert_payload": {"title": one_line, "n": 3}}, key="k")
    assert json.loads(request.body) == {"title": one_line, "n": 3}
    assert request.headers["X-Title"] == one_line
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == "k"


def test_the_url_is_rendered_with_raw_values(store, clock):
    webhook = make_webhook(store, clock, url="https://hooks.example.com/{{ alert_group_id }}?q={{ q }}")
    assert prepare_request(webhook, {"alert_group_id": "I1", "q": 'a"b'}, key="k").url == (
        'https://hooks.example.com/I1?q=a"b'
    )


def test_json_escaped_escapes_strings_at_any_depth():
    assert json_escaped({"a": ['x"y', {"b": "1\n2"}], "n": 1, "t": True, "z": None}) == {
        "a": ['x\\"y', {"b": "1\\n2"}],
        "n": 1,
        "t": True,
        "z": None,
    }


def test_forward_all_sends_the_whole_event_and_get_sends_no_body(store, clock):
    data = {"event": {"type": "resolve"}, "alert_payload": {"x": NASTY}}
    post = prepare_request(make_webhook(store, clock, name="a"), data, key="k")
    assert json.loads(post.body) == data
    get = prepare_request(make_webhook(store, clock, name="b", http_method="GET"), data, key="k")
    assert get.body is None and "Content-Type" not in get.headers


def test_data_that_is_not_json_is_sent_as_raw_text(store, clock):
    webhook = make_webhook(store, clock, forward_all=False, data="alert {{ n }} fired")
    request = prepare_request(webhook, {"n": 5}, key="k")
    assert request.body == b"alert 5 fired" and request.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_authorization_header_overrides_templated_and_basic_auth(store, clock):
    templated = '{"Authorization": "Bearer from-template", "X-A": "1"}'
    basic = make_webhook(store, clock, name="a", headers=templated, username="bot", password="pw")
    request = prepare_request(basic, {}, key="k")
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"bot:pw").decode()
    verbatim = make_webhook(store, clock, name="b", headers=templated, username="bot", authorization_header="Tok x")
    assert prepare_request(verbatim, {}, key="k").headers["Authorization"] == "Tok x"


@pytest.mark.parametrize(
    ("fields", "field_name"),
    [
        ({"headers": '{{ \'["not", "an object"]\' }}'}, "headers"),
        ({"headers": "{{ 'not json' }}"}, "headers"),
        ({"url": "{{ '' }}"}, "url"),
        ({"forward_all": False, "data": "{{ 1 / 0 }}"}, "data"),
    ],
)
def test_template_problems_are_errors_of_their_field(store, clock, fields, field_name):
    from oncall.webhooks.delivery import WebhookTemplateError

    with pytest.raises(WebhookTemplateError) as raised:
        prepare_request(make_webhook(store, clock, **fields), {}, key="k")
    assert raised.value.field == field_name


# ------------------------------------------------------------------------------------------ delivery
def test_backoff_doubles_from_the_base_within_sqs_limits():
    assert [backoff_seconds(n, 10) for n in range(1, 8)] == [10, 20, 40, 80, 160, 320, 640]
    assert backoff_seconds(8, 10) == 900 and backoff_seconds(1, 0.2) == 1


def test_fan_out_enqueues_one_first_attempt_per_triggered_webhook(store, clock, dd, jobs):
    a = make_webhook(store, clock, name="a", trigger_type="resolve")
    b = make_webhook(store, clock, name="b", trigger_type="status change")
    make_webhook(store, clock, name="c", trigger_type="acknowledge")
    event = GroupEvent(type=GroupEventType.RESOLVED, group_id="I1", integration_id="C1", at=clock.now())
    assert sorted(fan_out(event, dd)) == sorted([a.id, b.id])
    assert {(m.webhook_id, m.attempt, delay) for m, delay in jobs.sent} == {(a.id, 1, 0), (b.id, 1, 0)}


def test_a_2xx_is_delivered_once_with_an_idempotency_key(store, clock, dd, http, group_setup):
    _, group, _, _ = group_setup
    webhook = make_webhook(store, clock, trigger_type="acknowledge", authorization_header="Bearer s3cret")
    message = DeliveryMessage(event=event_of(group, clock=clock), webhook_id=webhook.id)
    report = deliver(message, dd)
    assert report.outcome == Outcome.DELIVERED
    [sent] = http.requests
    assert sent["headers"]["Idempotency-Key"] == f"{message.event.id}-{webhook.id}"
    assert sent["timeout"] == 10
    # the log has the attempt, with the Authorization masked
    [logged] = store.list_webhook_responses(webhook.id)
    assert (logged.attempt, logged.status_code, logged.outcome) == (1, 200, "delivered")
    assert logged.request_headers["Authorization"] == SECRET_MASK
    assert json.loads(logged.request_data)["alert_group_id"] == group.id
    # when the same SQS message comes again
    assert deliver(message, dd).outcome == Outcome.DUPLICATE
    assert len(http.requests) == 1


@pytest.mark.parametrize(
    ("trigger", "kind"),
    [
        ("alert group created", GroupEventType.CREATED),
        ("acknowledge", GroupEventType.ACKNOWLEDGED),
        ("resolve", GroupEventType.RESOLVED),
        ("status change", GroupEventType.SILENCED),
        ("escalation", GroupEventType.ESCALATION),
        ("personal notification", GroupEventType.PERSONAL_NOTIFICATION),
    ],
)
def test_debug_maintenance_sends_no_webhook_on_any_trigger(store, clock, dd, deps, http, group_setup, trigger, kind):
    """Given an integration in debug maintenance, when an event of any trigger reaches delivery, then nothing
    is sent and the group's timeline says what would have been (issue 12 item 1)."""
    from oncall.models import MaintenanceMode
    from oncall.monitoring import maintenance

    integration, group, _, _ = group_setup
    maintenance.start(integration.id, MaintenanceMode.DEBUG, clock.now() + timedelta(hours=1), actor=SYSTEM, deps=deps)
    webhook = make_webhook(store, clock, trigger_type=trigger)
    extra = {"data": {"webhook_id": webhook.id}} if kind in (GroupEventType.ESCALATION,) else {}
    report = deliver(DeliveryMessage(event=event_of(group, kind, clock=clock, **extra), webhook_id=webhook.id), dd)
    assert report.outcome == Outcome.SKIPPED and http.requests == []
    [entry] = [e for e in store.list_timeline(group.id) if e.type == "would_have_notified"]
    assert entry.text.startswith("Would have sent outgoing webhook 'hook'")


@pytest.mark.parametrize(
    "failure",
    [ok(500, b"oops"), ok(503), ok(429), TransportError("timed out after 10 s"), TransportError("cannot connect")],
)
def test_retryable_failures_are_retried_with_backoff_and_the_same_key(
    store, clock, dd, http, jobs, group_setup, failure
):
    _, group, _, _ = group_setup
    webhook = make_webhook(store, clock, trigger_type="acknowledge", max_retries=2)
    http.script = [failure, failure, ok()]
    message = DeliveryMessage(event=event_of(group, clock=clock), webhook_id=webhook.id)
    # attempt 1 fails: attempt 2 is enqueued 10 s later
    assert deliver(message, dd).outcome == Outcome.RETRYING
    [(second, delay)] = jobs.sent
    assert (second.attempt, delay) == (2, 10)
    # attempt 2 fails: attempt 3 in 20 s; attempt 3 succeeds
    clock.advance(seconds=delay)
    assert deliver(second, dd).outcome == Outcome.RETRYING
    third, delay = jobs.sent[-1]
    assert (third.attempt, delay) == (3, 20)
    clock.advance(seconds=delay)
    assert deliver(third, dd).outcome == Outcome.DELIVERED
    assert len({r["headers"]["Idempotency-Key"] for r in http.requests}) == 1
    logged = store.list_webhook_responses(webhook.id)
    assert [(r.attempt, r.outcome, r.next_attempt_in_seconds) for r in logged] == [
        (3, "delivered", None),
        (2, "retrying", 20),
        (1, "retrying", 10),
    ]


def test_retries_stop_after_max_retries_and_the_failure_is_on_the_timeline(store, clock, dd, http, jobs, group_setup):
    _, group, _, _ = group_setup
    webhook = make_webhook(store, clock, trigger_type="acknowledge", max_retries=1)
    http.script = [ok(502), ok(502)]
    message = DeliveryMessage(event=event_of(group, clock=clock), webhook_id=webhook.id)
    deliver(message, dd)
    assert deliver(jobs.sent[0][0], dd).outcome == Outcome.FAILED
    assert len(jobs.sent) == 1 and len(http.requests) == 2
    [entry] = [e for e in store.list_timeline(group.id) if e.type == "webhook_failed"]
    assert entry.text == "Outgoing webhook 'hook' (acknowledge) failed after 2 attempts: HTTP 502."


@pytest.mark.parametrize(
    "failure", [ok(400), ok(404), ok(410), BlockedTargetError("10.0.0.1 is a private address"), ok(302)]
)
def test_final_failures_are_not_retried(store, clock, dd, http, jobs, group_setup, failure):
    _, group, _, _ = group_setup
    webhook = make_webhook(store, clock, trigger_type="acknowledge")
    http.script = [failure]
    report = deliver(DeliveryMessage(event=event_of(group, clock=clock), webhook_id=webhook.id), dd)
    assert report.outcome == Outcome.FAILED and jobs.sent == []
    [logged] = store.list_webhook_responses(webhook.id)
    assert logged.outcome == "failed" and logged.error


def test_a_template_error_sends_nothing_and_is_logged(store, clock, dd, http, group_setup):
    _, group, _, _ = group_setup
    webhook = make_webhook(store, clock, trigger_type="acknowledge", forward_all=False, data="{{ 1 / 0 }}")
    report = deliver(DeliveryMessage(event=event_of(group, clock=clock), webhook_id=webhook.id), dd)
    assert report.outcome == Outcome.FAILED and http.requests == []
    assert store.list_webhook_responses(webhook.id)[0].error.startswith("Template error in data")


def test_a_false_trigger_template_skips_quietly(store, clock, dd, http, group_setup):
    _, group, _, _ = group_setup
    webhook = make_webhook(store, clock, trigger_template="{{ alert_group.state == 'resolved' }}")
    report = deliver(DeliveryMessage(event=event_of(group, clock=clock), webhook_id=webhook.id), dd)
    assert report.outcome == Outcome.SKIPPED and http.requests == []
    assert store.list_webhook_responses(webhook.id) == []


def test_a_disabled_or_deleted_webhook_sends_nothing(store, clock, dd, http, group_setup):
    _, group, _, _ = group_setup
    webhook = make_webhook(store, clock)
    webhooks.update_webhook(webhook.id, WebhookPatch(is_webhook_enabled=False), replace=False, store=store)
    assert deliver(DeliveryMessage(event=event_of(group), webhook_id=webhook.id), dd).outcome == Outcome.SKIPPED
    assert deliver(DeliveryMessage(event=event_of(group), webhook_id="WHGONE"), dd).outcome == Outcome.SKIPPED
    assert http.requests == []


# ------------------------------------------------------------------------------------------ triggers
def test_trigger_escalation_webhook_publishes_an_event_for_that_webhook(store, clock, deps, events, group_setup):
    _, group, _, _ = group_setup
    webhook = make_webhook(store, clock)
    events.events.clear()
    webhooks.trigger_escalation_webhook(webhook.id, group.id, deps=deps)
    [event] = events.events
    assert (event.type, event.group_id, event.data) == (GroupEventType.ESCALATION, group.id, {"webhook_id": webhook.id})
    with pytest.raises(NotFoundError):
        webhooks.trigger_escalation_webhook("WHNOSUCH", group.id, deps=deps)


def test_a_retried_escalation_step_can_publish_the_same_event_id(store, clock, deps, events, group_setup):
    _, group, _, _ = group_setup
    webhook = make_webhook(store, clock)
    events.events.clear()
    for _ in range(2):
        webhooks.trigger_escalation_webhook(webhook.id, group.id, deps=deps, event_id="EVEXEC1STEP3")
    assert {e.id for e in events.events} == {"EVEXEC1STEP3"}


def test_the_escalation_event_time_is_now(store, clock, deps, events, group_setup):
    _, group, _, _ = group_setup
    webhook = make_webhook(store, clock)
    webhooks.trigger_escalation_webhook(webhook.id, group.id, deps=deps)
    clock.advance(minutes=5)
    data = event_data(events.events[-1], webhook, load_subjects(events.events[-1], store), base_url="", now=clock.now())
    assert data["event"] == {"type": "escalation", "time": "2026-11-27T12:05:00Z"}
