"""Issue 13, items 2, 3 and 8: the attacks of the security review on outgoing-webhook and channel secrets, each
performed as the attacker did (an editor or a viewer token against the real api and webhooks handlers).

- an editor moves a webhook's URL to a host it controls (PATCH url only, or PUT echoing the masks) and calls
  /test: the kept secrets must not travel there;
- a target that echoes the request puts the secrets in /responses, which viewers read;
- viewers read channel URLs, webhook URLs and header values in clear;
- header values with CR/LF, and framing/hop-by-hop headers, are refused at save time (400), not at delivery.
"""

from __future__ import annotations

import base64
import json
import time

import pytest

from oncall import wiring
from oncall.models import ApiToken, ApiTokenRole
from oncall.platform import ids
from tests.http_receiver import Receiver

PASSWORD = "pa55-W0rd-secret-9f3a"
AUTHORIZATION = "Bearer tok-7c1d9e2b44aa0f31"
VAULT = "hvs.CAESIvault0token4242"
PRIVATE_TOKEN = "glpat-Private0Token77"
ECHO = (200, {"Content-Type": "application/json"}, b"")  # the body is replaced per request, see _echo


@pytest.fixture
def env(aws):
    aws.set_env(ONCALL_ALLOW_PRIVATE_TARGETS="true")  # receivers are on 127.0.0.1
    return aws


def _token(role: str) -> str:
    raw = ids.api_token()
    wiring.store().put_api_token(
        ApiToken(
            id=ids.public_id("K"),
            name=role,
            role=ApiTokenRole(role),
            digest=ids.token_digest(raw),
            created_at="2026-01-01T00:00:00Z",
        )
    )
    return raw


class EchoReceiver(Receiver):
    """A target that answers with everything it received (headers and body), like httpbin's /anything."""

    def __init__(self) -> None:
        super().__init__()
        self.default = ECHO

    def __enter__(self) -> EchoReceiver:
        super().__enter__()
        receiver = self

        class Script(list):
            def __bool__(self) -> bool:
                return True

            def pop(self, _index: int = 0):
                captured = receiver.requests[-1]
                echoed = {"path": captured.path, "headers": dict(captured.headers), "body": captured.body.decode()}
                return (200, {"Content-Type": "application/json"}, json.dumps(echoed).encode())

        self.script = Script()
        return self


def _admin_webhook(aws, url: str, **fields) -> dict:
    body = {
        "name": f"hook-{time.monotonic_ns()}",
        "url": url,
        "username": "svc",
        "password": PASSWORD,
        "authorization_header": AUTHORIZATION,
        "headers": json.dumps({"X-Vault-Token": VAULT, "PRIVATE-TOKEN": PRIVATE_TOKEN, "Accept": "application/json"}),
        **fields,
    }
    created = aws.api("POST", "webhooks", body)
    assert created.status == 201, created.body
    return created.body


def _secrets_in(text: str) -> list[str]:
    basic = base64.b64encode(f"svc:{PASSWORD}".encode()).decode()
    return [s for s in (PASSWORD, AUTHORIZATION, VAULT, PRIVATE_TOKEN, basic, "tok-7c1d9e2b44aa0f31") if s in text]


# ------------------------------------------------------------------------------------------ item 2
def test_an_editor_moving_the_url_to_its_own_host_receives_no_kept_secret(env):
    with Receiver() as legit, Receiver() as attacker:
        # given an admin's webhook with an authorization header, a password and secret headers
        hook = _admin_webhook(env, f"http://127.0.0.1:{legit.port}/hook")
        editor = _token("editor")
        # when an editor PATCHes only the URL to a host (port) it controls and sends a test
        moved = env.api("PATCH", f"webhooks/{hook['id']}", {"url": f"http://127.0.0.1:{attacker.port}/x"}, token=editor)
        assert moved.status == 200, moved.body
        assert env.api("POST", f"webhooks/{hook['id']}/test", token=editor).status == 200
        # then the attacker's host got the request without any of the secrets
        [got] = attacker.wait_for(1)
        assert _secrets_in(json.dumps(dict(got.headers)) + got.body.decode()) == []
        assert got.headers.get("Authorization", "") in ("", "Basic " + base64.b64encode(b"svc:").decode())
        assert moved.body["password"] is None and moved.body["authorization_header"] is None
        # (the harmless header survived the move; the credential headers did not)
        assert json.loads(moved.body["headers"]) == {"Accept": "application/json"}


