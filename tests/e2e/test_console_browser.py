"""The console in headless Chromium against the local stack: the integration flows of the issue, the
responder's flow from the outbox link, and hostile alert content rendered inert (no script runs)."""

from __future__ import annotations

import json
import os

import pytest
import requests

from tests.builders import am_payload
from tests.e2e import browser as chromium
from tests.e2e.conftest import ADMIN_TOKEN, wait_until

if not chromium.available():
    if os.environ.get("CI") == "true":
        pytest.fail("chromium/chromedriver missing: run `make deps` as root", pytrace=False)
    pytest.skip("!!! SKIP: chromium not installed (make deps as root installs it) !!!", allow_module_level=True)

from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


def _click_and_load(driver, element) -> None:
    """Click what submits a form or follows a link, and wait for the next page."""
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(old))


@pytest.fixture(scope="session")
def driver():
    started = chromium.start()
    yield started
    started.quit()


@pytest.fixture
def signed_in(driver, local_stack):
    driver.delete_all_cookies()
    driver.get(f"{local_stack.base_url}/")
    driver.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    _click_and_load(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/console/signin'] button"))
    assert driver.find_element(By.TAG_NAME, "h1").text == "Alert groups"
    return driver


def _submit(driver, action_suffix: str) -> None:
    _click_and_load(
        driver, driver.find_element(By.CSS_SELECTOR, f"form[action$='{action_suffix}'] button[type=submit]")
    )


def _flash(driver) -> str:
    found = driver.find_elements(By.CSS_SELECTOR, ".flash")
    assert found, driver.find_element(By.TAG_NAME, "main").text
    return found[0].text


def test_integration_flows(signed_in, local_stack):
    driver, base = signed_in, local_stack.base_url
    # create an integration with the type picker
    _click_and_load(driver, driver.find_element(By.LINK_TEXT, "Integrations"))
    _click_and_load(driver, driver.find_element(By.LINK_TEXT, "+ New integration"))
    driver.find_element(By.ID, "type-webhook").click()
    driver.find_element(By.ID, "name").send_keys("Browser checkout")
    driver.find_element(By.ID, "description_short").send_keys("made in Chromium")
    _submit(driver, "/console/integrations/new")
    assert "Integration created" in _flash(driver)
    # how to connect: the URL, with a copy button (shown by the script), and the type's instructions
    url = driver.find_element(By.ID, "ingest-url").get_attribute("value")
    assert url.startswith(base) and "/integrations/v1/webhook/" in url
    assert driver.find_element(By.CSS_SELECTOR, "button.copy[data-copy='ingest-url']").is_displayed()
    assert "curl -X POST" in driver.find_element(By.ID, "guide").text
    # send a demo alert and see its group
    _submit(driver, "/demo_alert")
    page = driver.current_url.split("?")[0]

    def group_listed():
        driver.get(page)
        return driver.find_elements(By.CSS_SELECTOR, "#groups-h + ul .g-title")

    assert wait_until(group_listed, timeout=20), "the demo alert's group never appeared"
    # maintenance: start, stop
    Select(driver.find_element(By.ID, "mt-mode")).select_by_value("maintenance")
    _submit(driver, "/maintenance_start")
    assert "Maintenance mode until" in driver.find_element(By.TAG_NAME, "main").text
    _submit(driver, "/maintenance_stop")
    assert "Maintenance stopped" in _flash(driver)
    # rename
    name = driver.find_element(By.ID, "set-name")
    name.clear()
    name.send_keys("Browser checkout v2")
    _submit(driver, "/settings")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Browser checkout v2"
    # delete, after confirming with the name (the page says what stops working)
    assert "senders get 403" in driver.find_element(By.ID, "del-h").find_element(By.XPATH, "..").text
    driver.find_element(By.ID, "confirm-name").send_keys("Browser checkout v2")
    _submit(driver, "/delete")
    assert "deleted" in _flash(driver)
    assert (
        "Browser checkout v2" not in driver.find_element(By.TAG_NAME, "table").text
        if driver.find_elements(By.TAG_NAME, "table")
        else True
    )


def test_grouping_template_with_live_preview_then_two_alerts_group_and_a_labels_route(signed_in, local_stack):
    driver, base = signed_in, local_stack.base_url
    created = local_stack.api("POST", "integrations", json={"type": "webhook", "name": "Grouping in Chromium"}).json()
    driver.get(f"{base}/console/integrations/{created['id']}/templates?name=grouping_key")
    body = driver.find_element(By.ID, "body")
    body.clear()
    body.send_keys("{{ payload.service }}")
    driver.find_element(By.ID, "payload").send_keys('{"service": "checkout"}')
    # the script previews while typing (no page load)
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "preview-out").text.strip() == "checkout")
    body.send_keys("\n{% if %}")
    WebDriverWait(driver, 10).until(lambda d: "Line 2: Template Error" in d.find_element(By.ID, "preview-out").text)
    body.clear()
    body.send_keys("{{ payload.service }}")
    _click_and_load(driver, driver.find_element(By.CSS_SELECTOR, "button[formaction$='/templates/save']"))
    assert "Template grouping_key saved" in _flash(driver)
    for title in ("first", "second"):
        requests.post(created["link"], json={"service": "checkout", "title": title}, timeout=10).raise_for_status()

    def grouped():
        groups = local_stack.api("GET", "alert_groups", params={"integration_id": created["id"]}).json()["results"]
        return groups if groups and groups[0]["alerts_count"] == 2 else None

    groups = wait_until(grouped, timeout=20)
    assert groups and len(groups) == 1, "the two alerts did not group"
    # a labels route, with a chain
    local_stack.api("POST", "escalation_chains", json={"name": "Chromium critical"})
    driver.get(f"{base}/console/integrations/{created['id']}")
    Select(driver.find_element(By.ID, "route-type")).select_by_value("labels")
    driver.find_element(By.ID, "route-term").send_keys("severity=critical")
    Select(driver.find_element(By.ID, "route-chain")).select_by_visible_text("Chromium critical")
    _submit(driver, "/routes/add")
    assert "Route added" in _flash(driver)
    assert "severity=critical" in driver.find_element(By.CSS_SELECTOR, "ol.routes").text


