"""Console sessions, CSRF tokens and rendering (pure logic: the in-memory fake and an injected clock)."""

from datetime import UTC, datetime, timedelta

import pytest

from oncall.console import render, sessions
from oncall.console.app import GroupFilters, filter_groups
from oncall.console.http import local_path
from oncall.models import AlertGroup
from oncall.platform.errors import ValidationError
from tests.fakes import FixedClock, InMemoryStore

NOW = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


def _codec(clock=None):
    return sessions.Sessions(sessions.derive_key("secret"), clock or FixedClock(NOW), ttl_seconds=3600)


def test_a_session_round_trips_and_carries_no_token():
    codec = _codec()
    session, cookie = codec.issue("T1", "digest-of-token")
    assert codec.read(cookie) == session
    assert "digest-of-token" not in cookie  # base64 inside a signed envelope, but never the token itself


def test_a_tampered_or_foreign_cookie_is_refused():
    _, cookie = _codec().issue("T1", "d")
    version, body, signature = cookie.split(".")
    with pytest.raises(sessions.SessionError):
        _codec().read(f"{version}.{body}x.{signature}")
    other = sessions.Sessions(sessions.derive_key("another secret"), FixedClock(NOW))
    with pytest.raises(sessions.SessionError):
        other.read(cookie)
    for junk in ("", "v1", "a.b.c.d", "v2.x.y"):
        with pytest.raises(sessions.SessionError):
            _codec().read(junk)


def test_a_session_expires():
    _, cookie = _codec().issue("T1", "d")
    later = _codec(FixedClock(NOW + timedelta(seconds=3601)))
    with pytest.raises(sessions.SessionError, match="expired"):
        later.read(cookie)


def test_csrf_tokens_belong_to_their_session():
    codec = _codec()
    first, _ = codec.issue("T1", "d")
    second, _ = codec.issue("T1", "d")
    codec.check_csrf(first, codec.csrf_token(first))
    with pytest.raises(sessions.CsrfError):
        codec.check_csrf(first, codec.csrf_token(second))
    with pytest.raises(sessions.CsrfError):
        codec.check_csrf(first, "")


def test_the_sign_in_form_token_is_signed_and_expires():
    token = _codec().signin_csrf_token()
    _codec().check_signin_csrf(token)
    with pytest.raises(sessions.CsrfError):
        _codec(FixedClock(NOW + timedelta(hours=2))).check_signin_csrf(token)
    with pytest.raises(sessions.CsrfError):
        _codec().check_signin_csrf("9999999999.forged")


def test_cookie_attributes():
    assert sessions.cookie_header("v", secure=True) == (
        "oncall_session=v; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure"
    )
    assert "Secure" not in sessions.cookie_header("v", secure=False)
    assert "Max-Age=0" in sessions.clear_cookie_header(secure=False)


def test_cookies_are_read_from_the_v2_event_or_the_header():
    assert sessions.read_cookie({"cookies": ["a=1", "oncall_session=abc"]}) == "abc"
    assert sessions.read_cookie({"headers": {"cookie": "x=y; oncall_session=def"}}) == "def"
    assert sessions.read_cookie({}) == ""


def test_sign_in_attempts_are_rate_limited_per_address():
    store, clock = InMemoryStore(), FixedClock(NOW)
    for _ in range(sessions.SIGNIN_ATTEMPTS):
        sessions.check_signin_rate("203.0.113.9", store=store, clock=clock)
    with pytest.raises(sessions.SignInRateLimitedError) as refused:
        sessions.check_signin_rate("203.0.113.9", store=store, clock=clock)
    assert int(refused.value.headers()["Retry-After"]) > 0
    sessions.check_signin_rate("198.51.100.1", store=store, clock=clock)  # another address is unaffected


def test_templates_escape_everything_and_links_must_be_http():
    html = render.render(
        "error.html",
        title="<t>",
        heading="<script>x()</script>",
        detail='"&',
        back="",
        session_user=None,
        sections=(),
        section="",
        csrf="",
        flash="",
    )
    assert "<script>x()" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
    assert render.safe_url("javascript:alert(1)") is None
    assert render.safe_url(" https://grafana.example/d/1 ") == "https://grafana.example/d/1"
    assert render.safe_url(None) is None


def test_static_assets_are_fingerprinted():
    url = render.static_url("console.css")
    assert url.startswith("/console/static/console.css?v=") and len(url.split("=")[1]) == 12


def test_redirect_targets_stay_on_the_site():
    assert local_path("/console/alert_groups?x=1", "/d") == "/console/alert_groups?x=1"
    for bad in ("https://evil.example/", "//evil.example", "/\\evil", "javascript:x"):
        assert local_path(bad, "/d") == "/d"


def _group(number, state_changes=None, **fields):
    values = {
        "id": f"I{number}",
        "number": number,
        "integration_id": fields.pop("integration_id", "C1"),
        "route_id": "R1",
        "title": f"group {number}",
        "started_at": fields.pop("started_at", NOW),
        "first_alert_id": "A",
        "last_alert_id": "A",
        **fields,
        **(state_changes or {}),
    }
    return AlertGroup(**values)


def test_the_list_filters_by_state_integration_team_label_and_time():
    groups = [
        _group(1, labels={"severity": "critical"}),
        _group(2, {"acknowledged": True}, integration_id="C2"),
        _group(3, {"resolved": True}, started_at=NOW - timedelta(days=2)),
    ]
    teams = {"C1": "T1", "C2": None}

    def numbers(**filters):
        return [g.number for g in filter_groups(groups, GroupFilters(**filters), teams, NOW)]

    assert numbers() == [1, 2, 3]
    assert numbers(state="acknowledged") == [2]
    assert numbers(integration="C2") == [2]
    assert numbers(team="T1") == [1, 3]
    assert numbers(label="severity:critical") == [1]
    assert numbers(since="24h") == [1, 2]
    with pytest.raises(ValidationError):
        numbers(label="no-colon")


def test_the_done_message_goes_before_the_fragment():
    from oncall.console.app import with_done

    assert with_done("/console/integrations/C1#routes-h", "Route added.") == (
        "/console/integrations/C1?done=Route+added.#routes-h"
    )
    assert with_done("/console/alert_groups?state=firing&done=old", "New") == (
        "/console/alert_groups?state=firing&done=New"
    )


def test_without_a_signing_secret_the_sign_in_page_explains_instead_of_redirecting_to_itself(monkeypatch):
    from oncall.console import app
    from oncall.console.http import Request

    monkeypatch.setattr(app, "_secret", lambda arn: "")
    event = {"rawPath": "/console/signin", "requestContext": {"http": {"method": "GET"}}, "headers": {}}
    response = app.dispatch(Request.from_event(event))
    assert response.status == 401 and "not configured" in response.body
