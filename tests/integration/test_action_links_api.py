"""Signed action links through the api function (GET page, POST acts), acknowledge reminders with the real
state machine, the settings endpoint and editing escalation policies."""

from datetime import timedelta

from oncall import wiring
from oncall.groups.action_links import ActionLinks
from oncall.platform.clock import SystemClock
from tests.fakes import FixedClock
from tests.integration.conftest import fire, put_user, timeline_types

CHAIN = [{"type": "notify_channel", "channel": "outbox://pager"}, {"type": "wait", "duration": 3600}]
HTML = {"accept": "text/html"}
JSON = {"accept": "application/json"}


def _path(url: str) -> str:
    return url.removeprefix("https://oncall.test")


def _browser_get(aws, link: str):
    """A browser's GET: /actions/<token> sends it on to the console's page for the link (303)."""
    moved = aws.http("GET", link, headers=HTML)
    assert moved.status == 303 and moved.headers["Location"].startswith("/console/link/")
    return aws.http("GET", moved.headers["Location"], headers=HTML)


def _first_links(aws) -> dict[str, str]:
    aws.wait_for(aws.outbox_lines)
    return aws.outbox_lines()[0]["action_links"]


def test_get_shows_a_page_and_only_post_acts(aws):
    group_id = fire(aws, CHAIN)
    link = _path(_first_links(aws)["acknowledge"])
    # GET (a person, or a link preview bot): a confirmation page, nothing happens
    page = _browser_get(aws, link)
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert f'<form method="post" action="/console/link/{link.rsplit("/", 1)[1]}">' in page.body
    assert "lets you <strong>acknowledge</strong> this alert group" in page.body
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert aws.api("GET", f"alert_groups/{group_id}").body["state"] == "firing"
    described = aws.http("GET", link, headers=JSON).body
    assert described["method"] == "POST" and described["alert_group"]["id"] == group_id
    # POST acts, without any Authorization header
    done = aws.http("POST", link, headers=HTML)
    assert done.status == 200 and "Acknowledged" in done.body
    assert aws.api("GET", f"alert_groups/{group_id}").body["state"] == "acknowledged"
    assert aws.execution_status(group_id) == "ABORTED"
    timeline = aws.api("GET", f"alert_groups/{group_id}/timeline").body["results"]
    assert timeline[-1]["text"] == "Acknowledged by a notification link."
    # a second click: friendly conflict page
    again = aws.http("POST", link, headers=HTML)
    assert again.status == 409 and "already acknowledged" in again.body


def test_resolve_and_silence_links(aws):
    group_id = fire(aws, CHAIN)
    links = _first_links(aws)
    assert aws.http("POST", _path(links["silence_1h"]), headers=JSON).body["alert_group"]["state"] == "silenced"
    assert aws.http("POST", _path(links["resolve"]), headers=JSON).body["alert_group"]["state"] == "resolved"
    refused = aws.http("POST", _path(links["silence_1h"]), headers=JSON)
    assert refused.status == 409 and "resolved" in refused.body["detail"]
    assert timeline_types(aws, group_id)[-2:] == ["silenced", "resolved"]


def test_a_users_link_acts_as_that_user(aws):
    alice = put_user("alice", name="Alice Example")
    group_id = fire(aws, [{"type": "notify_persons", "persons_to_notify": [alice]}])
    link = _path(_first_links(aws)["acknowledge"])
    assert "acting as Alice Example" in _browser_get(aws, link).body
    assert aws.http("GET", link).body.startswith("Acknowledge #1 DiskFull")  # curl: one line of text
    acted = aws.http("POST", link, headers=JSON).body["alert_group"]
    assert (acted["id"], acted["acknowledged_by"]) == (group_id, alice)