def test_heartbeat_configure_and_reset(signed_in, local_stack):
    driver = signed_in
    created = local_stack.api("POST", "integrations", json={"type": "formatted_webhook", "name": "Cron job"}).json()
    driver.get(f"{local_stack.base_url}/console/integrations/{created['id']}")
    period = driver.find_element(By.ID, "hb-period")
    period.clear()
    period.send_keys("600")
    _submit(driver, "/heartbeat")
    assert "Heartbeat saved" in _flash(driver)
    requests.get(driver.find_element(By.ID, "hb-url").get_attribute("value"), timeout=10)
    driver.refresh()
    assert driver.find_element(By.ID, "hb-state").text != "new"
    _submit(driver, "/heartbeat_reset")
    assert "Heartbeat reset" in _flash(driver)


def _fire(local_stack, payload: dict, **integration_fields) -> str:
    chain = local_stack.api("POST", "escalation_chains", json={"name": f"c-{os.urandom(3).hex()}"}).json()
    local_stack.api(
        "POST",
        "escalation_policies",
        json={"escalation_chain_id": chain["id"], "type": "notify_channel", "channel": "outbox://pager"},
    )
    integration = local_stack.api(
        "POST",
        "integrations",
        json={
            "type": "alertmanager",
            "name": f"am-{os.urandom(3).hex()}",
            "default_route": {"escalation_chain_id": chain["id"]},
            **integration_fields,
        },
    ).json()
    requests.post(integration["link"], json=payload, timeout=10).raise_for_status()
    return integration["id"]


def test_responder_acknowledges_from_the_outbox_link(driver, local_stack):
    before = len(local_stack.outbox_lines())
    integration_id = _fire(local_stack, am_payload(alertname="ResponderFlow"))

    def notified():
        for line in local_stack.outbox_lines()[before:]:
            note = json.loads(line)
            if note.get("integration_id") == integration_id:
                return note
        return None

    note = wait_until(notified, timeout=30)
    assert note, "no notification in the outbox"
    driver.delete_all_cookies()  # the responder is not signed in: the link is the credential
    driver.get(note["action_links"]["acknowledge"])
    assert "/console/link/" in driver.current_url
    assert "ResponderFlow" in driver.find_element(By.TAG_NAME, "h1").text
    _click_and_load(driver, driver.find_element(By.CSS_SELECTOR, ".link-actions button[type=submit]"))
    assert "Acknowledged" in _flash(driver)
    assert "Acknowledged by a notification link" in driver.find_element(By.ID, "timeline").text