def test_a_put_echoing_the_masks_to_another_origin_is_refused(env):
    with Receiver() as legit, Receiver() as attacker:
        hook = _admin_webhook(env, f"http://127.0.0.1:{legit.port}/hook")
        editor = _token("editor")
        shown = env.api("GET", f"webhooks/{hook['id']}", token=editor).body
        # when the editor PUTs back what it read (masks included) with its own URL
        echoed = {**shown, "url": f"http://127.0.0.1:{attacker.port}/x"}
        echoed.pop("id")
        replaced = env.api("PUT", f"webhooks/{hook['id']}", echoed, token=editor)
        # then the masks are refused across the origin change (nothing is kept, nothing is sent)
        assert replaced.status == 400, replaced.body
        env.api("POST", f"webhooks/{hook['id']}/test", token=editor)
        assert attacker.requests == []
        # and on the same origin the same echo keeps every secret
        same = {**shown, "name": "renamed"}
        same.pop("id")
        assert env.api("PUT", f"webhooks/{hook['id']}", same, token=editor).status == 200
        env.api("POST", f"webhooks/{hook['id']}/test", token=editor)
        got = legit.wait_for(2)[-1]
        assert got.headers["Authorization"] == AUTHORIZATION and got.headers["X-Vault-Token"] == VAULT


@pytest.mark.parametrize("change", ["scheme", "host", "port"])
def test_every_part_of_the_origin_counts(env, change):
    hook = _admin_webhook(env, "http://127.0.0.1:8080/hook")
    url = {
        "scheme": "https://127.0.0.1:8080/hook",
        "host": "http://localhost:8080/hook",
        "port": "http://127.0.0.1:8081/hook",
    }[change]
    moved = env.api("PATCH", f"webhooks/{hook['id']}", {"url": url}, token=_token("editor")).body
    stored = wiring.store().get_webhook(hook["id"])
    assert moved["password"] is None and stored.password is None and stored.authorization_header is None
    assert "X-Vault-Token" not in (stored.headers or "")


def test_an_echoing_target_does_not_put_secrets_in_the_delivery_log(env):
    with EchoReceiver() as echo:
        # given a webhook whose secrets are also in its URL (credentials, a path token, ?token=)
        url = f"http://svc:{PASSWORD}@127.0.0.1:{echo.port}/hooks/T0AB12CD34/{PRIVATE_TOKEN}?token={VAULT}&x=1"
        hook = _admin_webhook(env, url)
        # when it is sent and a viewer reads the log
        assert env.api("POST", f"webhooks/{hook['id']}/test").status == 200
        [logged] = env.api("GET", f"webhooks/{hook['id']}/responses", token=_token("viewer")).body["results"]
        # then the target did get the secrets, but the log shows none of them, anywhere
        assert PASSWORD in echo.requests[0].path or echo.requests[0].headers.get("Authorization")
        assert VAULT in logged["content"] or "****" in logged["content"]
        assert _secrets_in(json.dumps(logged)) == []
        assert logged["request_headers"]["X-Vault-Token"] == "****************"
        assert logged["request_headers"]["Accept"] == "application/json"


# ------------------------------------------------------------------------------------------ item 3
def test_viewers_read_no_webhook_secret(env):
    hook = _admin_webhook(env, f"https://svc:{PASSWORD}@hooks.example.com/services/T0AB12CD34?token={VAULT}")
    viewer = _token("viewer")
    for shown in (
        env.api("GET", f"webhooks/{hook['id']}", token=viewer).body,
        env.api("GET", "webhooks", token=viewer).body["results"][0],
    ):
        assert _secrets_in(json.dumps(shown)) == [] and "T0AB12CD34" not in json.dumps(shown)
        assert shown["url"].startswith("https://****@hooks.example.com/")
        assert json.loads(shown["headers"])["Accept"] == "application/json"


