"""Personal notification rules: each user's own execution, waits that hold up nobody, exactly-once delivery."""

import pytest

from oncall.dispatch.pipeline import process_alert
from oncall.escalation.personal import PERSONAL, execution_name, run_personal
from oncall.escalation.steps import run_escalation
from oncall.groups import actions
from oncall.models import SYSTEM, IngestMessage
from oncall.notify.channels import ChannelError
from tests import builders


@pytest.fixture
def page_user(store, clock, deps, pager, escalations):
    """A group whose chain pages `user` (then waits an hour); returns (group, personal execution data)."""

    def page(user, important=False, extra_steps=()):
        chain = builders.chain(
            store,
            clock,
            [
                {"type": "notify_persons", "persons_to_notify": [user.id], "important": important},
                *extra_steps,
                {"type": "wait", "duration": 3600},
            ],
            name=f"chain-{len(store.chains)}",
        )
        integration, _ = builders.integration(store, clock, chain_id=chain.id, name=f"int-{len(store.integrations)}")
        alert = builders.alert(store, clock, integration, builders.am_payload())
        group_id = process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps).group_id
        group = store.get_group(group_id)
        outcome = run_escalation(group.id, 0, group.escalation.execution_name, pager=pager)
        [(_, data)] = escalations.of_kind(PERSONAL)
        return group, data, outcome

    return page


def _channels(notifier):
    return [n.channel for n in notifier.delivered]


def test_rules_notify_then_wait_in_their_own_execution(page_user, store, clock, pager, notifier):
    alice = builders.user(
        store,
        clock,
        "alice",
        contacts={"push": "outbox://alice-push", "sms": "outbox://alice-sms"},
        rules=[
            {"type": "notify", "contact": "push"},
            {"type": "wait", "duration": 900},
            {"type": "notify", "contact": "sms"},
        ],
    )
    group, data, escalation = page_user(alice)
    # the escalation chain went on to its own wait: the user's 15-minute rule wait holds up nothing
    assert (escalation.next_step, escalation.wait_seconds) == (2, 3600)
    first = run_personal(group.id, 0, data, pager)
    assert (first.done, first.next_step, first.wait_seconds) == (False, 2, 900)
    assert _channels(notifier) == ["outbox://alice-push"]
    second = run_personal(group.id, first.next_step, data, pager)
    assert second.done and _channels(notifier) == ["outbox://alice-push", "outbox://alice-sms"]
    notification = notifier.delivered[0]
    assert notification.user_id == alice.id and notification.title == f"#{group.number} DiskFull"
    timeline = [e for e in store.list_timeline(group.id) if e.type == "notified"]
    assert [e.text for e in timeline] == ["Notified alice via push.", "Notified alice via sms."]
    assert timeline[0].details["user_id"] == alice.id


def test_the_users_links_act_as_the_user(page_user, store, clock, pager, notifier, links):
    alice = builders.user(store, clock, "alice")
    group, data, _ = page_user(alice)
    run_personal(group.id, 0, data, pager)
    token = notifier.delivered[0].action_links["acknowledge"].rsplit("/", 1)[1]
    assert links.verify(token).user_id == alice.id


def test_no_rules_means_every_contact_once(page_user, store, clock, pager, notifier):
    bob = builders.user(store, clock, "bob", contacts={"a": "outbox://bob-a", "b": "outbox://bob-b"})
    group, data, _ = page_user(bob)
    assert run_personal(group.id, 0, data, pager).done
    assert _channels(notifier) == ["outbox://bob-a", "outbox://bob-b"]


def test_important_steps_use_the_important_rules(page_user, store, clock, pager, notifier):
    carol = builders.user(
        store,
        clock,
        "carol",
        contacts={"chat": "outbox://carol-chat", "phone": "outbox://carol-phone"},
        rules=[{"type": "notify", "contact": "chat"}],
        important_rules=[{"type": "notify", "contact": "phone"}],
    )
    group, data, _ = page_user(carol, important=True)
    run_personal(group.id, 0, data, pager)
    assert _channels(notifier) == ["outbox://carol-phone"] and notifier.delivered[0].important


def test_a_trailing_wait_costs_nothing(page_user, store, clock, pager):
    dave = builders.user(
        store, clock, "dave", rules=[{"type": "notify", "contact": "outbox"}, {"type": "wait", "duration": 60}]
    )
    group, data, _ = page_user(dave)
    assert run_personal(group.id, 0, data, pager).done


