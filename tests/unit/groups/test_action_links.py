"""Signed action links: HMAC over (group, action, expiry, user); what GET shows and POST does."""

import pytest

from oncall.dispatch.pipeline import process_alert
from oncall.groups import action_pages, actions
from oncall.groups.action_links import ActionLinks
from oncall.models import SYSTEM, IngestMessage
from oncall.platform.errors import ActionLinkError, ConflictError
from tests import builders
from tests.conftest import LINK_SECRET


@pytest.fixture
def group_id(store, clock, deps):
    chain = builders.chain(store, clock, [{"type": "wait", "duration": 300}])
    integration, _ = builders.integration(store, clock, chain_id=chain.id)
    alert = builders.alert(store, clock, integration, builders.am_payload())
    return process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps).group_id


def test_a_link_round_trips(links):
    token = links.token("IGROUP", "acknowledge", "UALICE")
    link = links.verify(token)
    assert (link.group_id, link.action, link.user_id) == ("IGROUP", "acknowledge", "UALICE")
    assert links.url("http://x/", "IGROUP", "resolve").startswith("http://x/actions/IGROUP.resolve.")


@pytest.mark.parametrize("part", [0, 1, 2, 3, 4])
def test_any_tampering_is_refused(links, part):
    parts = links.token("IGROUP", "acknowledge", "UALICE").split(".")
    parts[part] = {0: "IOTHER", 1: "resolve", 2: str(int(parts[2]) + 3600), 3: "UMALLORY", 4: "A" * 43}[part]
    with pytest.raises(ActionLinkError):
        links.verify(".".join(parts))


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c.d.e", "I.acknowledge.notanumber.-.sig", "." * 4])
def test_malformed_tokens_are_refused(links, token):
    with pytest.raises(ActionLinkError):
        links.verify(token)


def test_unknown_actions_cannot_be_signed_or_verified(links, clock):
    with pytest.raises(ValueError):
        links.token("IGROUP", "delete")
    # a token for an unknown action signed with the right key is still refused
    forged = ActionLinks(lambda: LINK_SECRET, clock, 60)
    good = forged.token("IGROUP", "resolve").split(".")
    good[1] = "delete"
    with pytest.raises(ActionLinkError):
        links.verify(".".join(good))


def test_links_expire(links, clock):
    token = links.token("IGROUP", "acknowledge")
    clock.advance(days=7)
    links.verify(token)  # still valid on the last second
    clock.advance(seconds=2)
    with pytest.raises(ActionLinkError, match="expired"):
        links.verify(token)


def test_another_secret_does_not_verify(links, clock):
    other = ActionLinks(lambda: "another secret", clock, 3600)
    with pytest.raises(ActionLinkError):
        other.verify(links.token("IGROUP", "acknowledge"))
    with pytest.raises(ActionLinkError, match="not configured"):
        ActionLinks(lambda: "", clock, 3600).token("IGROUP", "acknowledge")


@pytest.mark.parametrize(
    ("action", "state"),
    [("acknowledge", "acknowledged"), ("resolve", "resolved"), ("silence_1h", "silenced")],
)
def test_acting_on_a_link(links, group_id, store, clock, deps, action, state):
    alice = builders.user(store, clock, "alice")
    link = links.verify(links.token(group_id, action, alice.id))
    group = action_pages.act(link, deps)
    assert group.state == state
    if action == "silence_1h":
        assert (group.silenced_until - clock.now()).total_seconds() == 3600
    assert store.list_timeline(group_id)[-1].details["actor"] == "Alice"


def test_a_link_without_a_user_acts_as_the_notification_link(links, group_id, deps):
    group = action_pages.act(links.verify(links.token(group_id, "acknowledge")), deps)
    assert group.acknowledged_by.name == "a notification link" and group.acknowledged_by.user_id is None


def test_a_failed_precondition_is_a_conflict(links, group_id, deps):
    actions.resolve(group_id, SYSTEM, deps)
    with pytest.raises(ConflictError, match="resolved"):
        action_pages.act(links.verify(links.token(group_id, "acknowledge")), deps)


def test_acknowledge_again_needs_an_acknowledged_group(links, group_id, deps, store):
    with pytest.raises(ConflictError, match="not acknowledged"):
        action_pages.act(links.verify(links.token(group_id, "acknowledge_again")), deps)
    actions.acknowledge(group_id, SYSTEM, deps)
    action_pages.act(links.verify(links.token(group_id, "acknowledge_again")), deps)
    assert store.list_timeline(group_id)[-1].type == "acknowledgement_confirmed"


def test_pages_escape_what_alerts_say(links, group_id, store):
    group = store.get_group(group_id).model_copy(update={"title": "<script>alert(1)</script>"})
    link = links.verify(links.token(group_id, "acknowledge"))
    page = action_pages.confirmation_page(link, group, "AM <prod>", "alice")
    assert "<script>" not in page and "&lt;script&gt;" in page and "AM &lt;prod&gt;" in page
    assert "<form method=post>" in page
