"""The console function in process on moto: sign-in, sessions, CSRF, roles, alert-group pages and actions,
the action-link page, integrations, and hostile content rendered inert."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from oncall import wiring
from tests.builders import am_payload
from tests.integration.conftest import ADMIN_TOKEN, create_integration, fire, ingest_path

CHAIN = [{"type": "notify_channel", "channel": "outbox://pager"}, {"type": "wait", "duration": 3600}]
FORM = "application/x-www-form-urlencoded"


class Browser:
    """Cookies and forms, as a browser with JavaScript off would send them."""

    def __init__(self, aws) -> None:
        self.aws = aws
        self.cookie = ""

    def get(self, path: str, query: str = ""):
        response = self.aws.http("GET", path, headers=self._headers(), query=query)
        self._keep(response)
        return response

    def post(self, path: str, fields: dict | list):
        body = urlencode(fields, doseq=True)
        response = self.aws.http("POST", path, body.encode(), headers={**self._headers(), "content-type": FORM})
        self._keep(response)
        return response

    def _headers(self) -> dict[str, str]:
        headers = {"accept": "text/html"}
        if self.cookie:
            headers["cookie"] = f"oncall_session={self.cookie}"
        return headers

    def _keep(self, response) -> None:
        set_cookie = response.headers.get("Set-Cookie", "")
        if set_cookie.startswith("oncall_session="):
            self.cookie = set_cookie.split(";")[0].split("=", 1)[1]

    def sign_in(self, token: str = ADMIN_TOKEN):
        form = self.get("/console/signin").body
        return self.post("/console/signin", {"token": token, "csrf": _csrf(form), "next": "/console/alert_groups"})

    def csrf(self, path: str = "/console/alert_groups") -> str:
        return _csrf(self.get(path).body)


def _csrf(page: str) -> str:
    return html.unescape(re.search(r'name="csrf" value="([^"]+)"', page).group(1))


@pytest.fixture
def browser(aws) -> Browser:
    return Browser(aws)


def _token(aws, role: str) -> str:
    return aws.api("POST", "tokens", {"name": f"{role} token", "role": role}).body["token"]


def test_the_base_url_opens_the_console_and_asks_to_sign_in(aws, browser):
    assert browser.get("/").headers["Location"] == "/console/alert_groups"
    asked = browser.get("/console/alert_groups")
    assert asked.status == 303 and asked.headers["Location"].startswith("/console/signin?next=")


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_clears_it(aws, browser):
    signed_in = browser.sign_in()
    assert signed_in.status == 303 and signed_in.headers["Location"] == "/console/alert_groups"
    cookie = signed_in.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie
    assert ADMIN_TOKEN not in cookie
    page = browser.get("/console/alert_groups")
    assert page.status == 200 and "Alert groups" in page.body
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    out = browser.post("/console/signout", {"csrf": _csrf(page.body)})
    assert "Max-Age=0" in out.headers["Set-Cookie"]
    assert browser.get("/console/alert_groups").status == 303


def test_a_wrong_token_or_a_missing_form_token_does_not_sign_in(aws, browser):
    form = browser.get("/console/signin").body
    wrong = browser.post("/console/signin", {"token": "nope", "csrf": _csrf(form)})
    assert wrong.status == 401 and "not valid" in wrong.body and "Set-Cookie" not in wrong.headers
    forged = browser.post("/console/signin", {"token": ADMIN_TOKEN, "csrf": "1.x"})
    assert forged.status == 403 and "Set-Cookie" not in forged.headers


def test_sign_in_is_rate_limited(aws, browser):
    form = browser.get("/console/signin").body
    statuses = [browser.post("/console/signin", {"token": "guess", "csrf": _csrf(form)}).status for _ in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


def test_a_revoked_token_ends_its_sessions(aws, browser):
    created = aws.api("POST", "tokens", {"name": "temp", "role": "editor"}).body
    browser.sign_in(created["token"])
    assert browser.get("/console/alert_groups").status == 200
    aws.api("DELETE", f"tokens/{created['id']}")
    assert browser.get("/console/alert_groups").status == 303


def test_actions_need_the_csrf_token(aws, browser):
    group_id = fire(aws, CHAIN)
    browser.sign_in()
    refused = browser.post(f"/console/alert_groups/{group_id}/acknowledge", {"csrf": "forged"})
    assert refused.status == 403
    assert aws.api("GET", f"alert_groups/{group_id}").body["state"] == "firing"


def test_acknowledge_silence_and_resolve_from_the_group_page(aws, browser):
    group_id = fire(aws, CHAIN)
    browser.sign_in()
    page = browser.get(f"/console/alert_groups/{group_id}")
    assert page.status == 200 and "#1 " in page.body and "Timeline" in page.body
    csrf = _csrf(page.body)
    done = browser.post(f"/console/alert_groups/{group_id}/acknowledge", {"csrf": csrf})
    assert done.status == 303 and done.headers["Location"].startswith(f"/console/alert_groups/{group_id}?done=")
    assert aws.api("GET", f"alert_groups/{group_id}").body["state"] == "acknowledged"
    assert "Acknowledged by API token" in browser.get(f"/console/alert_groups/{group_id}").body
    # the same rules as the API: acknowledging twice is refused with the domain's message
    again = browser.post(f"/console/alert_groups/{group_id}/acknowledge", {"csrf": csrf})
    assert again.status == 400 and "already acknowledged" in again.body
    browser.post(f"/console/alert_groups/{group_id}/unacknowledge", {"csrf": csrf})
    browser.post(f"/console/alert_groups/{group_id}/silence", {"csrf": csrf, "delay": "3600"})
    assert aws.api("GET", f"alert_groups/{group_id}").body["state"] == "silenced"
    assert browser.post(f"/console/alert_groups/{group_id}/silence", {"csrf": csrf, "delay": "5"}).status == 400
    browser.post(f"/console/alert_groups/{group_id}/resolve", {"csrf": csrf})
    assert aws.api("GET", f"alert_groups/{group_id}").body["state"] == "resolved"


def test_bulk_acknowledge_and_list_filters(aws, browser):
    chain = aws.api("POST", "escalation_chains", {"name": "c"}).body
    integration = create_integration(aws, chain_id=chain["id"])
    for name in ("A", "B"):
        aws.http("POST", ingest_path(integration), am_payload(alertname=name))
    aws.drain()
    ids = [g["id"] for g in aws.api("GET", "alert_groups").body["results"]]
    assert len(ids) == 2
    browser.sign_in()
    listed = browser.get("/console/alert_groups")
    done = browser.post(
        "/console/alert_groups/bulk",
        {"csrf": _csrf(listed.body), "action": "acknowledge", "id": ids, "back": "/console/alert_groups?state=firing"},
    )
    assert done.status == 303 and "Acknowledged+2+alert+groups" in done.headers["Location"]
    assert {g["state"] for g in aws.api("GET", "alert_groups").body["results"]} == {"acknowledged"}
    assert "No alert groups match" in browser.get("/console/alert_groups", query="state=firing").body
    assert browser.get("/console/alert_groups", query="state=acknowledged").body.count('class="group ') == 2


def test_a_read_only_token_sees_no_buttons_and_is_refused_anyway(aws, browser):
    group_id = fire(aws, CHAIN)
    browser.sign_in(_token(aws, "viewer"))
    page = browser.get(f"/console/alert_groups/{group_id}")
    assert page.status == 200 and "/acknowledge" not in page.body and "Silence" not in page.body
    refused = browser.post(f"/console/alert_groups/{group_id}/acknowledge", {"csrf": _csrf(page.body)})
    assert refused.status == 403
    assert aws.api("GET", f"alert_groups/{group_id}").body["state"] == "firing"


def test_the_action_link_page_offers_only_its_action_and_acts_without_sign_in(aws, browser):
    group_id = fire(aws, CHAIN)
    aws.wait_for(aws.outbox_lines)
    note = aws.outbox_lines()[0]
    assert note["link"] == f"https://oncall.test/console/alert_groups/{group_id}"
    token = note["action_links"]["acknowledge"].rsplit("/", 1)[1]
    page = browser.get(f"/console/link/{token}")
    assert page.status == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert f'action="/console/link/{token}"' in page.body
    assert "/console/alert_groups/" + group_id + "/resolve" not in page.body  # nothing beyond the link
    acted = browser.post(f"/console/link/{token}", {})
    assert acted.status == 303 and aws.api("GET", f"alert_groups/{group_id}").body["state"] == "acknowledged"
    after = browser.get(acted.headers["Location"].split("?")[0], query=acted.headers["Location"].split("?")[1])
    assert "Acknowledged by a notification link." in after.body
    assert f'action="/console/link/{token}"' not in after.body and "Nothing to do" in after.body
    assert browser.get(f"/console/link/{token[:-2]}xx").status == 403


XSS = '<script>window.pwned=1</script><img src=x onerror="window.pwned=1">'


def test_hostile_alert_content_is_escaped(aws, browser):
    payload = am_payload(alertname=XSS)
    payload["alerts"][0]["annotations"]["summary"] = XSS
    payload["alerts"][0]["generatorURL"] = "javascript:window.pwned=1"
    payload["externalURL"] = "javascript:window.pwned=1"
    group_id = fire(aws, CHAIN, payload)
    browser.sign_in()
    for path in ("/console/alert_groups", f"/console/alert_groups/{group_id}"):
        body = browser.get(path).body
        assert "<script>window" not in body and "<img src=x" not in body
        assert "&lt;script&gt;" in body
        assert 'href="javascript:' not in body


def test_create_integration_demo_alert_maintenance_heartbeat_rename_and_delete(aws, browser):
    browser.sign_in()
    csrf = browser.csrf("/console/integrations/new")
    created = browser.post(
        "/console/integrations/new", {"csrf": csrf, "type": "webhook", "name": "Checkout", "description_short": ""}
    )
    assert created.status == 303
    path = created.headers["Location"].split("?")[0]
    page = browser.get(path).body
    assert "How to connect" in page and "/integrations/v1/webhook/" in page and "curl -X POST" in page
    browser.post(f"{path}/demo_alert", {"csrf": csrf})
    aws.drain()
    assert "Checkout" in browser.get("/console/alert_groups").body
    browser.post(f"{path}/maintenance_start", {"csrf": csrf, "mode": "maintenance", "duration": "3600"})
    assert "Maintenance mode until" in browser.get(path).body
    browser.post(f"{path}/maintenance_stop", {"csrf": csrf})
    assert "Maintenance mode until" not in browser.get(path).body
    assert browser.post(f"{path}/heartbeat", {"csrf": csrf, "period": "600", "grace_period": "60"}).status == 303
    assert browser.post(f"{path}/heartbeat", {"csrf": csrf, "period": "5"}).status == 400
    assert browser.post(f"{path}/heartbeat_reset", {"csrf": csrf}).status == 303
    browser.post(f"{path}/settings", {"csrf": csrf, "name": "Checkout API", "description_short": "d", "team_id": ""})
    assert "Checkout API" in browser.get("/console/integrations").body
    refused = browser.post(f"{path}/delete", {"csrf": csrf, "confirm_name": "Checkout"})
    assert refused.status == 400 and aws.api("GET", "integrations").body["count"] == 1
    assert browser.post(f"{path}/delete", {"csrf": csrf, "confirm_name": "Checkout API"}).status == 303
    assert aws.api("GET", "integrations").body["count"] == 0


def test_static_assets_are_served_with_long_caching(aws, browser):
    page = browser.get("/console/signin").body
    css = re.search(r'href="(/console/static/console\.css)\?v=([0-9a-f]+)"', page)
    served = browser.get(css.group(1), query=f"v={css.group(2)}")
    assert served.status == 200 and served.headers["Content-Type"].startswith("text/css")
    assert "immutable" in served.headers["Cache-Control"]
    assert browser.get("/console/static/nope.js").status == 404


def _new_webhook_integration(aws, browser, name: str = "Hooks") -> tuple[str, str, dict]:
    chain = aws.api("POST", "escalation_chains", {"name": f"chain for {name}"}).body
    created = create_integration(aws, kind="webhook", name=name, chain_id=chain["id"])
    browser.sign_in()
    path = f"/console/integrations/{created['id']}"
    return path, browser.csrf(path), created


def test_template_preview_shows_errors_at_their_line_and_save_changes_grouping(aws, browser):
    path, csrf, integration = _new_webhook_integration(aws, browser)
    editor = browser.get(f"{path}/templates", query="name=grouping_key")
    assert editor.status == 200 and 'name="body"' in editor.body
    # a live preview (what the script asks for) against a pasted payload
    preview = aws.http(
        "POST",
        f"{path}/templates/preview",
        urlencode(
            {"csrf": csrf, "name": "grouping_key", "body": "{{ payload.service }}", "payload": '{"service": "db"}'}
        ),
        headers={"cookie": f"oncall_session={browser.cookie}", "accept": "application/json", "content-type": FORM},
    )
    assert preview.body["text"] == "db" and preview.body["error"] is None
    broken = browser.post(
        f"{path}/templates/preview", {"csrf": csrf, "name": "grouping_key", "body": "ok\n{% if %}", "payload": "{}"}
    )
    assert broken.status == 200 and "Line 2: Template Error" in broken.body
    # save: two alerts with the same service now group together
    saved = browser.post(
        f"{path}/templates/save", {"csrf": csrf, "name": "grouping_key", "body": "{{ payload.service }}"}
    )
    assert saved.status == 303
    assert (
        aws.api("GET", f"integrations/{integration['id']}").body["templates"]["grouping_key"] == "{{ payload.service }}"
    )
    for title in ("first", "second"):
        aws.http("POST", ingest_path(integration), {"service": "db", "title": title})
    aws.drain()
    groups = aws.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body["results"]
    assert len(groups) == 1 and groups[0]["alerts_count"] == 2


def test_add_a_labels_route_reorder_and_set_labels(aws, browser):
    path, csrf, integration = _new_webhook_integration(aws, browser)
    chain_id = aws.api("POST", "escalation_chains", {"name": "critical"}).body["id"]
    for term in ("severity=critical", "team=db"):
        added = browser.post(
            f"{path}/routes/add",
            {"csrf": csrf, "routing_type": "labels", "term": term, "escalation_chain_id": chain_id},
        )
        assert added.status == 303
    routes = aws.api("GET", "routes", query=f"integration_id={integration['id']}").body["results"]
    second = next(
        r
        for r in routes
        if r["routing_labels"] == {"team": "db"} or r.get("routing_labels") == [{"key": "team", "value": "db"}]
    )
    browser.post(f"{path}/routes/up", {"csrf": csrf, "route_id": second["id"]})
    page = browser.get(path).body
    assert page.index("team=db") < page.index("severity=critical")
    bad = browser.post(
        f"{path}/routes/add", {"csrf": csrf, "routing_type": "regex", "term": "(", "escalation_chain_id": ""}
    )
    assert bad.status == 400
    labelled = browser.post(
        f"{path}/labels", {"csrf": csrf, "labels": "env=prod", "dynamic_labels": "service={{ payload.service }}"}
    )
    assert labelled.status == 303
    body = aws.api("GET", f"integrations/{integration['id']}").body
    assert body["labels"] and body["dynamic_labels"] == {"service": "{{ payload.service }}"}


def test_chain_step_editor_schedules_users_and_webhooks(aws, browser):
    from tests.integration.conftest import put_user

    alice = put_user("alice", name="Alice Example")
    browser.sign_in()
    csrf = browser.csrf("/console/escalation_chains")
    created = browser.post("/console/escalation_chains", {"csrf": csrf, "name": "Primary"})
    assert created.status == 303
    path = created.headers["Location"].split("?")[0]
    for fields in ({"type": "notify_persons", "persons": [alice]}, {"type": "wait", "duration": "5"}):
        assert browser.post(f"{path}/add_step", {"csrf": csrf, **fields}).status == 303
    assert browser.post(f"{path}/add_step", {"csrf": csrf, "type": "wait", "duration": "0"}).status == 400
    chain_id = path.rsplit("/", 1)[1]
    steps = aws.api("GET", "escalation_policies", query=f"escalation_chain_id={chain_id}").body["results"]
    assert [s["type"] for s in steps] == ["notify_persons", "wait"] and steps[0]["persons_to_notify"] == [alice]
    browser.post(f"{path}/up", {"csrf": csrf, "step_id": steps[1]["id"]})
    steps = aws.api("GET", "escalation_policies", query=f"escalation_chain_id={chain_id}").body["results"]
    assert [s["type"] for s in steps] == ["wait", "notify_persons"]
    page = browser.get(path).body
    assert "Alice Example" in page
    for listing, expected in (
        ("/console/schedules", "No schedules yet"),
        ("/console/users", "Alice Example"),
        ("/console/webhooks", "No outgoing webhooks yet"),
    ):
        shown = browser.get(listing)
        assert shown.status == 200 and expected in shown.body, listing


def test_bad_input_is_a_4xx_page_never_a_5xx(aws, browser):
    browser.sign_in()
    csrf = browser.csrf()
    not_utf8 = aws.http(
        "POST",
        "/console/alert_groups/bulk",
        b"csrf=" + csrf.encode() + b"&action=\xff\xfe",
        headers={**browser._headers(), "content-type": FORM},
    )
    assert not_utf8.status == 400 and "could not be read" in not_utf8.body
    flood = browser.post("/console/alert_groups/bulk", [("csrf", csrf)] + [("id", str(n)) for n in range(2500)])
    assert flood.status == 400
    assert browser.get("/console/alert_groups", query="&".join(["x=1"] * 2500)).status == 400
    assert browser.get("/console/alert_groups/INOPE").status == 404
    assert browser.post("/console/alert_groups/bulk", {"csrf": csrf, "action": "delete", "id": "x"}).status == 400
    assert browser.get("/console/nothing-here").status == 404
    assert browser.post("/console/alert_groups", {}).status == 405


def test_scheduled_maintenance_windows(aws, browser):
    from datetime import UTC, datetime, timedelta

    path, csrf, integration = _new_webhook_integration(aws, browser, name="Windows")
    start = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    added = browser.post(
        f"{path}/window_add", {"csrf": csrf, "mode": "maintenance", "start_at": start, "duration": "3600"}
    )
    assert added.status == 303
    weekly = browser.post(
        f"{path}/window_add",
        {"csrf": csrf, "mode": "debug", "cron": "0 2 * * 6", "timezone": "Europe/Paris", "duration": "7200"},
    )
    assert weekly.status == 303
    windows = aws.api("GET", f"integrations/{integration['id']}/maintenance_windows").body["results"]
    assert sorted(w["mode"] for w in windows) == ["debug", "maintenance"]
    page = browser.get(path).body
    assert "0 2 * * 6" in page and "Europe/Paris" in page
    bad = browser.post(f"{path}/window_add", {"csrf": csrf, "mode": "maintenance", "cron": "nope", "duration": "3600"})
    assert bad.status == 400
    browser.post(f"{path}/window_delete", {"csrf": csrf, "window_id": windows[0]["id"]})
    assert len(aws.api("GET", f"integrations/{integration['id']}/maintenance_windows").body["results"]) == 1


def test_a_read_only_token_sees_configuration_without_forms(aws, browser):
    integration = create_integration(aws, kind="webhook", name="Viewed")
    browser.sign_in(_token(aws, "viewer"))
    for path in (
        "/console/integrations",
        f"/console/integrations/{integration['id']}",
        f"/console/integrations/{integration['id']}/templates",
        "/console/escalation_chains",
    ):
        page = browser.get(path)
        assert page.status == 200, path
        assert page.body.count('method="post"') == 1 and 'action="/console/signout"' in page.body, path
    csrf = _csrf(browser.get("/console/integrations").body)
    refused = browser.post(f"/console/integrations/{integration['id']}/demo_alert", {"csrf": csrf})
    assert refused.status == 403


# ------------------------------------------------------------------------------------------ users
SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7F"


def test_edit_a_users_contacts_and_rules_through_the_apis_rules(aws, browser):
    from tests.integration.conftest import put_user

    # given a user with a Slack contact (its token is masked on the page)
    alice = put_user("alice", contacts={"slack": SLACK})
    browser.sign_in()
    page = browser.get(f"/console/users/{alice}")
    assert page.status == 200 and "TIiajkdnlazkcOXrIdevi7F" not in page.body
    csrf = _csrf(page.body)
    shown = html.unescape(re.search(r'<textarea id="contacts"[^>]*>([^<]*)</textarea>', page.body).group(1))
    # when the masked line is sent back with a new contact, and rules are saved
    saved = browser.post(
        f"/console/users/{alice}/contacts", {"csrf": csrf, "contacts": shown + "\npager outbox://alice"}
    )
    assert saved.status == 303
    rules = browser.post(
        f"/console/users/{alice}/rules",
        {"csrf": csrf, "default_rules": "notify pager\nwait 5\nnotify slack", "important_rules": "notify slack"},
    )
    assert rules.status == 303
    # then the stored Slack URL is unchanged (the mask round-trips) and the rules are the API's
    from oncall import wiring

    stored = wiring.store().get_user(alice)
    assert stored.contacts == {"slack": SLACK, "pager": "outbox://alice"}
    body = aws.api("GET", f"users/{alice}").body
    assert body["default_rules"] == [
        {"type": "notify", "contact": "pager"},
        {"type": "wait", "duration": 300},
        {"type": "notify", "contact": "slack"},
    ]
    assert body["important_rules"] == [{"type": "notify", "contact": "slack"}]
    # and the users list shows the rules, waits included (a wait rule has no contact: it was a 500)
    listed = browser.get("/console/users")
    assert listed.status == 200 and "wait 300" in listed.body and "notify pager" in listed.body
    # and the domain's validation answers: a rule naming no contact, a bad line, a contact without a URL
    for fields in (
        {"default_rules": "notify phone", "important_rules": ""},
        {"default_rules": "page me", "important_rules": ""},
        {"default_rules": "wait 0", "important_rules": ""},
    ):
        refused = browser.post(f"/console/users/{alice}/rules", {"csrf": csrf, **fields})
        assert refused.status == 400, fields
    assert browser.post(f"/console/users/{alice}/contacts", {"csrf": csrf, "contacts": "pager"}).status == 400
    assert browser.post(f"/console/users/{alice}/contacts", {"csrf": csrf, "contacts": "x notaurl"}).status == 400
    assert wiring.store().get_user(alice).contacts == {"slack": SLACK, "pager": "outbox://alice"}


def test_a_users_test_notification_from_the_console(aws, browser):
    from tests.integration.conftest import put_user

    alice = put_user("alice", contacts={"pager": "outbox://alice", "sms": "sns-sms://12345"})
    browser.sign_in()
    csrf = _csrf(browser.get(f"/console/users/{alice}").body)
    sent = browser.post(f"/console/users/{alice}/test", {"csrf": csrf, "contact": ""})
    assert sent.status == 303
    done = browser.get(sent.headers["Location"].split("?")[0], query=sent.headers["Location"].split("?")[1]).body
    assert "pager: sent" in done and "sms: failed" in html.unescape(done)
    notes = [n for n in aws.outbox_lines() if n["user_id"] == alice]
    assert sorted(n["channel"] for n in notes) == ["outbox://alice", "sns-sms://12345"]
    assert browser.post(f"/console/users/{alice}/test", {"csrf": csrf, "contact": "nope"}).status == 400


def test_user_forms_refuse_viewers_and_forged_csrf(aws, browser):
    from tests.integration.conftest import put_user

    alice = put_user("alice", contacts={"pager": "outbox://alice"})
    browser.sign_in()
    for operation, fields in (
        ("contacts", {"contacts": "pager outbox://other"}),
        ("rules", {"default_rules": "notify pager", "important_rules": ""}),
        ("test", {"contact": ""}),
    ):
        assert browser.post(f"/console/users/{alice}/{operation}", {"csrf": "forged", **fields}).status == 403
    viewer = Browser(aws)
    viewer.sign_in(_token(aws, "viewer"))
    page = viewer.get(f"/console/users/{alice}")
    assert page.status == 200 and page.body.count('method="post"') == 1  # sign-out only
    csrf = _csrf(page.body)
    for operation, fields in (
        ("contacts", {"contacts": "pager outbox://other"}),
        ("rules", {"default_rules": "notify pager", "important_rules": ""}),
        ("test", {"contact": ""}),
    ):
        assert viewer.post(f"/console/users/{alice}/{operation}", {"csrf": csrf, **fields}).status == 403
    from oncall import wiring

    assert wiring.store().get_user(alice).contacts == {"pager": "outbox://alice"}
    assert [n for n in aws.outbox_lines() if n["user_id"] == alice] == []


def test_heartbeat_cron_time_zone_and_templates_from_the_console(aws, browser):
    path, csrf, integration = _new_webhook_integration(aws, browser, name="Nightly")
    form = {"csrf": csrf, "period": "3600", "grace_period": "300", "cron": "0 2 * * *", "timezone": "Europe/Paris"}
    templates = {"hb_missing_title": "Backup {{ integration_name }} missed", "hb_restored_title": ""}
    # when the heartbeat is saved with a cron, a time zone, POST-only and a missing-title template
    assert browser.post(f"{path}/heartbeat", {**form, "post_only": "1", **templates}).status == 303
    # then the API shows them (the API's HeartbeatUpdate and heartbeat.configure did the work)
    hb = aws.api("GET", f"integrations/{integration['id']}/heartbeat").body
    assert hb["cron"] == "0 2 * * *" and hb["timezone"] == "Europe/Paris" and hb["post_only"] is True
    assert hb["templates"]["missing_title"] == "Backup {{ integration_name }} missed"
    assert hb["templates"]["restored_title"] is None
    page = browser.get(path).body
    assert 'value="0 2 * * *"' in page and "Backup {{ integration_name }} missed" in html.unescape(page)
    # and the API's validation answers: a bad cron, a bad zone, a template that does not compile
    for bad in ({"cron": "61 * * * *"}, {"timezone": "Mars/Olympus"}, {"hb_missing_title": "{{ oops"}):
        assert browser.post(f"{path}/heartbeat", {**form, **bad}).status == 400, bad
    # an empty cron goes back to the period
    assert browser.post(f"{path}/heartbeat", {**form, "cron": ""}).status == 303
    assert aws.api("GET", f"integrations/{integration['id']}/heartbeat").body["cron"] is None


# ------------------------------------------------------------------------------------------ schedules, webhooks
def test_create_a_rotation_and_an_ical_schedule_from_the_console(aws, browser):
    from tests.integration.conftest import put_user

    alice, bob = put_user("alice", name="Alice Example"), put_user("bob", name="Bob Example")
    browser.sign_in()
    csrf = browser.csrf("/console/schedules")
    # when a daily rotation of alice then bob, started yesterday, is created
    # (yesterday at midnight UTC: alice had yesterday, bob has today)
    start = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT00:00")
    rotation = {"csrf": csrf, "name": "Primary", "time_zone": "UTC", "kind": "rotation"}
    created = browser.post(
        "/console/schedules", {**rotation, "users": "alice, BOB", "frequency": "daily", "start": start}
    )
    assert created.status == 303
    # then the API has it, with the users in order, and the page says who is on call now
    [schedule] = aws.api("GET", "schedules", query="name=Primary").body["results"]
    assert schedule["on_call_now"] == [bob]
    assert [layer["users"] for layer in schedule["layers"]] == [[alice, bob]]
    assert schedule["layers"][0]["frequency"] == "daily" and schedule["time_zone"] == "UTC"
    page = browser.get("/console/schedules").body
    assert "Primary" in page and "Bob Example" in page
    # and the API's rules answer: an unknown user, no users, a bad zone, an iCal URL that is not https
    for bad in (
        {**rotation, "name": "X", "users": "carol", "frequency": "daily", "start": start},
        {**rotation, "name": "X", "users": "", "frequency": "daily", "start": start},
        {**rotation, "name": "X", "users": "alice", "frequency": "daily", "start": start, "time_zone": "Nope/Nope"},
        {"csrf": csrf, "name": "X", "kind": "ical", "ical_url": "ftp://calendar.example/x.ics"},
    ):
        assert browser.post("/console/schedules", bad).status == 400, bad
    assert [s["name"] for s in aws.api("GET", "schedules").body["results"]] == ["Primary"]


def test_create_an_outgoing_webhook_from_the_console(aws, browser):
    browser.sign_in()
    csrf = browser.csrf("/console/webhooks")
    fields = {"csrf": csrf, "name": "Ticketing", "url": "https://tickets.example/hook", "http_method": "PUT"}
    created = browser.post(
        "/console/webhooks", {**fields, "trigger_type": "resolve", "data": '{"id": "{{ alert_group.id }}"}'}
    )
    assert created.status == 303 and created.headers["Location"].startswith("/console/webhooks/")
    [hook] = aws.api("GET", "webhooks").body["results"]
    assert (hook["name"], hook["url"], hook["http_method"], hook["trigger_type"]) == (
        "Ticketing",
        "https://tickets.example/****",  # the API masks a URL's path (it may carry a secret)
        "PUT",
        "resolve",
    )
    assert wiring.store().get_webhook(hook["id"]).url == "https://tickets.example/hook"  # stored as entered
    assert hook["data"] == '{"id": "{{ alert_group.id }}"}' and hook["forward_all"] is False
    assert browser.get(created.headers["Location"].split("?")[0]).status == 200
    for bad in (
        {"trigger_type": "whenever"},
        {"trigger_type": "resolve", "name": ""},
        {"trigger_type": "resolve", "data": "{{ oops"},
    ):
        assert browser.post("/console/webhooks", {**fields, **bad}).status == 400, bad
    assert len(aws.api("GET", "webhooks").body["results"]) == 1


def test_new_forms_refuse_viewers_and_forged_csrf(aws, browser):
    from tests.integration.conftest import put_user

    put_user("alice")
    integration = create_integration(aws, kind="webhook", name="Beats")
    forms = [
        (
            "/console/schedules",
            {"name": "S", "kind": "rotation", "users": "alice", "frequency": "daily", "start": "2026-01-01T00:00"},
        ),
        ("/console/webhooks", {"name": "W", "url": "https://w.example/", "trigger_type": "resolve"}),
        (f"/console/integrations/{integration['id']}/heartbeat", {"period": "600", "cron": "0 2 * * *"}),
    ]
    browser.sign_in()
    for path, fields in forms:
        assert browser.post(path, {"csrf": "forged", **fields}).status == 403, path
    viewer = Browser(aws)
    viewer.sign_in(_token(aws, "viewer"))
    for listing in ("/console/schedules", "/console/webhooks"):
        page = viewer.get(listing)
        assert page.status == 200 and page.body.count('method="post"') == 1, listing  # sign-out only
    csrf = _csrf(viewer.get("/console/schedules").body)
    for path, fields in forms:
        assert viewer.post(path, {"csrf": csrf, **fields}).status == 403, path
    assert aws.api("GET", "schedules").body["results"] == [] and aws.api("GET", "webhooks").body["results"] == []
    assert aws.api("GET", f"integrations/{integration['id']}/heartbeat").body["cron"] is None