def test_the_group_link_in_the_outbox_opens_the_group_page_after_sign_in(driver, local_stack):
    before = len(local_stack.outbox_lines())
    integration_id = _fire(local_stack, am_payload(alertname="GroupLinkFlow"))

    def notified():
        notes = [json.loads(line) for line in local_stack.outbox_lines()[before:]]
        return next((n for n in notes if n.get("integration_id") == integration_id), None)

    note = wait_until(notified, timeout=30)
    assert note and "/console/alert_groups/" in note["link"]
    driver.delete_all_cookies()
    driver.get(note["link"])
    assert "/console/signin" in driver.current_url  # the group link needs a session; it comes back after
    driver.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    _click_and_load(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/console/signin'] button"))
    assert f"/console/alert_groups/{note['group_id']}" in driver.current_url
    assert "GroupLinkFlow" in driver.find_element(By.TAG_NAME, "h1").text
    _submit(driver, "/acknowledge")
    assert "Acknowledged" in _flash(driver)
    assert "Acknowledged by" in driver.find_element(By.ID, "timeline").text


def test_pages_fit_a_360_px_phone(signed_in, local_stack):
    driver, base = signed_in, local_stack.base_url
    created = local_stack.api("POST", "integrations", json={"type": "alertmanager", "name": "Phone-sized"}).json()
    chain = local_stack.api("POST", "escalation_chains", json={"name": "Phone chain"}).json()
    metrics = {"width": 360, "height": 780, "deviceScaleFactor": 1, "mobile": True}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        for path in (
            "/console/alert_groups",
            "/console/integrations",
            f"/console/integrations/{created['id']}",
            f"/console/integrations/{created['id']}/templates",
            f"/console/escalation_chains/{chain['id']}",
            "/console/schedules",
            "/console/users",
        ):
            driver.get(f"{base}{path}")
            width = driver.execute_script("return document.documentElement.scrollWidth")
            assert width <= 360, f"{path} is {width} px wide at a 360 px viewport"
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


XSS = '<script>window.pwned=1</script><img src=x onerror="window.pwned=1;alert(1)">'


def test_hostile_alert_fields_render_inert(signed_in, local_stack):
    driver = signed_in
    payload = am_payload(alertname=XSS)
    payload["alerts"][0]["annotations"] = {"summary": XSS, "description": XSS}
    payload["alerts"][0]["generatorURL"] = "javascript:window.pwned=1"
    integration_id = _fire(local_stack, payload)

    def group_id():
        body = local_stack.api("GET", "alert_groups", params={"integration_id": integration_id}).json()
        return body["results"][0]["id"] if body["results"] else None

    found = wait_until(group_id, timeout=20)
    assert found
    for path in ("/console/alert_groups", f"/console/alert_groups/{found}"):
        driver.get(f"{local_stack.base_url}{path}")
        assert XSS in driver.find_element(By.TAG_NAME, "main").text  # shown as text
        assert driver.execute_script("return window.pwned === undefined") is True
        with pytest.raises(NoAlertPresentException):
            driver.switch_to.alert.text  # noqa: B018


def test_a_users_test_notification_and_rules_from_the_user_page(signed_in, local_stack):
    driver = signed_in
    username = f"tester-{os.urandom(3).hex()}"
    created = local_stack.api(
        "POST",
        "users",
        json={"username": username, "name": "Test Person", "contacts": {"pager": f"outbox://{username}"}},
    )
    assert created.status_code == 201, created.text
    user = created.json()
    before = len(local_stack.outbox_lines())
    # open the user from the list, pick the contact and send the test
    _click_and_load(driver, driver.find_element(By.LINK_TEXT, "Users"))
    _click_and_load(driver, driver.find_element(By.LINK_TEXT, "Test Person"))
    Select(driver.find_element(By.ID, "test-contact")).select_by_value("pager")
    _click_and_load(driver, driver.find_element(By.ID, "send-test"))
    assert "pager: sent" in _flash(driver)
    notes = [json.loads(line) for line in local_stack.outbox_lines()[before:]]
    mine = [n for n in notes if n.get("user_id") == user["id"]]
    assert [(n["channel"], n["title"]) for n in mine] == [
        (f"outbox://{username}", "Test notification from Serverless OnCall")
    ]
    # and edit the rules on the same page
    rules = driver.find_element(By.ID, "default_rules")
    rules.clear()
    rules.send_keys("notify pager\nwait 10\nnotify pager")
    _submit(driver, "/rules")
    assert "Notification rules saved" in _flash(driver)
    stored = local_stack.api("GET", f"users/{user['id']}").json()
    assert stored["default_rules"][1] == {"type": "wait", "duration": 600}


def test_create_a_rotation_and_see_who_is_on_call(signed_in, local_stack):
    from datetime import UTC, datetime, timedelta

    driver = signed_in
    suffix = os.urandom(3).hex()
    for name in ("first", "second"):
        local_stack.api("POST", "users", json={"username": f"{name}-{suffix}", "name": f"{name.title()} {suffix}"})
    _click_and_load(driver, driver.find_element(By.LINK_TEXT, "Schedules"))
    driver.find_element(By.ID, "sc-name").send_keys(f"Rotation {suffix}")
    driver.find_element(By.ID, "sc-users").send_keys(f"first-{suffix}, second-{suffix}")
    Select(driver.find_element(By.ID, "sc-frequency")).select_by_value("daily")
    # a day and a minute ago: the first person had the last day, the second's day began a minute ago. Not
    # yesterday's midnight: the stack's clock runs 50x fast (time scale 0.02), so near midnight UTC its "now" is
    # already tomorrow, and the rotation would be back to the first person. A handoff a minute behind the test's
    # own clock holds until the stack's clock is a day ahead (~29 minutes of running at 50x).
    start = (datetime.now(UTC) - timedelta(days=1, minutes=1)).strftime("%Y-%m-%dT%H:%M")
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, "sc-start"), start)
    _submit(driver, "/console/schedules")
    assert f"Schedule Rotation {suffix} created" in _flash(driver)
    row = next(r for r in driver.find_elements(By.CSS_SELECTOR, "main tbody tr") if f"Rotation {suffix}" in r.text)
    cells = row.find_elements(By.TAG_NAME, "td")
    assert cells[1].text == f"Second {suffix}"  # on call now
    assert cells[2].text.startswith(f"First {suffix}")  # next