def test_tampered_unknown_and_expired_links_are_403(aws):
    group_id = fire(aws, CHAIN)
    link = _path(_first_links(aws)["acknowledge"])
    tampered = link.replace("acknowledge", "resolve", 1)
    for method in ("GET", "POST"):
        page = aws.http(method, tampered, headers=HTML)
        assert page.status == 403 and "This link does not work" in page.body
        assert aws.http(method, tampered, headers=JSON).body == {"detail": "This link is not valid."}
    assert aws.http("POST", "/actions/nonsense", headers=JSON).status == 403
    secret = wiring.action_links()._secret
    old = ActionLinks(secret, FixedClock(SystemClock().now() - timedelta(days=8)), 7 * 24 * 3600)
    expired = aws.http("POST", f"/actions/{old.token(group_id, 'acknowledge')}", headers=JSON)
    assert expired.status == 403 and "expired" in expired.body["detail"]
    assert aws.api("GET", f"alert_groups/{group_id}").body["state"] == "firing"
    # the management API still wants its token
    assert aws.http("GET", "/api/v1/alert_groups/").status == 401


def test_a_link_for_a_deleted_group_is_404(aws):
    group_id = fire(aws, CHAIN)
    link = _path(_first_links(aws)["acknowledge"])
    aws.http(
        "DELETE", f"/api/v1/alert_groups/{group_id}/", {"mode": "delete"}, headers={"authorization": "admin-test-token"}
    )
    assert aws.http("GET", link, headers=JSON).status == 404


# ------------------------------------------------------------------------------------------ reminders
def test_settings_are_read_by_anyone_and_changed_by_admins(aws):
    assert aws.api("GET", "settings").body == {
        "acknowledge_remind_timeout": 0,
        "unacknowledge_timeout": 0,
        "require_resolution_note": False,
    }
    bad = aws.api("PUT", "settings", {"unacknowledge_timeout": 5})
    assert bad.status == 400 and "unacknowledge_timeout" in bad.body
    assert aws.api("PUT", "settings", {"acknowledge_remind_timeout": -1}).status == 400
    saved = aws.api("PUT", "settings", {"acknowledge_remind_timeout": 60, "unacknowledge_timeout": 15})
    assert saved.status == 200 and saved.body == {
        "acknowledge_remind_timeout": 60,
        "unacknowledge_timeout": 15,
        "require_resolution_note": False,
    }
    editor = _token(aws, "editor")
    assert aws.api("PUT", "settings", {"acknowledge_remind_timeout": 5}, token=editor).status == 403
    assert aws.api("GET", "settings", token=editor).body["acknowledge_remind_timeout"] == 60


def _token(aws, role: str) -> str:
    from oncall.models import ApiToken, ApiTokenRole
    from oncall.platform import ids

    raw = ids.api_token()
    wiring.store().put_api_token(
        ApiToken(
            id="K1", name=role, role=ApiTokenRole(role), digest=ids.token_digest(raw), created_at="2026-01-01T00:00:00Z"
        )
    )
    return raw


def test_unconfirmed_acknowledgement_is_reminded_then_undone(aws):
    # given reminders after 1 minute and auto-unacknowledge 1 minute after a reminder (60 ms each here)
    aws.api("PUT", "settings", {"acknowledge_remind_timeout": 1, "unacknowledge_timeout": 1})
    group_id = fire(aws, CHAIN)
    aws.wait_for(lambda: len(aws.outbox_lines()) == 1)
    # when someone acknowledges through the API and nobody confirms
    aws.api("POST", f"alert_groups/{group_id}/acknowledge")
    # then whoever was notified is reminded with an "acknowledge again" link, then the group is
    # unacknowledged and the escalation restarts from step 0 (a new page)
    aws.wait_for(lambda: len(aws.outbox_lines()) == 3, timeout=15)
    reminder, restarted = aws.outbox_lines()[1:]
    assert reminder["message"].startswith("Still working on it?")
    assert set(reminder["action_links"]) == {"acknowledge_again", "resolve"}
    assert restarted["idempotency_key"] == f"{group_id}-1#0#0"
    assert aws.api("GET", f"alert_groups/{group_id}").body["state"] == "firing"
    types = timeline_types(aws, group_id)
    assert types[types.index("acknowledged") :] == [
        "acknowledged",
        "ack_reminder_sent",
        "auto_unacknowledged",
        "notified",
    ]