def test_writing_the_masked_url_and_headers_back_keeps_them(env):
    url = f"https://hooks.example.com/services/T0AB12CD34?token={VAULT}"
    hook = _admin_webhook(env, url)
    shown = env.api("GET", f"webhooks/{hook['id']}").body
    # when a client PATCHes back the masked url and headers, adding a header
    headers = {**json.loads(shown["headers"]), "X-Extra": "1"}
    patched = env.api("PATCH", f"webhooks/{hook['id']}", {"url": shown["url"], "headers": json.dumps(headers)})
    assert patched.status == 200, patched.body
    stored = wiring.store().get_webhook(hook["id"])
    assert stored.url == url and stored.password == PASSWORD
    assert json.loads(stored.headers) == {
        "X-Vault-Token": VAULT,
        "PRIVATE-TOKEN": PRIVATE_TOKEN,
        "Accept": "application/json",
        "X-Extra": "1",
    }
    # and a mask that is not what was read is a 400, never stored
    assert env.api("PATCH", f"webhooks/{hook['id']}", {"url": "https://hooks.example.com/****x"}).status == 400
    assert env.api("PATCH", f"webhooks/{hook['id']}", {"headers": '{"X-New": "****"}'}).status == 400


def test_viewers_read_no_channel_credentials(env):
    chain = env.api("POST", "escalation_chains", {"name": "c"}).body
    secrets = {
        "slack://T0AB12CD3/B0CD34EF5/abcdEFGHijklMNOP1234qrst": ["abcdEFGHijklMNOP1234qrst", "B0CD34EF5"],
        "mailto://user:S3cretPassw0rd@mail.example.com?to=ops@example.com": ["S3cretPassw0rd"],
        "json://hooks.example.com/path?token=Xy12Zz98Tok": ["Xy12Zz98Tok"],
    }
    for channel in secrets:
        created = env.api(
            "POST",
            "escalation_policies",
            {"escalation_chain_id": chain["id"], "type": "notify_channel", "channel": channel},
        )
        assert created.status == 201, created.body
    listed = env.api("GET", "escalation_policies", token=_token("viewer")).body["results"]
    text = json.dumps(listed)
    assert [s for values in secrets.values() for s in values if s in text] == []
    assert {step["channel"].split("://")[0] for step in listed} == {"slack", "mailto", "json"}
    # writing the masked channel back (PUT with other changes) keeps the stored URL
    step = listed[1]
    assert (
        env.api("PUT", f"escalation_policies/{step['id']}", {"channel": step["channel"], "important": True}).status
        == 200
    )
    assert wiring.store().get_step(step["id"]).channel in secrets


# ------------------------------------------------------------------------------------------ item 8
@pytest.mark.parametrize(
    "headers",
    [
        {"X-Evil": "a\r\nX-Injected: 1"},
        {"X-Evil": "a\nb"},
        {"Content-Length": "0"},
        {"Transfer-Encoding": "chunked"},
        {"Host": "internal.example"},
        {"Connection": "close"},
        {"Upgrade": "h2c"},
        {"Bad Name": "x"},
        {"X-Evil\r\nInjected": "x"},
    ],
    ids=["crlf", "lf", "content-length", "transfer-encoding", "host", "connection", "upgrade", "space", "crlf-name"],
)
def test_dangerous_headers_are_refused_at_save_with_400(env, headers):
    response = env.api(
        "POST", "webhooks", {"name": "h", "url": "https://example.com/x", "headers": json.dumps(headers)}
    )
    assert response.status == 400 and "headers" in response.body, response.body
    assert env.api("GET", "webhooks").body["results"] == []


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ('{"X-Title": "{{ alert_group.title }}\\r\\nX-Injected: 1"}', "line break"),
        ("{\"{{ 'Content-' ~ 'Length' }}\": \"0\"}", "may not be set"),
    ],
    ids=["crlf", "content-length"],
)
def test_a_rendered_dangerous_header_fails_the_delivery_cleanly(env, headers, reason):
    with Receiver() as target:
        # given headers that only become dangerous once rendered (so the save cannot see them)
        hook = env.api(
            "POST", "webhooks", {"name": "h", "url": f"http://127.0.0.1:{target.port}/x", "headers": headers}
        )
        assert hook.status == 201, hook.body
        sent = env.api("POST", f"webhooks/{hook.body['id']}/test")
        # then no 500: the attempt is logged as a template error and nothing reached the target
        assert sent.status == 200 and sent.body["outcome"] == "failed" and reason in sent.body["error"], sent.body
        assert target.requests == []
