"""POST /api/v1/escalation (OnCall's direct paging): people paged into a new alert group or an existing one,
through their own notification rules, with the real state machine."""

from __future__ import annotations

from tests.builders import am_payload
from tests.integration.conftest import create_chain, create_integration, ingest_path, put_user, timeline_types


def _channels(aws) -> list[str]:
    return sorted(n["channel"] for n in aws.outbox_lines())


def test_a_page_opens_a_group_and_pages_each_user_by_their_rules(aws):
    alice = put_user("alice", contacts={"push": "outbox://alice-push"})
    bob = put_user(
        "bob",
        contacts={"chat": "outbox://bob-chat", "sms": "outbox://bob-sms"},
        important_rules=[{"type": "notify", "contact": "sms"}],
    )
    # when a person pages alice, and bob as important
    paged = aws.api(
        "POST",
        "escalation",
        {
            "title": "Checkout is failing",
            "message": "Please look at the payments dashboard",
            "source_url": "https://grafana.example/d/payments",
            "users": [{"id": alice, "important": False}, {"id": bob, "important": True}],
        },
    )
    # then a group exists (on the direct paging integration) and both are paged by their own rules
    assert paged.status == 200, paged.body
    group = paged.body
    assert group["state"] == "firing" and group["title"].endswith("Checkout is failing")
    integration = aws.api("GET", f"integrations/{group['integration_id']}").body
    assert integration["type"] == "direct_paging"
    aws.wait_for(lambda: len(aws.outbox_lines()) == 2)
    assert _channels(aws) == ["outbox://alice-push", "outbox://bob-sms"]
    assert "users_paged" in timeline_types(aws, group["id"])
    # a second page is a second group, on the same integration
    again = aws.api("POST", "escalation", {"title": "Another", "users": [{"id": alice}]}).body
    assert again["id"] != group["id"] and again["integration_id"] == group["integration_id"]


def test_paging_into_an_existing_group(aws):
    carol = put_user("carol")
    chain = create_chain(aws, [{"type": "wait", "duration": 3600}])
    integration = create_integration(aws, chain_id=chain["id"])
    aws.http("POST", ingest_path(integration), am_payload())
    aws.drain()
    [group] = aws.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body["results"]
    paged = aws.api("POST", "escalation", {"alert_group_id": group["id"], "users": [{"id": carol}]})
    assert paged.status == 200 and paged.body["id"] == group["id"]
    aws.wait_for(lambda: len(aws.outbox_lines()) == 1)
    assert _channels(aws) == ["outbox://carol"]


def test_a_team_page_pages_its_members(aws):
    team = aws.api("POST", "teams", {"name": "db"}).body
    dave = put_user("dave", team_ids=[team["id"]])
    put_user("erin")  # not in the team
    paged = aws.api("POST", "escalation", {"title": "DB down", "team": team["id"]})
    assert paged.status == 200, paged.body
    aws.wait_for(lambda: len(aws.outbox_lines()) == 1)
    assert [n["user_id"] for n in aws.outbox_lines()] == [dave]


def test_bad_pages_are_400_naming_the_field_and_page_nobody(aws):
    alice = put_user("alice")
    cases = [
        ({"title": "x"}, "users"),
        ({"title": "x", "users": [{"id": "UNOPE"}]}, "users[0].id"),
        ({"users": [{"id": alice}]}, "title"),
        ({"alert_group_id": "INOPE", "users": [{"id": alice}]}, "alert_group_id"),
        ({"title": "x", "team": "TNOPE"}, "team"),
    ]
    for body, field in cases:
        refused = aws.api("POST", "escalation", body)
        assert refused.status == 400, (body, refused.body)
        assert field in refused.body, (body, refused.body)
    assert aws.api("GET", "alert_groups").body["count"] == 0
    assert aws.outbox_lines() == []