def test_acknowledge_again_from_the_link(aws):
    aws.api("PUT", "settings", {"acknowledge_remind_timeout": 60})  # 3.6 s here: no reminder during the test
    group_id = fire(aws, CHAIN)
    aws.api("POST", f"alert_groups/{group_id}/acknowledge")
    again = wiring.action_links().url("https://oncall.test", group_id, "acknowledge_again")
    response = aws.http("POST", _path(again), headers=JSON)
    assert response.status == 200 and response.body["alert_group"]["state"] == "acknowledged"
    assert timeline_types(aws, group_id)[-1] == "acknowledgement_confirmed"
    reminders = [n for n in aws.executions() if "-ackr-" in n]
    assert len(reminders) == 2  # the one from the acknowledgement, and the renewed one


# ------------------------------------------------------------------------------------------ policies
def test_policies_can_be_read_changed_and_deleted(aws):
    chain = aws.api("POST", "escalation_chains", {"name": "edit me"}).body
    created = [
        aws.api("POST", "escalation_policies", {"escalation_chain_id": chain["id"], **step}).body
        for step in (
            {"type": "notify_channel", "channel": "outbox://a"},
            {"type": "wait", "duration": 120},
            {"type": "repeat_escalation"},
        )
    ]
    assert aws.api("GET", f"escalation_policies/{created[1]['id']}").body == created[1]
    moved = aws.api("PUT", f"escalation_policies/{created[2]['id']}", {"position": 0})
    assert moved.status == 200 and moved.body == {**created[2], "position": 0}
    changed = aws.api("PUT", f"escalation_policies/{created[1]['id']}", {"type": "notify_if_time_from_to"})
    assert changed.status == 400 and "notify_if_time_from" in changed.body
    assert (
        aws.http(
            "DELETE", f"/api/v1/escalation_policies/{created[0]['id']}/", headers={"authorization": "admin-test-token"}
        ).status
        == 204
    )
    listed = aws.api("GET", "escalation_policies", query=f"escalation_chain_id={chain['id']}").body["results"]
    assert [(s["position"], s["type"]) for s in listed] == [(0, "repeat_escalation"), (1, "wait")]
    assert aws.api("GET", f"escalation_policies/{created[0]['id']}").status == 404


def test_repeated_slashes_count_as_one_on_the_api_integration_heartbeat_and_action_urls(aws):
    """OnCall clients behind nginx (merge_slashes) send "//" in paths; each function's routing treats repeated
    slashes as one, so the same paths work here (issue 12 item 4)."""
    from tests.builders import am_payload
    from tests.integration.conftest import ADMIN_TOKEN, create_integration, ingest_path

    group_id = fire(aws, CHAIN)
    admin = {"authorization": ADMIN_TOKEN}
    listed = aws.http("GET", "/api/v1//alert_groups/", headers=admin)
    assert listed.status == 200 and group_id in [g["id"] for g in listed.body["results"]]
    assert listed.body["results"] and "//" not in (listed.body.get("next") or "")
    acked = aws.http("POST", f"/api/v1//alert_groups//{group_id}/acknowledge/", headers=admin)
    assert acked.status == 200, acked.body
    assert aws.api("GET", f"alert_groups/{group_id}").body["state"] == "acknowledged"
    integration = create_integration(aws)
    slug_and_token = ingest_path(integration).removeprefix("/integrations/v1/")
    assert aws.http("POST", "/integrations/v1//" + slug_and_token.replace("/", "//"), am_payload()).status == 200
    assert aws.http("GET", "/integrations/v1/" + slug_and_token + "/heartbeat//").status == 200
    # an action link as the api function gets it (API Gateway's /actions/{token} route takes one segment)
    link = _path(_first_links(aws)["resolve"])
    event_path = link.replace("/actions/", "/actions//")
    from oncall_local.front_door import build_event, match_route

    route, params = match_route(aws.topology.http_routes, "POST", link)
    event = build_event(route, "POST", event_path, "", {"host": "oncall.test", **JSON}, b"", params, "127.0.0.1")
    done = aws.functions.invoke(route.function, event)
    assert done["statusCode"] == 200, done
    assert aws.api("GET", f"alert_groups/{group_id}").body["state"] == "resolved"