def test_the_web_message_is_markdown_and_markdown_links_stay_safe(signed_in, local_stack):
    driver = signed_in
    payload = am_payload(alertname="MarkdownFlow")
    payload["alerts"][0]["annotations"] = {
        "summary": "disk full",
        "description": "[click](javascript:window.pwned=1) <b onmouseover=window.pwned=1>x</b>",
    }
    # the web message template writes Markdown around the payload's (hostile) annotations
    web = {
        "message": "**{{ payload.alerts[0].annotations.summary }}**\n\n"
        "- {{ payload.alerts[0].annotations.description }}"
    }
    integration_id = _fire(local_stack, payload, templates={"web": web})

    def group_id():
        body = local_stack.api("GET", "alert_groups", params={"integration_id": integration_id}).json()
        return body["results"][0]["id"] if body["results"] else None

    found = wait_until(group_id, timeout=20)
    assert found
    driver.get(f"{local_stack.base_url}/console/alert_groups/{found}")
    message = driver.find_element(By.CSS_SELECTOR, ".message")
    assert "**" not in message.text  # the web template's Markdown is rendered, not shown raw
    assert [e.text for e in message.find_elements(By.TAG_NAME, "strong")] == ["disk full"]
    assert message.find_elements(By.CSS_SELECTOR, "ul > li")
    assert "[click](javascript:window.pwned=1)" in message.text  # not a link
    assert all(
        (a.get_attribute("href") or "").startswith(("http://", "https://"))
        for a in message.find_elements(By.TAG_NAME, "a")
    )
    assert not message.find_elements(By.TAG_NAME, "b")
    assert "<b onmouseover=window.pwned=1>x</b>" in message.text  # HTML in Markdown stays text
    assert driver.execute_script("return window.pwned === undefined") is True