@pytest.mark.parametrize("action", ["acknowledge", "resolve", "silence", "wipe", "restart"])
def test_each_run_rechecks_the_group(page_user, store, clock, deps, pager, notifier, action):
    erin = builders.user(
        store, clock, "erin", rules=[{"type": "wait", "duration": 60}, {"type": "notify", "contact": "outbox"}]
    )
    group, data, _ = page_user(erin)
    assert not run_personal(group.id, 0, data, pager).done
    if action == "silence":
        actions.silence(group.id, SYSTEM, deps, 600)
    elif action == "restart":  # acknowledged and unacknowledged again: a new escalation pages anew
        actions.acknowledge(group.id, SYSTEM, deps)
        actions.unacknowledge(group.id, SYSTEM, deps)
    else:
        getattr(actions, action)(group.id, SYSTEM, deps)
    assert run_personal(group.id, 1, data, pager).done
    assert notifier.delivered == []


def test_rerunning_a_rule_delivers_once(page_user, store, clock, pager, notifier, deps, escalations):
    frank = builders.user(store, clock, "frank")
    group, data, _ = page_user(frank)
    # the escalation step itself runs again (a Step Functions retry): same personal execution name
    run_escalation(group.id, 0, group.escalation.execution_name, pager=pager)
    names = [name for name, _ in escalations.of_kind(PERSONAL)]
    assert names == [execution_name(group.id, 0, 0, frank.id)] * 2
    for _ in range(3):
        run_personal(group.id, 0, data, pager)
    assert len(notifier.delivered) == 1


def test_an_unexpected_failure_is_retried_and_then_delivered_once(page_user, store, clock, pager, notifier):
    gina = builders.user(store, clock, "gina", contacts={"a": "outbox://gina-a", "b": "outbox://gina-b"})
    group, data, _ = page_user(gina)
    original = notifier.deliver

    def second_fails(notification):
        if notification.channel == "outbox://gina-b" and not getattr(second_fails, "failed", False):
            second_fails.failed = True
            raise TimeoutError("provider timed out")
        original(notification)

    notifier.deliver = second_fails
    with pytest.raises(TimeoutError):
        run_personal(group.id, 0, data, pager)
    run_personal(group.id, 0, data, pager)  # the task's Retry
    assert _channels(notifier) == ["outbox://gina-a", "outbox://gina-b"]


def test_a_channel_error_is_on_the_timeline_and_the_rules_go_on(page_user, store, clock, pager, notifier):
    hank = builders.user(store, clock, "hank", contacts={"bad": "slack://nope", "good": "outbox://hank"})
    group, data, _ = page_user(hank)
    original = notifier.deliver

    def reject_slack(notification):
        if notification.channel.startswith("slack://"):
            raise ChannelError("unsupported channel: slack://")
        original(notification)

    notifier.deliver = reject_slack
    assert run_personal(group.id, 0, data, pager).done
    assert _channels(notifier) == ["outbox://hank"]
    failed = [e.text for e in store.list_timeline(group.id) if e.type == "notification_failed"]
    assert failed == ["Could not notify hank via bad: unsupported channel: slack://"]


def test_the_surface_follows_the_channel(page_user, store, clock, pager, notifier):
    ivy = builders.user(
        store, clock, "ivy", contacts={"sms": "sns-sms://+15550100", "mail": "mailto://ivy@example.com"}
    )
    group, data, _ = page_user(ivy)
    run_personal(group.id, 0, data, pager)
    assert [n.surface for n in notifier.delivered] == ["sms", "email"]


@pytest.mark.parametrize(
    ("contacts", "rules", "message"),
    [
        ({}, [], "Can't notify jo: they have no contact methods."),
        ({"a": "outbox://jo"}, [{"type": "notify", "contact": "pager"}], "Can't notify jo via pager: no such contact."),
    ],
)
def test_misconfigured_users_are_timeline_failures(page_user, store, clock, pager, contacts, rules, message):
    jo = builders.user(store, clock, "jo", contacts=contacts, rules=rules)
    group, data, _ = page_user(jo)
    assert run_personal(group.id, 0, data, pager).done
    assert message in [e.text for e in store.list_timeline(group.id) if e.type == "notification_failed"]


def test_long_execution_names_stay_valid():
    name = execution_name("I" * 60, 3, 2, "U" * 40)
    assert len(name) <= 80 and name == execution_name("I" * 60, 3, 2, "U" * 40)
